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

from tests.vault_http import call, issue, write_policy

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
