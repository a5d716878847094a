"""``auth/token/tidy`` repairs the read models from the log (a repair of rows damaged in a store is
in tests/integration/test_tidy_and_revoke_prefix.py); ``sys/leases/revoke-prefix`` revokes every
token created against a role (and suffix)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.support.runtimes import recorded_topics
from tests.support.vault_http import call, issue, write_policy
from tokenledger.web.app import runtime_of

TIDY_WARNING = ("Tidy operation successfully started. Any information from the operation will be "
                "printed to Vault's server logs.")


def test_tidy_answers_like_vault_and_records_a_clean_run(app: Flask, client: FlaskClient) -> None:
    issue(client, policies=["web"], ttl="1h")
    response = call(client, "POST", "tidy")
    assert response.status_code == 202
    assert response.json["warnings"] == [TIDY_WARNING]
    assert response.json["data"] is None  # Vault's tidy answers no data: what it did is recorded
    assert recorded_topics(runtime_of(app))[-1][1] == "TidyCompleted"


def test_tidy_needs_a_policy_granting_it(client: FlaskClient) -> None:
    token = issue(client, policies=["web"], ttl="1h")
    assert call(client, "POST", "tidy", token).status_code == 403


def test_revoke_prefix_revokes_the_roles_tokens_and_their_children(client: FlaskClient) -> None:
    assert call(client, "POST", "roles/deploy", body={"path_suffix": "blue"}).status_code == 204
    assert call(client, "POST", "roles/deploy-two").status_code == 204
    first = call(client, "POST", "create/deploy", body={"ttl": "1h"}).json["auth"]["client_token"]
    child = issue(client, first, ttl="10m")
    other = call(client, "POST", "create/deploy-two", body={"ttl": "1h"}).json["auth"]["client_token"]
    plain = issue(client, policies=["web"], ttl="1h")
    assert call(client, "GET", "lookup-self", first).json["data"]["path"] == "auth/token/create/deploy/blue"
    assert call(client, "PUT", "sys/leases/revoke-prefix/auth/token/create/deploy").status_code == 204
    assert [call(client, "GET", "lookup-self", t).status_code for t in (first, child, other, plain)] == [
        403, 403, 200, 200]


def test_revoke_prefix_needs_sudo(client: FlaskClient) -> None:
    write_policy(client, "leases", 'path "sys/leases/revoke-prefix/*" { capabilities = ["update"] }')
    token = issue(client, policies=["leases"], ttl="1h")
    assert call(client, "PUT", "sys/leases/revoke-prefix/auth/token/create", token).status_code == 403
    write_policy(client, "leases", 'path "sys/leases/revoke-prefix/*" { capabilities = ["update", "sudo"] }')
    assert call(client, "PUT", "sys/leases/revoke-prefix/auth/token/create", token).status_code == 204
    assert call(client, "GET", "lookup-self", token).status_code == 403  # it revoked itself too
