"""Real ``tokenledger server`` processes, started on free ports and stopped for sure: the benchmark,
the load test and the end-to-end tests all drive servers this way (the tests import it from here;
nothing here imports from the tests)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parent.parent


def terminate(process: subprocess.Popen[Any], timeout: float = 30.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout``."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """Its output (the announcement, then a JSON log line per request) goes to a file, not a
    pipe: a pipe nobody reads fills up and would block a busy server."""

    process: subprocess.Popen[str]
    port: int
    log: IO[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_until_listening(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"server did not listen on port {self.port} within {timeout} s")

    def kill(self) -> None:
        """SIGKILL the whole process group: the master and every worker, mid-request."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> str:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.output()

    def output(self) -> str:
        if self.log is not None:
            self.log.seek(0)
            return self.log.read()
        return self.process.stdout.read() if self.process.stdout else ""


def start_server(*arguments: str, env: dict[str, str] | None = None) -> Server:
    port = free_port()
    command = [sys.executable, "-m", "tokenledger.cli", "server", *arguments]
    if "--dev-listen-address" not in arguments:
        command += ["--listen-address", f"127.0.0.1:{port}"]
    else:
        port = int(arguments[arguments.index("--dev-listen-address") + 1].rsplit(":", 1)[1])
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - the server writes it until stopped
    process = subprocess.Popen(
        command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}, start_new_session=True,
    )
    server = Server(process=process, port=port, log=log)
    try:
        server.wait_until_listening()
    except BaseException:
        server.stop()
        raise
    return server


@contextmanager
def running(*arguments: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    server = start_server(*arguments, env=env)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def hello_server(workers: int = 2, threads: int = 4) -> Iterator[Server]:
    """``scripts/hello_app.py``: the smallest Flask app, served as tokenledger is."""
    port = free_port()
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - the server writes it until stopped
    process = subprocess.Popen(
        [sys.executable, str(REPO / "scripts" / "hello_app.py"), "--workers", str(workers), "--threads", str(threads),
         "--bind", f"127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    server = Server(process=process, port=port, log=log)
    try:
        server.wait_until_listening()
        yield server
    finally:
        server.stop()


@contextmanager
def dev_server(root_token: str, store: Path) -> Iterator[Server]:
    """``tokenledger server --dev`` with this root token, on a free port and its own store file."""
    port = free_port()
    with running("--dev", "--dev-root-token-id", root_token,
                 "--dev-listen-address", f"127.0.0.1:{port}", "--store", str(store)) as server:
        yield server
