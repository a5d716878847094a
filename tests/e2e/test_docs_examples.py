"""The commands and code that the README and docs/*.md show work as written, against a real server.

Each page's fenced blocks, in order:

- a ``sh`` block runs in bash (``set -euo pipefail``), the page's blocks in one shell as a reader
  pastes them into one terminal, in the folder of a running dev server's store
  (``tokenledger-dev.db``), with the virtualenv's ``tokenledger`` on ``PATH``. A ``curl``
  answered with a status of 400 or more fails the block;
- a ``python`` block runs in this process; one that builds a Flask ``app`` and a ``root_token``
  must then answer the root token on both blueprints, and an unknown path in Vault's shape;
- a block after ``<!-- synopsis -->`` shows the form of a command that is not pasted as it is
  (it starts a server, takes minutes, or stands for a choice of options): every option it shows
  must be in that command's ``--help``;
- a ``json`` block is an illustration of output and is not run.

The README's "Set up on a fresh machine" is left to tests/unit/test_readme.py. What a reader fills in
is filled in here: the server's address for ``http://127.0.0.1:8200``, the root token for
``<root token …>``, a live token for each ``hvs.…``, a temporary file for the embedding
example's store, and ``$TOKEN``/``$ACCESSOR`` (a token, and the accessor of another) in the
environment.
"""

from __future__ import annotations

import itertools
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import hvac
import pytest
from flask import Flask

from scripts.servers import Server, dev_server

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
ROOT = "docs-root-token"
DOCUMENTED_ADDRESS = "http://127.0.0.1:8200"
EMBEDDED_STORE = "/var/lib/myapp/tokens.db"
SET_UP_SECTION = "Set up on a fresh machine"

BLOCK = re.compile(r"^(?:<!-- (?P<mark>[\w-]+) -->\n)?```(?P<lang>\w*)\n(?P<code>.*?)^```$", re.S | re.M)
CURL = """
curl() {  # the documented curl, failing on an HTTP error status as a reader would notice one
    local status
    status=$(command curl -sS -o "$CURL_BODY" -w '%{http_code}' "$@") || return
    cat "$CURL_BODY"; echo
    if [ "$status" -ge 400 ]; then echo "HTTP $status from: curl $*" >&2; return 1; fi
}
"""


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    section: str
    lang: str
    mark: str
    code: str

    def where(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    text = page.read_text()
    found = []
    for match in BLOCK.finditer(text):
        before = text[:match.start()]
        headings = re.findall(r"^## (.+)$", before, re.M)
        found.append(Block(page, before.count("\n") + 1, headings[-1] if headings else "",
                           match["lang"], match["mark"] or "", match["code"]))
    return found


def shell_examples(page: Path) -> list[Block]:
    return [block for block in blocks(page)
            if block.lang == "sh" and not block.mark and block.section != SET_UP_SECTION]


def every_block(lang: str, mark: str = "") -> list[Block]:
    return [block for page in PAGES for block in blocks(page) if block.lang == lang and block.mark == mark]


def page_id(page: Path) -> str:
    return str(page.relative_to(REPO))


@dataclass
class Docs:
    server: Server
    folder: Path
    root: hvac.Client

    def token(self) -> dict[str, str]:
        return dict(self.root.auth.token.create(policies=["web"], ttl="1h")["auth"])

    def fill_in(self, code: str) -> str:
        code = code.replace(DOCUMENTED_ADDRESS, self.server.url)
        code = re.sub(r"<root token[^>]*>", ROOT, code)
        while "hvs.…" in code:
            code = code.replace("hvs.…", self.token()["client_token"], 1)
        return code


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Docs]:
    folder = tmp_path_factory.mktemp("docs")
    with dev_server(ROOT, folder / "tokenledger-dev.db") as server:
        yield Docs(server, folder, hvac.Client(url=server.url, token=ROOT))


def test_every_block_says_how_it_is_checked() -> None:
    unknown = [block.where() for page in PAGES for block in blocks(page)
               if (block.lang, block.mark) not in {("sh", ""), ("sh", "synopsis"), ("python", ""), ("json", "")}]
    assert unknown == [], "a block is sh, python or json, with <!-- synopsis --> before a sh form"


