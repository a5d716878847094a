"""A raw token value exists only in the response that issues it: never in the store, the read
models, a log line or an error message."""

from __future__ import annotations

import logging

import pytest
from flask.testing import FlaskClient

from tests.support.runtimes import ROOT_TOKEN
from tests.support.stores import store_bytes
from tests.support.vault_http import let_create_tokens

API = "/v1/auth/token"


def test_no_token_value_reaches_the_store_logs_or_errors(
    client: FlaskClient, store: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    root = {"X-Vault-Token": ROOT_TOKEN}
    let_create_tokens(client)
    issued = [
        client.post(f"{API}/create", json={"policies": ["web"], "num_uses": n}, headers=root).json["auth"]
        for n in (0, 0, 3)
    ]
    custom = client.post(f"{API}/create", json={"id": "custom-secret-value-42"}, headers=root).json["auth"]
    batch = client.post(f"{API}/create", json={"type": "batch", "ttl": "1h", "policies": ["web"]},
                        headers=root).json["auth"]
    in_site = client.post(f"{API}/create?site=eu", json={"ttl": "1h"}, headers=root).json["auth"]
    tokens = [auth["client_token"] for auth in issued] + [custom["client_token"], ROOT_TOKEN,
                                                          batch["client_token"], in_site["client_token"]]
    child = client.post(f"{API}/create", json={}, headers={"X-Vault-Token": tokens[0]}).json["auth"]
    tokens.append(child["client_token"])

    # The first use of a token is recorded with its path: here one that holds another token.
    looker = client.post(f"{API}/create", json={"policies": ["root"]}, headers=root).json["auth"]["client_token"]
    tokens.append(looker)
    assert client.get(f"{API}/lookup/{tokens[1]}", headers={"X-Vault-Token": looker}).status_code == 200
    # A limited-use token spends (and records) a use on a refused request too.
    assert client.get(f"{API}/lookup/{tokens[1]}", headers={"X-Vault-Token": tokens[2]}).status_code == 403
    client.post(f"{API}/renew", json={"token": tokens[1], "increment": "1h"}, headers=root)
    client.get(f"{API}/lookup-self", headers={"X-Vault-Token": tokens[2]})
    client.post(f"{API}/revoke", json={"token": tokens[0]}, headers=root)
    errors = [
        client.get(f"{API}/lookup/{tokens[0]}", headers=root),
        client.post(f"{API}/lookup", json={"token": tokens[0]}, headers=root),
        client.post(f"{API}/renew", json={"token": tokens[0]}, headers=root),
        client.post(f"{API}/revoke-orphan", json={"token": tokens[0]}, headers=root),
        client.get(f"{API}/lookup-self", headers={"X-Vault-Token": tokens[0]}),
    ]

    stored = store_bytes(store)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for token in tokens:
        assert token.encode() not in stored
        assert token.removeprefix("hvs.").encode() not in stored
        assert token not in logged
    for response in errors:
        assert response.status_code >= 400
        assert tokens[0] not in response.get_data(as_text=True)
    assert issued[0]["accessor"].encode() in stored  # accessors are not secret: the scan is real
