"""Attacks an adversarial probe tried and tokenledger withstood, against a real server process: what
only the WSGI server and the socket decide (forwarded headers, the request log). The rest, through
Flask's test client, are in tests/unit/security/test_held_attacks.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from scripts.servers import Server, dev_server
from tests.support.held_attacks import NO_TOKEN, SPOOFING_HEADERS, errors

ROOT = "held-attacks-root-token"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with dev_server(ROOT, tmp_path_factory.mktemp("held") / "ledger.db") as started:
        yield started


def test_a_real_server_trusts_the_socket_address_not_forwarded_headers(server: Server) -> None:
    created = requests.post(f"{server.url}/v1/auth/token/create", headers={"X-Vault-Token": ROOT},
                            json={"ttl": "1h", "bound_cidrs": ["10.0.0.0/8"]}, timeout=10)
    token = created.json()["auth"]["client_token"]
    for spoof in SPOOFING_HEADERS:
        response = requests.get(f"{server.url}/v1/auth/token/lookup-self",
                                headers={"X-Vault-Token": token, **spoof}, timeout=10)
        assert (response.status_code, errors(response)) == (403, NO_TOKEN), spoof
    unbound = requests.get(f"{server.url}/v1/auth/token/lookup-self", headers={"X-Vault-Token": ROOT}, timeout=10)
    assert unbound.status_code == 200


def test_a_real_server_never_writes_a_token_from_a_path_to_its_log(server: Server) -> None:
    created = requests.post(f"{server.url}/v1/auth/token/create", headers={"X-Vault-Token": ROOT},
                            json={"ttl": "1h"}, timeout=10)
    token = created.json()["auth"]["client_token"]
    root = {"X-Vault-Token": ROOT}
    assert requests.get(f"{server.url}/v1/auth/token/lookup/{token}", headers=root, timeout=10).status_code == 200
    assert requests.post(f"{server.url}/v1/auth/token/revoke/{token}", headers=root, timeout=10).status_code == 204
    assert requests.get(f"{server.url}/v1/auth/token/lookup/{token}", headers=root, timeout=10).status_code == 403
    output = server.output()
    assert "lookup" in output or "route" in output  # requests are logged: the scan is real
    assert token not in output and token.removeprefix("hvs.") not in output
