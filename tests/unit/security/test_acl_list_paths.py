"""Finding 9: LIST and paths ending in ``/`` are decided as OpenBao decides them.

The ACL's own decisions, then the same through the API. Each expectation was checked against
OpenBao 2.7.2 (``bao server -dev``); tests/e2e/security/test_acl_differential.py compares
thousands more.
"""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from tests.support.runtimes import ROOT_TOKEN
from tests.support.vault_http import call, issue, write_policy
from tokenledger.domain.acl import ACL
from tokenledger.domain.policy_document import parse_policy


def grant(pattern: str, *capabilities: str) -> str:
    return f'path "{pattern}" {{ capabilities = {json.dumps(list(capabilities))} }}\n'


def acl_of(*rules: str) -> ACL:
    return ACL([parse_policy("p", "".join(rules))])


# ------------------------------------------------------------------ the ACL itself


def test_list_of_a_directory_applies_the_glob_on_its_name_before_a_plus_on_its_parent() -> None:
    acl = acl_of(grant("auth/token/ro*", "read"), grant("auth/token/+", "list"))
    assert not acl.decide("auth/token/roles", "list").allowed
    assert acl.capabilities("auth/token/roles/") == ["read"]


def test_capabilities_of_a_slash_path_take_a_glob_under_it_before_a_plus_on_the_bare_name() -> None:
    acl = acl_of(grant("auth/token/+", "list"), grant("auth/token/create/*", "create"))
    assert acl.capabilities("auth/token/create/") == ["create"]
    assert acl.capabilities("auth/token/create") == ["list"]


def test_a_deny_under_a_directory_holds_against_a_list_grant_on_its_parent() -> None:
    """OpenBao's GHSA-xp3c-3jw3-4vcr: Vault's order let ``foo/*`` list ``foo/private``."""
    acl = acl_of(grant("foo/*", "list"), grant("foo/private/*", "deny"))
    assert acl.decide("foo/public", "list").allowed
    assert not acl.decide("foo/private", "list").allowed
    assert acl.capabilities("foo/private/") == ["deny"]
    assert acl.capabilities("foo/private") == ["list"]


def test_the_bare_name_is_tried_for_a_listing_only_when_nothing_matches_the_slash_path() -> None:
    acl = acl_of(grant("kv/+", "list"))
    assert acl.decide("kv/dir", "list").allowed
    assert acl.capabilities("kv/dir/") == ["list"]
    assert not acl.decide("kv/dir/", "read").allowed


# ------------------------------------------------------------------ over HTTP

DENIED = ["1 error occurred:\n\t* permission denied\n\n"]


def token_with(client: FlaskClient, *rules: str) -> str:
    write_policy(client, "under-test", "".join(rules))
    return issue(client, policies=["under-test"], no_default_policy=True)


def capabilities(client: FlaskClient, token: str, *paths: str) -> dict[str, list[str]]:
    response = call(client, "POST", "sys/capabilities", ROOT_TOKEN, {"token": token, "paths": list(paths)})
    assert response.status_code == 200, response.json
    return {path: response.json["data"][path] for path in paths}


@pytest.mark.one_store
def test_list_roles_is_refused_where_the_applying_rule_grants_only_read(client: FlaskClient) -> None:
    token = token_with(client, grant("auth/token/ro*", "read"), grant("auth/token/+", "list"))
    for method, path in [("LIST", "roles"), ("LIST", "roles/"), ("GET", "roles?list=true")]:
        response = call(client, method, path, token)
        assert (response.status_code, response.json["errors"]) == (403, DENIED), path


@pytest.mark.one_store
def test_capabilities_of_create_slash_follow_the_glob_under_it(client: FlaskClient) -> None:
    token = token_with(client, grant("auth/token/+", "list"), grant("auth/token/create/*", "create"))
    assert capabilities(client, token, "auth/token/create/", "auth/token/roles/") == {
        "auth/token/create/": ["create"], "auth/token/roles/": ["list"],
    }


@pytest.mark.one_store
def test_a_read_of_a_slash_path_is_checked_on_that_path(client: FlaskClient) -> None:
    """``GET roles/`` is a read of ``auth/token/roles/``, which ``auth/token/roles`` does not grant."""
    token = token_with(client, grant("auth/token/roles", "read"))
    response = call(client, "GET", "roles/", token)
    assert (response.status_code, response.json["errors"]) == (403, DENIED)


@pytest.mark.one_store
def test_writing_to_a_path_ending_in_a_slash_is_refused_before_any_check(client: FlaskClient) -> None:
    token = token_with(client, grant("auth/token/revoke/*", "update"))
    response = call(client, "PUT", "revoke/some-token/", token)
    assert (response.status_code, response.json["errors"]) == (400, ["cannot write to a path ending in '/'"])
