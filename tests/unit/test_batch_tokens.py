"""Batch tokens: sealed values, nothing stored per token, dying with their parent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from freezegun import freeze_time

from tests.support.runtimes import recorded_topics
from tests.support.vault_http import call, issue, write_policy
from tokenledger.web.app import runtime_of


def test_a_batch_token_is_sealed_and_has_no_accessor(app: Flask, client: FlaskClient) -> None:
    before = recorded_topics(runtime_of(app))
    response = call(client, "POST", "create", body={"type": "batch", "policies": ["web"], "ttl": "1h"})
    assert response.status_code == 200, response.json
    auth = response.json["auth"]
    assert auth["client_token"].startswith("hvb.") and auth["accessor"] == ""
    assert (auth["token_type"], auth["renewable"], auth["lease_duration"]) == ("batch", False, 3600)
    data = call(client, "GET", "lookup-self", auth["client_token"]).json["data"]
    assert (data["type"], data["policies"], data["accessor"]) == ("batch", ["default", "web"], "")
    added = recorded_topics(runtime_of(app))[len(before):]
    # the root token's first use is recorded; a batch token, not in the ledger, records none
    assert [name for _, name in added] == ["BatchTokenIssued", "TokenUsed"]
    assert call(client, "LIST", "accessors").json["data"]["keys"].count("") == 0


def test_batch_tokens_cannot_renew_revoke_or_create_children(client: FlaskClient) -> None:
    token = issue(client, type="batch", policies=["web"], ttl="1h")
    expectations = [
        ("renew-self", "batch tokens cannot be renewed"),
        ("revoke-self", "batch tokens cannot be revoked"),
    ]
    for path, message in expectations:
        response = call(client, "POST", path, token)
        assert (response.status_code, response.json) == (400, {"errors": [message]}), path
    revoked = call(client, "POST", "revoke", body={"token": token})
    assert revoked.json == {"errors": ["batch tokens cannot be revoked"]}


def test_a_batch_token_cannot_create_tokens_even_where_its_policy_allows(client: FlaskClient) -> None:
    write_policy(client, "creator", 'path "auth/token/create" { capabilities = ["update"] }')
    token = issue(client, type="batch", policies=["creator"], ttl="1h")
    child = call(client, "POST", "create", token, {"policies": ["creator"]})
    assert (child.status_code, child.json) == (400, {"errors": ["batch tokens cannot create more tokens"]})


def test_a_batch_token_dies_with_its_parent_unless_orphan(client: FlaskClient) -> None:
    parent = issue(client, policies=["root"], ttl="1h")
    of_parent = issue(client, parent, type="batch", policies=["web"], ttl="30m")
    orphan = issue(client, parent, type="batch", policies=["web"], ttl="30m", no_parent=True)
    of_root = issue(client, type="batch", policies=["web"], ttl="30m")
    assert call(client, "GET", "lookup-self", of_parent).status_code == 200
    assert call(client, "POST", "revoke", body={"token": parent}).status_code == 204
    assert call(client, "GET", "lookup-self", of_parent).status_code == 403
    assert call(client, "GET", "lookup-self", orphan).status_code == 200
    assert call(client, "GET", "lookup-self", of_root).status_code == 200


def test_a_batch_token_expires_with_its_ttl(client: FlaskClient) -> None:
    start = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    with freeze_time(start) as frozen:
        token = issue(client, type="batch", policies=["web"], ttl="10m")
        assert call(client, "GET", "lookup-self", token).status_code == 200
        frozen.move_to(start + timedelta(minutes=10))
        assert call(client, "GET", "lookup-self", token).status_code == 403


def test_an_altered_batch_token_is_refused(client: FlaskClient) -> None:
    token = issue(client, type="batch", policies=["web"], ttl="1h")
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    assert call(client, "GET", "lookup-self", flipped).status_code == 403
    assert call(client, "GET", "lookup-self", "hvb.not-a-token").status_code == 403
