"""Authorization bypasses found by the adversarial probe of issue 13 (findings 1 and 2).

Finding 1: ``role_name`` in the body of ``create``/``create-orphan`` named a role without the
role path's ACL check. Vault and OpenBao ignore it there ("Endpoint ignored these unrecognized
parameters"); only ``create/<role>`` (ACL path ``auth/token/create/<role>``) names a role.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.runtimes import change_count, event_count
from tests.support.vault_http import call, issue, write_policy
from tokenledger.web.app import runtime_of

IGNORED_ROLE_NAME = "Endpoint ignored these unrecognized parameters: [role_name]"
REPLACED_ROLE_NAME = ("Endpoint replaced the value of these parameters with the values captured "
                      "from the endpoint's path: [role_name]")

CREATOR = """
path "auth/token/create" { capabilities = ["update"] }
path "auth/token/create-orphan" { capabilities = ["update"] }
path "auth/token/create/*" { capabilities = ["deny"] }
path "auth/token/create/open" { capabilities = ["update"] }
"""


@pytest.fixture
def creator(client: FlaskClient) -> str:
    """A token that may create tokens, but not against the role ``priv`` (which grants admin)."""
    write_policy(client, "admin", 'path "*" { capabilities = ["create", "read", "update", "delete", "sudo"] }')
    write_policy(client, "creator", CREATOR)
    for name, body in [("priv", {"allowed_policies": ["admin"], "orphan": True}),
                       ("open", {"allowed_policies": ["creator"]})]:
        assert call(client, "POST", f"roles/{name}", body=body).status_code == 204
    return issue(client, policies=["creator"])


def _lookup(client: FlaskClient, accessor: str) -> dict[str, Any]:
    data: dict[str, Any] = call(client, "POST", "lookup-accessor", body={"accessor": accessor}).json["data"]
    return data


@pytest.mark.parametrize("endpoint", ["create", "create-orphan"])
def test_role_name_in_a_create_body_is_ignored(client: FlaskClient, creator: str, endpoint: str) -> None:
    response = call(client, "POST", endpoint, creator, {"role_name": "priv"})
    assert response.status_code == 200, response.json
    auth = response.json["auth"]
    assert "admin" not in auth["policies"] and auth["policies"] == ["creator", "default"]
    assert auth["orphan"] is (endpoint == "create-orphan")
    assert IGNORED_ROLE_NAME in response.json["warnings"]
    looked_up = _lookup(client, auth["accessor"])
    assert looked_up["path"] == f"auth/token/{endpoint}" and "admin" not in looked_up["policies"]


@pytest.mark.parametrize("endpoint", ["create", "create-orphan"])
def test_role_name_in_a_form_body_is_ignored(client: FlaskClient, creator: str, endpoint: str) -> None:
    response = client.post(f"/v1/auth/token/{endpoint}", data="role_name=priv",
                           headers={"X-Vault-Token": creator,
                                    "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200, response.json
    assert "admin" not in response.json["auth"]["policies"]
    assert IGNORED_ROLE_NAME in response.json["warnings"]


def test_a_role_is_named_by_the_path_and_checked_there(client: FlaskClient, creator: str) -> None:
    assert call(client, "POST", "create/priv", creator, {}).status_code == 403
    assert call(client, "POST", "create/priv", creator, {"role_name": "open"}).status_code == 403


def test_the_path_role_wins_over_a_body_role_name(client: FlaskClient, creator: str) -> None:
    """As OpenBao: the path's value replaces the body's, with its warning."""
    response = call(client, "POST", "create/open", creator, {"role_name": "priv"})
    assert response.status_code == 200, response.json
    auth = response.json["auth"]
    assert auth["policies"] == ["creator", "default"] and auth["orphan"] is False
    assert REPLACED_ROLE_NAME in response.json["warnings"]
    assert _lookup(client, auth["accessor"])["path"] == "auth/token/create/open"


def test_a_root_token_gets_no_role_from_a_body_either(app: Flask, client: FlaskClient, creator: str) -> None:
    response = call(client, "POST", "create", body={"role_name": "priv", "policies": ["creator"]})
    assert response.status_code == 200
    assert response.json["auth"]["orphan"] is False
    assert _lookup(client, response.json["auth"]["accessor"])["path"] == "auth/token/create"


# -- finding 2: the ACL decides on the policy name as it will be stored --------------------------
#
# OpenBao 2.7.2 answers 403 to each of these: it normalises the name in the request path before
# the ACL sees it, so the rule for "sys/policy/admin" decides "sys/policy/ADMIN" too.

PREFIXES = ("sys/policy", "sys/policies/acl")
PROTECTED = {  # URL segment -> the protected policy it reaches once trimmed and lower-cased
    "ADMIN": "admin", "Admin": "admin", "admin%20": "admin", "%20admin": "admin",
    "%09ADMIN%0A": "admin", "%E2%84%AAadmin": "kadmin", "DEFAULT": "default", "Default%20": "default",
}
ORIGINAL = 'path "secret/*" { capabilities = ["read"] }'
TAMPERED = 'path "*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }'


def _policy_writer_denied_the_protected(client: FlaskClient) -> str:
    rules = "".join(
        f'path "{prefix}/*" {{ capabilities = ["create", "read", "update", "delete"] }}\n'
        + "".join(f'path "{prefix}/{name}" {{ capabilities = ["deny"] }}\n'
                  for name in ("admin", "kadmin", "default"))
        for prefix in PREFIXES
    )
    write_policy(client, "policy-writer", rules)
    for name in ("admin", "kadmin"):
        write_policy(client, name, ORIGINAL)
    return issue(client, policies=["policy-writer"])


def _texts(client: FlaskClient) -> dict[str, str]:
    return {name: call(client, "GET", f"sys/policy/{name}").json["data"]["rules"]
            for name in ("admin", "kadmin", "default")}


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("segment", sorted(PROTECTED))
def test_a_variant_of_a_denied_policy_name_is_denied(
    app: Flask, client: FlaskClient, prefix: str, segment: str
) -> None:
    writer = _policy_writer_denied_the_protected(client)
    before, events = _texts(client), event_count(runtime_of(app))
    path = f"{prefix}/{segment}"
    for method, body in [("PUT", {"policy": TAMPERED}), ("POST", {"policy": TAMPERED}),
                         ("DELETE", None), ("GET", None)]:
        response = call(client, method, path, writer, body)
        assert response.status_code == 403, (method, path, response.json)
        assert response.json == {"errors": ["1 error occurred:\n\t* permission denied\n\n"]}
    assert _texts(client) == before and event_count(runtime_of(app)) == events


@pytest.mark.parametrize("prefix", PREFIXES)
def test_other_names_are_written_under_their_normal_form(client: FlaskClient, prefix: str) -> None:
    """The same normalisation grants what it should: ``Other `` is the policy ``other``."""
    writer = _policy_writer_denied_the_protected(client)
    assert call(client, "PUT", f"{prefix}/Other%20", writer, {"policy": ORIGINAL}).status_code == 204
    read = call(client, "GET", f"{prefix}/%20OTHER", writer)
    assert read.status_code == 200 and read.json["data"]["name"] == "other"
    assert call(client, "DELETE", f"{prefix}/OTHER", writer).status_code == 204
    assert call(client, "GET", f"{prefix}/other", writer).status_code == 404


def test_a_deny_on_a_name_that_is_never_stored_does_not_protect_its_normal_form(client: FlaskClient) -> None:
    """As OpenBao: the ACL sees only the normalised path, so a rule for "sys/policy/Foo" never
    matches (the name is stored as "foo")."""
    write_policy(client, "odd", 'path "sys/policy/*" { capabilities = ["update"] }\n'
                               'path "sys/policy/Foo" { capabilities = ["deny"] }')
    token = issue(client, policies=["odd"])
    assert call(client, "PUT", "sys/policy/Foo", token, {"policy": ORIGINAL}).status_code == 204
    assert call(client, "GET", "sys/policy/foo").json["data"]["rules"] == ORIGINAL


@pytest.mark.parametrize(("method", "legacy", "status"), [
    ("GET", True, 200), ("GET", False, 405), ("PUT", True, 405), ("PUT", False, 405),
    ("DELETE", True, 405), ("DELETE", False, 405),
])
def test_a_name_of_only_spaces_addresses_the_list(
    app: Flask, client: FlaskClient, method: str, legacy: bool, status: int
) -> None:
    """OpenBao: sys/policy/%20 is sys/policy/ (its ACL path too): GET lists, writes are 405."""
    events = change_count(runtime_of(app))  # a served GET may record the root token's use
    path = "sys/policy/%20" if legacy else "sys/policies/acl/%20"
    response = call(client, method, path, body={"policy": ORIGINAL} if method == "PUT" else None)
    assert response.status_code == status, response.json
    if status == 200:
        assert "default" in response.json["data"]["keys"]
    assert change_count(runtime_of(app)) == events


@pytest.mark.parametrize(("method", "path"), [
    ("LIST", "sys/policies/acl"), ("LIST", "sys/policies/acl/"), ("GET", "sys/policies/acl/?list=true"),
    ("GET", "sys/policy"),
])
def test_the_policy_lists_have_no_name_to_normalise(client: FlaskClient, method: str, path: str) -> None:
    response = call(client, method, path)
    assert response.status_code == 200, response.json
    assert "default" in response.json["data"]["keys"]
