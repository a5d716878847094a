"""Held attacks that need a real store: no token value at rest after paths the first scan did
not take, and the audit pages, which read the store, escaping what token creators wrote and what
the address carries. The others are in tests/unit/security/test_held_attacks.py."""

from __future__ import annotations

import logging

import pytest
from flask.testing import FlaskClient

from tests.support.held_attacks import log_in
from tests.support.runtimes import ROOT_TOKEN
from tests.support.stores import store_bytes
from tests.support.vault_http import call, create

SCRIPT = "<script>alert(1)</script>"


def test_no_token_value_is_stored_after_paths_the_first_scan_does_not_take(
    client: FlaskClient, store: str, caplog: pytest.LogCaptureFixture
) -> None:
    """tests/integration/test_secrets_never_stored.py covers create, renew and revoke through JSON bodies;
    this scan adds roles, orphans, self-service, tokens in paths, Bearer headers and forms."""
    caplog.set_level(logging.DEBUG)
    assert call(client, "PUT", "roles/ops", body={"orphan": True}).status_code == 204
    tokens = [
        create(client, ttl="1h")["auth"]["client_token"],
        call(client, "POST", "create/ops", body={"ttl": "1h"}).json["auth"]["client_token"],
        call(client, "POST", "create-orphan", body={"ttl": "1h"}).json["auth"]["client_token"],
        create(client, ttl="1h", num_uses=5)["auth"]["client_token"],
        create(client, ttl="1h", period="1h")["auth"]["client_token"],
    ]
    bearer = {"Authorization": f"Bearer {tokens[3]}"}
    rooted = {"X-Vault-Token": ROOT_TOKEN}
    outcomes = [
        client.post("/v1/auth/token/renew-self", json={"increment": "1h"}, headers=bearer).status_code,
        client.post(f"/v1/auth/token/renew/{tokens[0]}", json={}, headers=rooted).status_code,
        client.post("/v1/auth/token/renew", data={"token": tokens[1]}, headers=rooted).status_code,
        client.post("/v1/auth/token/lookup", data={"token": tokens[2]}, headers=rooted).status_code,
        client.post("/v1/auth/token/revoke-self", headers={"X-Vault-Token": tokens[4]}).status_code,
        client.post(f"/v1/auth/token/revoke-orphan/{tokens[1]}", json={}, headers=rooted).status_code,
        client.post(f"/v1/auth/token/revoke/{tokens[0]}", json={}, headers=rooted).status_code,
        client.post("/v1/auth/token/revoke", data={"token": tokens[2]}, headers=rooted).status_code,
        client.get("/v1/auth/token/lookup-self", headers=bearer).status_code,
    ]
    assert outcomes == [200, 200, 200, 200, 204, 204, 204, 204, 200]
    stored = store_bytes(store)
    logged = "\n".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    assert b"ops" in stored  # the role was written: the scan reads the right store
    for token in tokens + [ROOT_TOKEN]:
        assert token.encode() not in stored and token.removeprefix("hvs.").encode() not in stored
        assert token not in logged


@pytest.mark.one_store
def test_audit_pages_escape_what_token_creators_wrote(client: FlaskClient) -> None:
    assert call(client, "PUT", "roles/r", body={}).status_code == 204
    auth = call(client, "POST", "create/r", body={
        "display_name": SCRIPT, "meta": {"note": SCRIPT, "x\"><img src=x onerror=alert(1)>": "v"}, "ttl": "1h",
    }).json["auth"]
    log_in(client)
    page = client.get(f"/ui/tokens/{auth['accessor']}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the meta value is shown, escaped
    assert "<script" not in page and "<img" not in page


@pytest.mark.one_store
@pytest.mark.parametrize(("url", "status"), [
    (f"/ui/tokens/{SCRIPT}", 404),  # no route: the API's JSON 404, never an HTML page
    (f"/ui/?accessor={SCRIPT}", 404),  # redirected to that same address
    ("/ui/tokens/%3Cscript%3E", 404),
    (f"/ui/tokens/x?as_of={SCRIPT}", 400),
    (f"/ui/?namespace={SCRIPT}", 400),
])
def test_audit_pages_escape_what_the_address_carries(client: FlaskClient, url: str, status: int) -> None:
    log_in(client)
    response = client.get(url, follow_redirects=True)
    assert response.status_code == status
    assert response.mimetype == "application/json" or "<script" not in response.get_data(as_text=True)
