"""Attacks an adversarial probe tried and tokenledger withstood, kept so they keep failing.

Path tricks, namespace crossings, the audit login's redirects, and forwarded headers that try to
satisfy a token's bound CIDRs. Each test asserts the exact refusal, so a change that lets one
through fails here. Secrets at rest and the audit pages' escaping need a real store
(tests/integration/security/test_held_attacks.py), the socket address a real server
(tests/e2e/security/test_held_attacks.py).
"""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.held_attacks import NO_TOKEN, SPOOFING_HEADERS, errors, log_in
from tests.support.runtimes import ROOT_TOKEN, event_count
from tests.support.vault_http import call, issue, write_policy
from tokenledger.web.app import runtime_of

DENIED = ["1 error occurred:\n\t* permission denied\n\n"]  # refused by the policies
UNSUPPORTED_PATH = ["1 error occurred:\n\t* unsupported path\n\n"]
ADMIN = 'path "*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }'


def recorded(app: Flask) -> int:
    return event_count(runtime_of(app))


# ------------------------------------------------------------------ path tricks


@pytest.fixture
def privileged_role(client: FlaskClient) -> str:
    """A role handing out ``admin``, and a token that may create tokens except against that role:
    every route to ``create/priv`` must meet the deny."""
    write_policy(client, "admin", ADMIN)
    assert call(client, "PUT", "roles/priv", body={"allowed_policies": ["admin"]}).status_code == 204
    write_policy(client, "limited", """
        path "auth/token/create" { capabilities = ["update"] }
        path "auth/token/create/*" { capabilities = ["update"] }
        path "auth/token/create/priv" { capabilities = ["deny"] }
        path "auth/token/x/*" { capabilities = ["update", "read"] }
        path "auth/token/+/create" { capabilities = ["update"] }
    """)
    return issue(client, policies=["limited"], no_default_policy=True)


@pytest.mark.one_store
@pytest.mark.parametrize(("path", "status", "message"), [
    ("create/priv", 403, DENIED),
    ("create%2Fpriv", 403, DENIED),  # an encoded slash is a slash: same path, same rule
    ("create%2fpriv", 403, DENIED),
    ("create/%70riv", 403, DENIED),  # an encoded letter is that letter
    ("create/priv;x=1", 400, ["unknown role priv;x=1"]),
    ("create/PRIV", 400, ["unknown role PRIV"]),  # role names are exact: no folding after the check
    ("create/Priv", 400, ["unknown role Priv"]),
    ("create/priv.", 400, ["unknown role priv."]),
    ("create/priv%20", 400, ["unknown role priv "]),
    ("create/%E2%84%AAriv", 400, ["unknown role \u212ariv"]),  # the Kelvin sign is not a 'k'
    ("x/../create/priv", 404, UNSUPPORTED_PATH),  # dot segments are not resolved
    ("x/%2e%2e/create/priv", 404, UNSUPPORTED_PATH),
    ("./create/priv", 403, DENIED),  # unknown paths meet the policies first, as in Vault
    ("create/./priv", 404, UNSUPPORTED_PATH),
    ("create//priv", 404, UNSUPPORTED_PATH),
    ("CREATE/priv", 403, DENIED),
    ("create/priv/", 400, ["cannot write to a path ending in '/'"]),
])
def test_no_spelling_of_a_denied_role_path_creates_a_token(
    client: FlaskClient, app: Flask, privileged_role: str, path: str, status: int, message: list[str]
) -> None:
    before = recorded(app)
    response = call(client, "POST", path, privileged_role, {})
    assert (response.status_code, errors(response)) == (status, message)
    assert recorded(app) == before


@pytest.mark.one_store
@pytest.mark.parametrize("url", ["/v1/auth/token//create/priv", "/v1//auth/token/create/priv"])
def test_doubled_slashes_redirect_to_the_one_path_the_policies_see(
    client: FlaskClient, app: Flask, privileged_role: str, url: str
) -> None:
    before = recorded(app)
    headers = {"X-Vault-Token": privileged_role}
    response = client.post(url, json={}, headers=headers)
    assert (response.status_code, response.headers["Location"]) == (308, "http://localhost/v1/auth/token/create/priv")
    followed = client.post(url, json={}, headers=headers, follow_redirects=True)
    assert (followed.status_code, errors(followed)) == (403, DENIED)
    assert recorded(app) == before