@pytest.mark.parametrize("page", [page for page in PAGES if shell_examples(page)], ids=page_id)
def test_the_shell_examples_run_as_written(page: Path, docs: Docs) -> None:
    examples = shell_examples(page)
    script = ["set -euo pipefail", CURL]
    for block in examples:
        script += [f"echo '>>> {block.where()}' >&2", docs.fill_in(block.code)]
    token, other = docs.token(), docs.token()
    _after_a_whole_second()  # a second-precise "now" in an example falls after these tokens' creation
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith(("TOKENLEDGER_", "VAULT_"))}
    environment.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{environment.get('PATH', '')}",
        VAULT_ADDR=docs.server.url, VAULT_TOKEN=ROOT, TOKEN=token["client_token"], ACCESSOR=other["accessor"],
        CURL_BODY=str(docs.folder / "curl-body"),
    )
    finished = subprocess.run(["bash", "-c", "\n".join(script)], cwd=docs.folder, env=environment,
                              capture_output=True, text=True, timeout=300)
    failed_in = re.findall(r"^>>> (.+)$", finished.stderr, re.M)
    assert finished.returncode == 0, (f"the example at {failed_in[-1] if failed_in else page_id(page)} "
                                      f"failed:\n{finished.stdout[-2000:]}\n{finished.stderr[-3000:]}")


def _after_a_whole_second() -> None:
    time.sleep(1.01 - time.time() % 1)


@pytest.mark.parametrize("block", every_block("python"), ids=Block.where)
def test_the_python_examples_run_as_written(block: Block, docs: Docs, tmp_path: Path) -> None:
    code = docs.fill_in(block.code).replace(EMBEDDED_STORE, str(tmp_path / "tokens.db"))
    namespace: dict[str, object] = {"ROOT_TOKEN": ROOT, "__name__": "docs_example"}
    exec(compile(code, block.where(), "exec"), namespace)  # the documented example itself
    _check_embedded_app(namespace, block)


def _check_embedded_app(namespace: dict[str, object], block: Block) -> None:
    app, root_token, runtime = namespace.get("app"), namespace.get("root_token"), namespace.get("runtime")
    if not isinstance(app, Flask):
        return
    headers = {"X-Vault-Token": str(root_token)}
    try:
        for path in ("/v1/auth/token/lookup-self", "/v1/sys/policy/default"):
            answer = app.test_client().get(path, headers=headers)
            assert answer.status_code == 200, f"{block.where()}: the embedded app answered {path} with " \
                                              f"{answer.status_code}"
        unknown = app.test_client().get("/v1/nowhere")  # Vault's 404, from the registered error handlers
        assert unknown.status_code == 404 and "errors" in (unknown.get_json(silent=True) or {})
    finally:
        close = getattr(runtime, "close", None)
        if callable(close):
            close()


@pytest.mark.parametrize("block", every_block("sh", "synopsis"), ids=Block.where)
def test_the_synopses_name_only_options_that_exist(block: Block) -> None:
    unknown = [option for line in block.code.replace("\\\n", " ").splitlines() if line.strip()
               for option in _unknown_options(line, block)]
    assert unknown == [], f"{block.where()} shows options its command does not take"


def _unknown_options(line: str, block: Block) -> list[str]:
    words = shlex.split(line, comments=True)
    words = list(itertools.dropwhile(lambda word: re.fullmatch(r"[A-Z_]+=\S*", word), words))
    if words and (words[0].endswith("/tokenledger") or words[0] == "tokenledger"):
        command, arguments = [sys.executable, "-m", "tokenledger.cli"], words[1:]
    elif len(words) > 1 and words[0].endswith("python") and words[1].startswith("scripts/"):
        command, arguments = [sys.executable, str(REPO / words[1])], words[2:]
    else:
        pytest.fail(f"{block.where()}: cannot check the synopsis {line!r}: not tokenledger nor a script")
    subcommands = list(itertools.takewhile(lambda word: not word.startswith(("-", "[")), arguments))
    shown = subprocess.run([*command, *subcommands, "--help"], cwd=REPO, capture_output=True, text=True,
                           timeout=60)
    assert shown.returncode == 0, f"{block.where()}: {shown.stderr}"
    options = {match for word in arguments for match in re.findall(r"(?<![\w-])--?[a-z][\w-]*", word.strip("[]"))}
    return sorted(option for option in options
                  if not re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", shown.stdout))
