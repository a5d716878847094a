"""Finding 9: LIST and paths ending in ``/`` are decided as OpenBao decides them.

Through the API; tests/unit/security/test_acl_list_paths.py asks the ACL itself. Each expectation
was checked against OpenBao 2.7.2 (``bao server -dev``); tests/e2e/security/test_acl_differential.py
compares thousands more.
"""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from tests.support.runtimes import ROOT_TOKEN
from tests.support.vault_http import call, issue, write_policy

DENIED = ["1 error occurred:\n\t* permission denied\n\n"]


def grant(pattern: str, *capabilities: str) -> str:
    return f'path "{pattern}" {{ capabilities = {json.dumps(list(capabilities))} }}\n'


def token_with(client: FlaskClient, *rules: str) -> str:
    write_policy(client, "under-test", "".join(rules))
    return issue(client, policies=["under-test"], no_default_policy=True)


def capabilities(client: FlaskClient, token: str, *paths: str) -> dict[str, list[str]]:
    response = call(client, "POST", "sys/capabilities", ROOT_TOKEN, {"token": token, "paths": list(paths)})
    assert response.status_code == 200, response.json
    return {path: response.json["data"][path] for path in paths}


# ------------------------------------------------------------------ the ACL itself


# ------------------------------------------------------------------ over HTTP


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_list_roles_is_refused_where_the_applying_rule_grants_only_read(client: FlaskClient) -> None:
    token = token_with(client, grant("auth/token/ro*", "read"), grant("auth/token/+", "list"))
    for method, path in [("LIST", "roles"), ("LIST", "roles/"), ("GET", "roles?list=true")]:
        response = call(client, method, path, token)
        assert (response.status_code, response.json["errors"]) == (403, DENIED), path


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_capabilities_of_create_slash_follow_the_glob_under_it(client: FlaskClient) -> None:
    token = token_with(client, grant("auth/token/+", "list"), grant("auth/token/create/*", "create"))
    assert capabilities(client, token, "auth/token/create/", "auth/token/roles/") == {
        "auth/token/create/": ["create"], "auth/token/roles/": ["list"],
    }


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_a_read_of_a_slash_path_is_checked_on_that_path(client: FlaskClient) -> None:
    """``GET roles/`` is a read of ``auth/token/roles/``, which ``auth/token/roles`` does not grant."""
    token = token_with(client, grant("auth/token/roles", "read"))
    response = call(client, "GET", "roles/", token)
    assert (response.status_code, response.json["errors"]) == (403, DENIED)


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_writing_to_a_path_ending_in_a_slash_is_refused_before_any_check(client: FlaskClient) -> None:
    token = token_with(client, grant("auth/token/revoke/*", "update"))
    response = call(client, "PUT", "revoke/some-token/", token)
    assert (response.status_code, response.json["errors"]) == (400, ["cannot write to a path ending in '/'"])
