"""The statuses and error texts a Vault client sees where a request is refused or goes nowhere,
each checked against a real ``bao server -dev`` (issue #15): which errors Vault collects (and so
words as go-multierror does), root paths, LIST where no list is served, paths under no mount, and
the use a refused request spends."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.runtimes import ROOT_TOKEN, event_count, recorded_topics
from tests.support.vault_http import API, call, create, issue, write_policy
from tokenledger.web.app import runtime_of

DENIED = "1 error occurred:\n\t* permission denied\n\n"
UNSUPPORTED_PATH = "1 error occurred:\n\t* unsupported path\n\n"
UNSUPPORTED_OPERATION = "1 error occurred:\n\t* unsupported operation\n\n"
EVERYTHING_BUT_SUDO = """
path "auth/token/*" { capabilities = ["create", "read", "update", "delete", "list"] }
path "sys/*" { capabilities = ["create", "read", "update", "delete", "list"] }
path "granted/*" { capabilities = ["read", "list"] }
"""


@pytest.fixture
def user(client: FlaskClient) -> str:
    """A token whose policies grant every operation but sudo on the token and sys paths."""
    write_policy(client, "all-but-sudo", EVERYTHING_BUT_SUDO)
    return issue(client, policies=["all-but-sudo"])


def test_revoke_orphan_without_sudo_is_vaults_400_after_the_token_is_asked_for(client: FlaskClient,
                                                                               user: str) -> None:
    target = issue(client)
    refused = call(client, "POST", "revoke-orphan", user, {"token": target})
    assert (refused.status_code, refused.json) == (
        400, {"errors": ["root or sudo privileges required to revoke and orphan"]})
    missing = call(client, "POST", "revoke-orphan", user, {})
    assert (missing.status_code, missing.json) == (400, {"errors": ["missing token ID"]})
    assert call(client, "POST", "lookup", body={"token": target}).status_code == 200


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "accessors"), ("POST", "accessors"), ("LIST", "accessors"), ("POST", "accessors/x"),
    ("POST", "revoke-orphan/x"), ("GET", "revoke-orphan/x"),
])
def test_root_paths_need_sudo_before_they_are_routed(client: FlaskClient, user: str, method: str,
                                                    path: str) -> None:
    response = call(client, method, path, user)
    assert (response.status_code, response.json) == (403, {"errors": [DENIED]})


def test_sys_root_paths_need_sudo_too(client: FlaskClient, user: str) -> None:
    for path in ("sys/leases/revoke-prefix/auth/token/create", "sys/auth/userpass", "sys/raw/x"):
        response = call(client, "POST", path, user)
        assert (response.status_code, response.json) == (403, {"errors": [DENIED]}), path
    assert call(client, "POST", "sys/raw/x").status_code == 404  # root passes, and finds nothing


@pytest.mark.parametrize("path", ["create", "lookup", "roles/x", "sys/capabilities"])
def test_a_list_where_none_is_served_is_an_unsupported_path(client: FlaskClient, user: str, path: str) -> None:
    for token in (ROOT_TOKEN, user):
        for response in (call(client, "LIST", path, token), call(client, "GET", path, token,
                                                                  query_string={"list": "true"})):
            assert (response.status_code, response.json) == (404, {"errors": [UNSUPPORTED_PATH]}), token


def test_a_list_is_decided_on_the_path_with_a_slash_and_exact_rules_first(client: FlaskClient, user: str) -> None:
    """The default policy's exact rule on ``lookup-self`` grants no list, whatever a glob grants."""
    response = call(client, "LIST", "lookup-self", user)
    assert (response.status_code, response.json) == (403, {"errors": [DENIED]})
    assert call(client, "LIST", "lookup-self").json == {"errors": [UNSUPPORTED_PATH]}


def test_other_methods_on_known_paths_are_unsupported_operations(client: FlaskClient) -> None:
    for method, path in (("DELETE", "create"), ("GET", "renew"), ("PATCH", "create"), ("GET", "accessors"),
                         ("GET", "lookup-accessor"), ("OPTIONS", "create")):
        response = call(client, method, path, headers={"Content-Type": "application/merge-patch+json"})
        assert (response.status_code, response.json) == (405, {"errors": [UNSUPPORTED_OPERATION]}), path


def test_paths_under_no_mount_check_the_token_and_policies_first(client: FlaskClient, app: Flask,
                                                                 user: str) -> None:
    no_handler = {"errors": ['no handler for route "nothing/here". route entry not found.']}
    for token in ("", "hvs.forged"):
        refused = client.get("/v1/nothing/here", headers={"X-Vault-Token": token} if token else {})
        assert (refused.status_code, refused.json) == (403, {"errors": ["permission denied"]})
    not_granted = client.get("/v1/nothing/here", headers={"X-Vault-Token": user})
    assert (not_granted.status_code, not_granted.json) == (403, {"errors": [DENIED]})
    granted = client.get("/v1/granted/here", headers={"X-Vault-Token": user})
    assert (granted.status_code, granted.json["errors"]) == (404, [no_handler["errors"][0].replace("nothing",
                                                                                                      "granted")])
    as_root = client.get("/v1/nothing/here", headers={"X-Vault-Token": ROOT_TOKEN})
    assert (as_root.status_code, as_root.json) == (404, no_handler)
    listed = client.open("/v1/nothing/here", method="LIST", headers={"X-Vault-Token": ROOT_TOKEN})
    assert listed.json == {"errors": ['no handler for route "nothing/here/". route entry not found.']}
    assert client.get("/elsewhere").status_code == 404  # outside /v1, no token is asked for


