"""``auth/token/roles`` over HTTP, and creating tokens against a role."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from freezegun import freeze_time

from tests.support.runtimes import event_count, recorded_topics
from tests.support.vault_http import call, issue, write_policy
from tokenledger.web.app import runtime_of


def write_role(client: FlaskClient, name: str, **body: Any) -> None:
    response = call(client, "POST", f"roles/{name}", body=body)
    assert response.status_code in (200, 204), response.json


def test_a_role_is_written_read_listed_and_deleted(app: Flask, client: FlaskClient) -> None:
    assert call(client, "LIST", "roles").status_code == 404
    write_role(client, "nomad", allowed_policies="dev,ops", orphan=False, renewable=True,
               allowed_entity_aliases=["web-entity-alias", "App-*"], bound_cidrs=["127.0.0.1/32"])
    data = call(client, "GET", "roles/nomad").json["data"]
    assert data["name"] == "nomad" and data["allowed_policies"] == ["dev", "ops"]
    assert data["allowed_entity_aliases"] == ["app-*", "web-entity-alias"]
    assert data["token_type"] == "default-service" and data["renewable"] is True
    assert data["bound_cidrs"] == data["token_bound_cidrs"] == ["127.0.0.1"]
    assert call(client, "LIST", "roles").json["data"]["keys"] == ["nomad"]
    assert call(client, "GET", "roles?list=true").json["data"]["keys"] == ["nomad"]
    assert call(client, "DELETE", "roles/nomad").status_code == 204
    assert call(client, "GET", "roles/nomad").status_code == 404
    topics = [name for _, name in recorded_topics(runtime_of(app)) if name != "TokenUsed"]
    assert topics[-2:] == ["RoleCreated", "RoleDeleted"]


def test_an_update_changes_only_the_fields_it_gives(client: FlaskClient) -> None:
    write_role(client, "ci", allowed_policies=["build"], orphan=True)
    write_role(client, "ci", path_suffix="green")
    data = call(client, "GET", "roles/ci").json["data"]
    assert (data["allowed_policies"], data["orphan"], data["path_suffix"]) == (["build"], True, "green")


@pytest.mark.parametrize(
    "body",
    [
        {"token_type": "sometimes"},
        {"token_bound_cidrs": ["10.0.0.300/8"]},
        {"token_period": "-5s"},
        {"path_suffix": "../up"},
        {"token_num_uses": -1},
        {"token_type": "batch"},  # a batch role must be orphan and non-renewable
        {"orphan": "perhaps"},
        {"token_period": "soon"},
    ],
)
def test_bad_role_fields_are_refused_and_write_nothing(app: Flask, client: FlaskClient, body: dict[str, Any]) -> None:
    before = event_count(runtime_of(app))
    response = call(client, "POST", "roles/bad", body=body)
    assert response.status_code == 400 and response.json["errors"][0], body
    assert event_count(runtime_of(app)) == before


def test_a_role_name_with_a_slash_is_not_a_role(app: Flask, client: FlaskClient) -> None:
    before = event_count(runtime_of(app))
    assert call(client, "POST", "roles/a/b", body={}).status_code in (400, 404, 405)
    assert event_count(runtime_of(app)) == before


def test_creating_against_a_role_named_by_the_path(client: FlaskClient) -> None:
    write_role(client, "deploy", allowed_policies=["app", "db"], path_suffix="blue", orphan=True)
    by_path = call(client, "POST", "create/deploy", body={"policies": ["app"]}).json["auth"]
    by_role = call(client, "POST", "create/deploy", body={}).json["auth"]
    assert by_path["policies"] == ["app", "default"] and by_path["orphan"] is True
    assert by_role["policies"] == ["app", "db", "default"]
    looked_up = call(client, "POST", "lookup-accessor", body={"accessor": by_role["accessor"]}).json["data"]
    assert looked_up["path"] == "auth/token/create/deploy/blue"
    refused = call(client, "POST", "create/deploy", body={"policies": ["admin"]})
    assert refused.status_code == 400 and "allowed policies" in refused.json["errors"][0]
    unknown = call(client, "POST", "create/nope", body={})
    assert unknown.status_code == 400 and unknown.json == {"errors": ["unknown role nope"]}


def test_a_disallowed_default_is_not_added(client: FlaskClient) -> None:
    write_role(client, "strict", allowed_policies=["app"], disallowed_policies=["default"])
    auth = call(client, "POST", "create/strict", body={}).json["auth"]
    assert auth["policies"] == ["app"]


def test_a_roles_later_period_applies_at_the_next_renewal(client: FlaskClient) -> None:
    with freeze_time("2026-06-01 09:00:00"):
        write_role(client, "svc", allowed_policies=["app"], token_period="1h")
        token = call(client, "POST", "create/svc", body={}).json["auth"]["client_token"]
        assert call(client, "POST", "renew-self", token).json["auth"]["lease_duration"] == 3600
        write_role(client, "svc", token_period="10m")
        assert call(client, "POST", "renew-self", token).json["auth"]["lease_duration"] == 600


def test_a_role_grants_what_the_caller_could_not(client: FlaskClient) -> None:
    """Roles let a token without sudo create orphans, and tokens outside its own policies."""
    write_role(client, "orphans", allowed_policies=["reports"], orphan=True)
    write_policy(client, "role-user", 'path "auth/token/create/orphans" { capabilities = ["update"] }')
    user = issue(client, policies=["role-user"], ttl="1h")
    auth = call(client, "POST", "create/orphans", user, {"policies": ["reports"]}).json["auth"]
    assert auth["orphan"] is True and auth["policies"] == ["default", "reports"]
    assert call(client, "POST", "create", user, {"policies": ["reports"]}).status_code == 403


def test_a_roles_bound_cidrs_bind_its_tokens(client: FlaskClient) -> None:
    write_role(client, "lan", allowed_policies=["app"], token_bound_cidrs=["192.168.0.0/16", "fd00::/8"])
    token = call(client, "POST", "create/lan", body={}).json["auth"]["client_token"]
    assert call(client, "GET", "lookup-self", token).status_code == 403
    for address in ("192.168.4.2", "fd00::17"):
        inside = call(client, "GET", "lookup-self", token, environ_base={"REMOTE_ADDR": address})
        assert inside.status_code == 200, address


def test_role_and_policy_lists_page_with_after_and_limit(client: FlaskClient) -> None:
    for name in ("a", "b", "c"):
        write_role(client, name)
        write_policy(client, f"p{name}", 'path "auth/token/lookup" { capabilities = ["update"] }')
    first = call(client, "LIST", "roles", query_string={"limit": 2}).json["data"]["keys"]
    rest = call(client, "LIST", "roles", query_string={"after": first[-1]}).json["data"]["keys"]
    assert (first, rest) == (["a", "b"], ["c"])
    page = call(client, "LIST", "sys/policies/acl", query_string={"after": "default", "limit": 2})
    assert page.json["data"]["keys"] == ["pa", "pb"]
    assert call(client, "LIST", "roles", query_string={"limit": "0"}).status_code == 400
