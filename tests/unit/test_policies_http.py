"""ACL policies: written as events through ``sys/policy``, enforced on every request."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.runtimes import event_count, recorded_topics
from tests.support.vault_http import call, create, issue, write_policy
from tokenledger.web.app import runtime_of

POLICY_DENIED = "1 error occurred:\n\t* permission denied\n\n"

CREATOR = """
path "auth/token/create" {
  capabilities = ["update"]
}
path "auth/token/lookup-accessor" {
  capabilities = ["update"]
}
"""


def test_a_policy_is_written_read_listed_and_deleted_as_events(app: Flask, client: FlaskClient) -> None:
    write_policy(client, "Creator", CREATOR)
    read = call(client, "GET", "sys/policy/creator")
    assert read.status_code == 200
    assert read.json["data"] == {"name": "creator", "rules": CREATOR}
    assert call(client, "GET", "sys/policies/acl/creator").json["data"]["policy"] == CREATOR
    assert call(client, "GET", "sys/policy").json["data"]["policies"] == ["creator", "default", "root"]
    assert call(client, "LIST", "sys/policies/acl").json["data"]["keys"] == ["creator", "default", "root"]
    assert call(client, "DELETE", "sys/policy/creator").status_code == 204
    assert call(client, "GET", "sys/policy/creator").status_code == 404
    topics = [name for _, name in recorded_topics(runtime_of(app)) if name != "TokenUsed"]
    assert topics[-2:] == ["PolicyWritten", "PolicyDeleted"]


def test_json_policies_are_accepted_like_hcl(client: FlaskClient) -> None:
    text = '{"path": {"auth/token/create": {"capabilities": ["update"]}}}'
    write_policy(client, "json-creator", text)
    token = issue(client, policies=["json-creator"])
    assert call(client, "POST", "create", token, {"policies": ["json-creator"]}).status_code == 200


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("broken", 'path "auth/token/*" { capabilities = ["read" }'),
        ("unknown-capability", 'path "auth/token/*" { capabilities = ["fly"] }'),
        ("root", 'path "*" { capabilities = ["read"] }'),
    ],
)
def test_bad_policies_are_refused_and_write_nothing(app: Flask, client: FlaskClient, name: str, text: str) -> None:
    before = event_count(runtime_of(app))
    response = call(client, "PUT", f"sys/policy/{name}", body={"policy": text})
    assert response.status_code == 400 and response.json["errors"][0]
    assert event_count(runtime_of(app)) == before


def test_default_and_root_policies_cannot_be_deleted(client: FlaskClient) -> None:
    for name in ("default", "root"):
        response = call(client, "DELETE", f"sys/policy/{name}")
        assert response.status_code == 400, name


def test_a_token_may_do_what_its_policy_grants_and_nothing_else(client: FlaskClient) -> None:
    write_policy(client, "creator", CREATOR)
    token = issue(client, policies=["creator"])
    assert call(client, "POST", "create", token, {"policies": ["creator"]}).status_code == 200
    assert call(client, "GET", "lookup-self", token).status_code == 200  # the default policy
    denied = call(client, "POST", "lookup", token, {"token": token})
    assert (denied.status_code, denied.json) == (403, {"errors": [POLICY_DENIED]})
    assert call(client, "PUT", "sys/policy/mine", token, {"policy": CREATOR}).status_code == 403


def test_a_missing_policy_warns_until_it_is_written(client: FlaskClient) -> None:
    assert create(client, policies=["creator"])["warnings"] == ['Policy "creator" does not exist']
    write_policy(client, "creator", CREATOR)
    assert create(client, policies=["creator"])["warnings"] is None


def test_sudo_paths_need_sudo_from_a_policy(client: FlaskClient) -> None:
    write_policy(client, "lister", 'path "auth/token/accessors" { capabilities = ["list"] }')
    write_policy(client, "auditor", 'path "auth/token/accessors" { capabilities = ["list", "sudo"] }')
    lister, auditor = issue(client, policies=["lister"]), issue(client, policies=["auditor"])
    assert call(client, "LIST", "accessors", lister).status_code == 403
    listed = call(client, "LIST", "accessors", auditor)
    assert listed.status_code == 200 and len(listed.json["data"]["keys"]) == 3


def test_sudo_on_create_allows_orphans_without_root(client: FlaskClient) -> None:
    write_policy(client, "plain", 'path "auth/token/create" { capabilities = ["update"] }')
    write_policy(client, "admin", 'path "auth/token/create" { capabilities = ["update", "sudo"] }')
    plain, admin = issue(client, policies=["plain"]), issue(client, policies=["admin"])
    refused = call(client, "POST", "create", plain, {"no_parent": True})
    assert refused.json == {"errors": ["root or sudo privileges required to create orphan token"]}
    allowed = call(client, "POST", "create", admin, {"no_parent": True})
    assert allowed.status_code == 200 and allowed.json["auth"]["orphan"] is True


def test_deny_wins_over_a_glob_grant(client: FlaskClient) -> None:
    write_policy(client, "broad", 'path "auth/token/*" { capabilities = ["update", "read"] }')
    write_policy(client, "no-create", 'path "auth/token/create" { capabilities = ["deny"] }')
    token = issue(client, policies=["broad", "no-create"])
    assert call(client, "POST", "create", token).status_code == 403
    assert call(client, "POST", "lookup", token, {"token": token}).status_code == 200


def test_rewriting_the_default_policy_changes_every_token(client: FlaskClient) -> None:
    token = issue(client, policies=["web"])
    assert call(client, "GET", "lookup-self", token).status_code == 200
    write_policy(client, "default", 'path "auth/token/renew-self" { capabilities = ["update"] }')
    assert call(client, "GET", "lookup-self", token).status_code == 403
    assert call(client, "GET", "sys/policy/default").json["data"]["rules"].startswith('path "auth/token/renew')


def test_a_refused_request_spends_a_use_as_in_vault(client: FlaskClient, app: Flask) -> None:
    token = issue(client, policies=["web"], num_uses=2)
    before = event_count(runtime_of(app))
    assert call(client, "POST", "create", token).status_code == 403
    assert event_count(runtime_of(app)) == before + 1  # the use, recorded as any other
    assert call(client, "GET", "lookup-self", token).json["data"]["num_uses"] == -1  # its last use
    assert call(client, "GET", "lookup-self", token).status_code == 403


def test_a_refused_last_use_revokes_the_token(client: FlaskClient) -> None:
    token = issue(client, policies=["web"], num_uses=1)
    refused = call(client, "POST", "create", token)
    assert (refused.status_code, refused.json) == (403, {"errors": [POLICY_DENIED]})
    assert call(client, "GET", "lookup-self", token).json == {"errors": ["permission denied"]}


def test_a_forged_token_spends_nothing_and_records_nothing(client: FlaskClient, app: Flask) -> None:
    before = event_count(runtime_of(app))
    assert call(client, "POST", "create", "hvs.forged").status_code == 403
    assert event_count(runtime_of(app)) == before


def test_capabilities_self_reports_what_the_policies_grant(client: FlaskClient) -> None:
    write_policy(client, "creator", CREATOR)
    token = issue(client, policies=["creator"])
    body = {"paths": ["auth/token/create", "auth/token/accessors", "auth/token/lookup-self"]}
    data = call(client, "POST", "sys/capabilities-self", token, body).json["data"]
    assert data["auth/token/create"] == ["update"]
    assert data["auth/token/accessors"] == ["deny"]
    assert data["auth/token/lookup-self"] == ["read"]
    assert call(client, "POST", "sys/capabilities-self", body=body).json["data"]["auth/token/create"] == ["root"]


def test_capabilities_of_another_token_or_accessor_spend_none_of_its_uses(client: FlaskClient) -> None:
    write_policy(client, "creator", CREATOR)
    auth = create(client, policies=["creator"], num_uses=3)["auth"]
    by_token = call(client, "POST", "sys/capabilities",
                    body={"token": auth["client_token"], "paths": ["auth/token/create"]})
    by_accessor = call(client, "POST", "sys/capabilities-accessor",
                       body={"accessor": auth["accessor"], "paths": "auth/token/create,sys/policy/x"})
    assert by_token.json["data"]["capabilities"] == ["update"]
    assert by_accessor.json["data"]["sys/policy/x"] == ["deny"]
    assert call(client, "POST", "lookup", body={"token": auth["client_token"]}).json["data"]["num_uses"] == 3



@pytest.mark.parametrize(("path", "body", "message"), [
    ("sys/capabilities", {"token": "hvs.nope", "paths": ["x"]}, "1 error occurred:\n\t* invalid token\n\n"),
    ("sys/capabilities", {"token": "", "paths": ["x"]}, "1 error occurred:\n\t* missing token\n\n"),
    ("sys/capabilities", {"token": "hvs.nope"}, "paths must be supplied"),
    ("sys/capabilities-accessor", {"accessor": "nope", "paths": ["x"]}, "1 error occurred:\n\t* invalid accessor\n\n"),
    ("sys/capabilities-accessor", {"accessor": "nope"}, "1 error occurred:\n\t* invalid accessor\n\n"),
    ("sys/capabilities-accessor", {"paths": ["x"]}, "missing accessor"),
])
def test_capabilities_of_an_unknown_token_or_accessor_are_vaults_400s(
        client: FlaskClient, path: str, body: dict[str, object], message: str) -> None:
    response = call(client, "POST", path, body=body)
    assert (response.status_code, response.json) == (400, {"errors": [message]})