def test_a_path_under_no_mount_spends_a_use_granted_or_not(client: FlaskClient, app: Flask, user: str) -> None:
    write_policy(client, "some", 'path "granted/*" { capabilities = ["read"] }')
    token = issue(client, policies=["some"], num_uses=3)
    headers = {"X-Vault-Token": token}
    assert client.get("/v1/granted/x", headers=headers).status_code == 404
    assert client.get("/v1/elsewhere/x", headers=headers).status_code == 403
    assert call(client, "GET", "lookup-self", token).json["data"]["num_uses"] == -1  # the third and last use
    assert client.get("/v1/granted/x", headers=headers).json == {"errors": ["permission denied"]}


def test_a_refused_request_records_its_use_as_an_event(client: FlaskClient, app: Flask) -> None:
    write_policy(client, "narrow", 'path "auth/token/lookup-self" { capabilities = ["read"] }')
    token = issue(client, policies=["narrow"], num_uses=2, no_default_policy=True)
    before = recorded_topics(runtime_of(app))
    assert call(client, "POST", "create", token).status_code == 403
    assert [name for _, name in recorded_topics(runtime_of(app))[len(before):]] == ["TokenUsed"]
    assert call(client, "GET", "lookup-self", token).status_code == 200
    assert call(client, "GET", "lookup-self", token).status_code == 403


def test_lookup_without_a_token_looks_up_the_caller(client: FlaskClient, user: str) -> None:
    own = call(client, "GET", "lookup-self", user).json["data"]["accessor"]
    for body in ({}, {"token": ""}, None):
        for method in ("POST", "PUT"):
            response = client.open(f"{API}/lookup", method=method, headers={"X-Vault-Token": user},
                                   data=b"" if body is None else None, json=body)
            assert response.status_code == 200, response.json
            assert response.json["data"]["accessor"] == own


@pytest.mark.parametrize("path", ["lookup-accessor", "renew-accessor", "revoke-accessor"])
def test_accessor_errors_are_collected_as_in_vault(client: FlaskClient, path: str) -> None:
    missing = call(client, "POST", path, body={"accessor": ""})
    assert (missing.status_code, missing.json) == (400, {"errors": ["1 error occurred:\n\t* missing accessor\n\n"]})
    if path != "revoke-accessor":  # which warns instead
        invalid = call(client, "POST", path, body={"accessor": "nope"})
        assert (invalid.status_code, invalid.json) == (
            400, {"errors": ["1 error occurred:\n\t* invalid accessor\n\n"]})


def test_a_revoked_or_expired_token_is_an_invalid_token_to_capabilities(client: FlaskClient) -> None:
    token = issue(client)
    assert call(client, "POST", "revoke", body={"token": token}).status_code == 204
    response = call(client, "POST", "sys/capabilities", body={"token": token, "paths": ["x"]})
    assert (response.status_code, response.json) == (400, {"errors": ["1 error occurred:\n\t* invalid token\n\n"]})


def test_sys_policy_takes_the_deprecated_rules_with_vaults_warning(client: FlaskClient, app: Flask) -> None:
    text = 'path "a" { capabilities = ["read"] }'
    written = call(client, "PUT", "sys/policy/old-style", body={"rules": text})
    assert (written.status_code, written.json["warnings"]) == (
        200, ["'rules' is deprecated, please use 'policy' instead"])
    assert call(client, "GET", "sys/policy/old-style").json["data"]["rules"] == text
    assert call(client, "PUT", "sys/policy/new-style", body={"policy": text, "rules": "x"}).status_code == 204
    before = event_count(runtime_of(app))
    refused = call(client, "PUT", "sys/policies/acl/acl-style", body={"rules": text})
    assert (refused.status_code, refused.json) == (400, {"errors": ["'policy' parameter not supplied or empty"]})
    assert event_count(runtime_of(app)) == before


def test_renewing_the_initial_root_token_is_an_invalid_lease(client: FlaskClient) -> None:
    """OpenBao's root token from initialisation has no lease; one created with ``policies=root``
    has a lease that is not renewable."""
    response = call(client, "POST", "renew-self")
    assert (response.status_code, response.json) == (400, {"errors": ["invalid lease ID"]})
    child = create(client, policies=["root"])["auth"]["client_token"]
    response = call(client, "POST", "renew-self", child)
    assert (response.status_code, response.json) == (400, {"errors": ["lease is not renewable"]})


def test_head_is_vaults_header_operation_which_no_policy_grants_and_no_route_serves(client: FlaskClient,
                                                                                    user: str) -> None:
    assert client.head(f"{API}/lookup-self", headers={"X-Vault-Token": user}).status_code == 403
    assert client.head(f"{API}/lookup-self", headers={"X-Vault-Token": ROOT_TOKEN}).status_code == 405
    assert client.head(f"{API}/nope", headers={"X-Vault-Token": ROOT_TOKEN}).status_code == 404
    assert client.head(f"{API}/lookup-self").status_code == 403



def test_an_accessor_renewal_that_is_refused_answers_only_vaults_invalid_request(client: FlaskClient) -> None:
    accessor = create(client, renewable=False, ttl="1h")["auth"]["accessor"]
    refused = call(client, "POST", "renew-accessor", body={"accessor": accessor})
    assert (refused.status_code, refused.json) == (400, {"errors": ["1 error occurred:\n\t* invalid request\n\n"]})