@pytest.mark.one_store
@pytest.mark.parametrize(("path", "status"), [
    ("AUTH/token/lookup-self", 404), ("auth/Token/lookup-self", 404), ("auth/token/LOOKUP-SELF", 404),
    ("auth/token/lookup-self.", 404), ("auth/token/lookup-self/.", 404), ("auth/token/lookup-self%00", 400),
])
def test_case_and_trailing_dot_variants_of_a_route_reach_nothing(client: FlaskClient, path: str, status: int) -> None:
    response = client.get(f"/v1/{path}", headers={"X-Vault-Token": ROOT_TOKEN})
    assert response.status_code == status
    assert "data" not in (response.get_json(silent=True) or {})


@pytest.mark.one_store
def test_a_token_in_a_legacy_path_is_never_logged_or_echoed(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = issue(client, ttl="1h")
    forged = "hvs.CAESIForgedButTokenShapedValue0123456789abcdef"
    responses = [
        client.get(f"/v1/auth/token/lookup/{token}", headers={"X-Vault-Token": ROOT_TOKEN}),
        client.post(f"/v1/auth/token/renew/{token}", json={}, headers={"X-Vault-Token": ROOT_TOKEN}),
        client.get(f"/v1/auth/token/lookup/{forged}", headers={"X-Vault-Token": ROOT_TOKEN}),
        client.post(f"/v1/auth/token/revoke/{forged}", json={}, headers={"X-Vault-Token": ROOT_TOKEN}),
        client.post(f"/v1/auth/token/revoke-orphan/{forged}", json={}, headers={"X-Vault-Token": ROOT_TOKEN}),
        client.post(f"/v1/auth/token/revoke/{token}", json={}, headers={"X-Vault-Token": ROOT_TOKEN}),
        client.get(f"/v1/auth/token/lookup/{token}", headers={"X-Vault-Token": ROOT_TOKEN}),
    ]
    assert [r.status_code for r in responses] == [200, 200, 403, 204, 400, 204, 403]
    logged = "\n".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    assert "route" in logged  # the request log ran: the scan below is real
    for value in (token, forged):
        assert value not in logged
        assert value.removeprefix("hvs.") not in logged
    for response in responses[2:]:
        assert forged not in response.get_data(as_text=True) and token not in response.get_data(as_text=True)


# ------------------------------------------------------------------ namespace crossings


@pytest.fixture
def eu_admin(client: FlaskClient) -> str:
    """A token of namespace ``eu`` whose policies there allow everything."""
    write_policy(client, "admin", ADMIN, query_string={"site": "eu"})
    response = call(client, "POST", "create", body={"policies": ["admin"]}, query_string={"site": "eu"})
    assert response.status_code == 200, response.json
    value: str = response.json["auth"]["client_token"]
    return value


@pytest.mark.one_store
@pytest.mark.parametrize(("method", "path", "where"), [
    ("GET", "lookup-self", {}),
    ("GET", "lookup-self", {"site": "us"}),
    ("GET", "lookup-self", {"X-Vault-Namespace": "us"}),
    ("GET", "lookup-self", {"X-Vault-Namespace": "EU"}),
    ("POST", "create", {}),
    ("POST", "create", {"site": "us"}),
    ("PUT", "sys/policy/default", {}),
    ("PUT", "sys/policy/default", {"X-Vault-Namespace": "us"}),
    ("GET", "sys/policy/admin", {"site": "us"}),
    ("LIST", "accessors", {}),
])
def test_a_namespace_token_cannot_act_in_another_namespace_or_the_root(
    client: FlaskClient, app: Flask, eu_admin: str, method: str, path: str, where: dict[str, str]
) -> None:
    site = {k: v for k, v in where.items() if k == "site"}
    headers = {k: v for k, v in where.items() if k != "site"}
    body = {"policy": ADMIN} if path.startswith("sys/policy/") and method == "PUT" else {}
    before = recorded(app)
    response = call(client, method, path, eu_admin, body, query_string=site, headers=headers)
    assert (response.status_code, errors(response)) == (403, NO_TOKEN)
    assert recorded(app) == before
    assert call(client, "GET", "lookup-self", eu_admin, query_string={"site": "eu"}).status_code == 200


@pytest.mark.one_store
@pytest.mark.parametrize(("where", "message"), [
    ({"site": "eu", "X-Vault-Namespace": "us"}, "the 'site' parameter and the X-Vault-Namespace header disagree"),
    ({"X-Vault-Namespace": "eu/us"}, "invalid namespace"),
    ({"X-Vault-Namespace": "../us"}, "invalid namespace"),
    ({"site": "eu/../us"}, "invalid namespace"),
])
def test_namespace_names_that_try_to_escape_are_refused(
    client: FlaskClient, eu_admin: str, where: dict[str, str], message: str
) -> None:
    site = {k: v for k, v in where.items() if k == "site"}
    headers = {k: v for k, v in where.items() if k != "site"}
    response = call(client, "GET", "lookup-self", eu_admin, query_string=site, headers=headers)
    assert response.status_code == 400 and errors(response)[0].startswith(message)


@pytest.mark.one_store
def test_a_namespace_admin_cannot_reach_other_namespaces_tokens_by_accessor(client: FlaskClient, eu_admin: str) -> None:
    root_accessor = call(client, "GET", "lookup-self").json["data"]["accessor"]
    us = call(client, "POST", "create", body={"ttl": "1h"}, query_string={"site": "us"}).json["auth"]
    in_eu = {"site": "eu"}
    for accessor in (root_accessor, us["accessor"]):
        for path in ("lookup-accessor", "renew-accessor"):
            response = call(client, "POST", path, eu_admin, {"accessor": accessor}, query_string=in_eu)
            invalid = ["1 error occurred:\n\t* invalid accessor\n\n"]
            assert (response.status_code, errors(response)) == (400, invalid), path
        revoked = call(client, "POST", "revoke-accessor", eu_admin, {"accessor": accessor}, query_string=in_eu)
        assert (revoked.status_code, revoked.json["warnings"]) == (200, ["No token found with this accessor"])
    assert call(client, "GET", "lookup-self", us["client_token"], query_string={"site": "us"}).status_code == 200
    assert call(client, "GET", "lookup-self").status_code == 200


@pytest.mark.one_store
def test_a_root_namespace_token_acts_in_a_namespace_only_where_the_prefixed_path_is_granted(
    client: FlaskClient,
) -> None:
    write_policy(client, "eu-creator", """
        path "eu/auth/token/create" { capabilities = ["update"] }
        path "auth/token/lookup-self" { capabilities = ["read"] }
    """)
    token = issue(client, policies=["eu-creator"], no_default_policy=True)
    created = call(client, "POST", "create", token, {"ttl": "1h"}, query_string={"site": "eu"})
    assert created.status_code == 200
    refused = [
        call(client, "POST", "create", token, {}, query_string={"site": "us"}),
        call(client, "POST", "create", token, {}),
        call(client, "POST", "create", token, {}, headers={"X-Vault-Namespace": "us"}),
        call(client, "GET", "lookup-self", token, query_string={"site": "eu"}),  # granted unprefixed only
    ]
    assert [(r.status_code, errors(r)) for r in refused] == [(403, DENIED)] * 4


# ------------------------------------------------------------------ secrets at rest


# ------------------------------------------------------------------ the audit page




@pytest.mark.one_store
def test_the_login_page_escapes_its_next_parameter(client: FlaskClient) -> None:
    page = client.get("/ui/login", query_string={"next": '/ui/"><script>alert(1)</script>'}).get_data(as_text=True)
    assert "<script" not in page


@pytest.mark.one_store
@pytest.mark.parametrize("target", [
    "https://elsewhere.example/", "//elsewhere.example/ui/", "/\\elsewhere.example/", "\\\\elsewhere.example/",
    "https:elsewhere.example", "/ui/\\..\\\\elsewhere.example", "%2F%2Felsewhere.example", "javascript:alert(1)",
    " //elsewhere.example/", "\t//elsewhere.example/", "/ui/\t//elsewhere.example",
])
def test_login_never_redirects_to_another_origin(client: FlaskClient, target: str) -> None:
    response = log_in(client, next=target)
    location = response.headers.get("Location", "")
    assert response.status_code == 302
    assert location.startswith("/ui/") and "\\" not in location  # a path of this origin, whatever follows
    assert "://" not in location and "javascript" not in location


# ------------------------------------------------------------------ forwarded headers and bound CIDRs


@pytest.mark.one_store
@pytest.mark.parametrize("spoof", SPOOFING_HEADERS)
def test_forwarded_headers_do_not_satisfy_bound_cidrs(client: FlaskClient, spoof: dict[str, str]) -> None:
    token = issue(client, ttl="1h", bound_cidrs=["10.0.0.0/8"])
    response = call(client, "GET", "lookup-self", token, headers=spoof)
    assert (response.status_code, errors(response)) == (403, NO_TOKEN)
    inside = call(client, "GET", "lookup-self", token, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert inside.status_code == 200  # the binding itself works: only the headers are refused
