"""The README and the pages under docs/ point at things that exist.

Every relative link reaches a file (and its heading, for a ``#anchor``), every docs page is
linked from the README, and the names the prose gives in backticks (folders and files of the
repository, ``tokenledger.…`` modules and attributes, class names, ``TOKENLEDGER_…`` variables)
still exist,
so a rename that forgets the docs fails here, naming the page and the name.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = sorted((REPO / "docs").glob("*.md"))
PAGES = [REPO / "README.md", REPO / "CHANGELOG.md", *DOCS]

FENCED = re.compile(r"^```.*?^```$", re.S | re.M)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
REPO_PATH = re.compile(r"(?:domain|application|projections|web|cli|wiring|tests|scripts|docs)/[\w./-]*")
MODULE_NAME = re.compile(r"(?!.*\.(?:db|jsonl|py|md)$)(?:tokenledger|eventsourcing)(?:\.\w+)+(?::\w+)?")  # not a file
VARIABLE = re.compile(r"\bTOKENLEDGER_[A-Z_]+\b")
CLASS_NAME = re.compile(r"[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+")
SOURCE_FOLDERS = ("domain", "application", "projections", "web", "cli", "wiring", "tests", "scripts")


def prose(page: Path) -> str:
    """The page without its fenced code blocks: those are checked by running them."""
    return FENCED.sub("", page.read_text())


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = heading.strip().lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {slug(heading) for heading in re.findall(r"^#+ (.+)$", prose(page), re.M)}


def name(page: Path) -> str:
    return str(page.relative_to(REPO))


@pytest.mark.parametrize("page", PAGES, ids=name)
def test_every_relative_link_reaches_a_file_and_its_heading(page: Path) -> None:
    broken = []
    for target in LINK.findall(prose(page)):
        if re.match(r"[a-z]+:", target):
            continue  # http:, https:, mailto: are not this repository's to keep
        path_part, _, anchor = target.partition("#")
        linked = (page.parent / path_part).resolve() if path_part else page
        if not linked.is_file():
            broken.append(f"{target}: no such file")
        elif anchor and anchor not in anchors(linked):
            broken.append(f"{target}: no heading #{anchor} in {name(linked)}")
    assert not broken, f"{name(page)}: {broken}"


def test_the_readme_links_every_docs_page() -> None:
    linked = {(REPO / target.partition("#")[0]).resolve() for target in LINK.findall(prose(REPO / "README.md"))}
    assert [name(page) for page in DOCS if page.resolve() not in linked] == []


@pytest.mark.parametrize("page", PAGES, ids=name)
def test_the_files_and_folders_named_exist(page: Path) -> None:
    spans = CODE_SPAN.findall(prose(page))
    missing = [span for span in spans if REPO_PATH.fullmatch(span) and not (REPO / span).exists()]
    assert not missing, f"{name(page)} names paths that are gone: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=name)
def test_the_modules_and_attributes_named_exist(page: Path) -> None:
    spans = CODE_SPAN.findall(prose(page))
    missing = [span for span in spans if MODULE_NAME.fullmatch(span) and not resolves(span)]
    assert not missing, f"{name(page)} names modules or attributes that are gone: {missing}"


def resolves(dotted: str) -> bool:
    """``a.b.c`` or ``a.b:C``: the longest importable module, then attributes for the rest."""
    parts = dotted.replace(":", ".").split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            if not hasattr(found, attribute):
                return False
            found = getattr(found, attribute)
        return True
    return False


def source_code() -> str:
    sources = [path for folder in SOURCE_FOLDERS for path in (REPO / folder).rglob("*.py")]
    return "\n".join(path.read_text() for path in sources) + (REPO / ".ci" / "run").read_text()


@pytest.mark.parametrize("page", PAGES, ids=name)
def test_the_classes_named_exist(page: Path) -> None:
    code = source_code()
    spans = CODE_SPAN.findall(prose(page))
    missing = [span for span in spans if CLASS_NAME.fullmatch(span) and not re.search(rf"\b{span}\b", code)]
    assert not missing, f"{name(page)} names classes the code no longer has: {missing}"


def test_the_variables_named_are_read_somewhere() -> None:
    code = source_code()
    named = {variable for page in PAGES for variable in VARIABLE.findall(page.read_text())}
    assert named, "the docs name no TOKENLEDGER_ variable: is the pattern still right?"
    assert sorted(variable for variable in named if variable not in code) == []
