"""Malformed input against a real server process: what the WSGI server hands the app (chunked
bodies, a declared length over the cap) is refused in Vault's ``{"errors": [...]}`` shape. The
app's own refusals, through Flask's test client, are in tests/unit/security/test_malformed_input.py.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator

import pytest

from scripts.servers import Server, running
from tests.support.runtimes import ROOT_TOKEN

SMALL_LIMIT = 4096
TOO_LARGE = {"errors": ["http: request body too large"]}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    store = tmp_path_factory.mktemp("malformed") / "ledger.db"
    with running("--dev", "--dev-root-token-id", ROOT_TOKEN, "--store", str(store),
                 env={"TOKENLEDGER_MAX_REQUEST_SIZE": str(SMALL_LIMIT)}) as server:
        yield server


def exchange(server: Server, request: bytes) -> tuple[int, dict[str, object]]:
    """Send raw bytes, read one response: its status and JSON body."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(request)
        received = b""
        while b"\r\n\r\n" not in received or len(received.partition(b"\r\n\r\n")[2]) < _length(received):
            chunk = connection.recv(65536)
            if not chunk:
                break
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body[:_length(received)])


def _length(received: bytes) -> int:
    match = re.search(rb"(?i)\r\ncontent-length: *(\d+)", received.partition(b"\r\n\r\n")[0])
    return int(match.group(1)) if match else 1 << 30


def chunked_post(path: str, chunks: bytes, token: str = "") -> bytes:
    auth = f"X-Vault-Token: {token}\r\n".encode() if token else b""
    return (f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n").encode() + auth + b"\r\n" + chunks


@pytest.mark.parametrize("token", ["", ROOT_TOKEN])
@pytest.mark.parametrize("chunks", [b"zz\r\n{}\r\n0\r\n\r\n", b"-1\r\n{}\r\n0\r\n\r\n", b"2\r\n{}XX0\r\n\r\n"])
def test_an_invalid_chunk_is_a_400_before_authentication(server: Server, chunks: bytes, token: str) -> None:
    status, body = exchange(server, chunked_post("/v1/auth/token/lookup", chunks, token))
    assert status == 400, body
    assert list(body) == ["errors"] and body["errors"]


def test_a_valid_chunked_body_is_read(server: Server) -> None:
    status, body = exchange(server, chunked_post("/v1/auth/token/lookup-self", b"2\r\n{}\r\n0\r\n\r\n", ROOT_TOKEN))
    assert status == 200, body


def test_a_chunked_body_over_the_cap_is_a_413(server: Server) -> None:
    payload = json.dumps({"policy": "#" + "x" * SMALL_LIMIT}).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (payload[:1000], payload[1000:]))
    status, body = exchange(server, chunked_post("/v1/sys/policy/web", chunks + b"0\r\n\r\n", ROOT_TOKEN))
    assert (status, body) == (413, TOO_LARGE)


def test_a_declared_length_over_the_cap_is_refused_before_any_of_the_body_arrives(server: Server) -> None:
    """Only the headers are sent: a server that waited for the body would never answer."""
    request = (f"POST /v1/auth/token/create HTTP/1.1\r\nHost: localhost\r\nX-Vault-Token: {ROOT_TOKEN}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {SMALL_LIMIT + 1}\r\n\r\n").encode()
    assert exchange(server, request) == (413, TOO_LARGE)
