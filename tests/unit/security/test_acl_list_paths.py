"""Finding 9: LIST and paths ending in ``/`` are decided as OpenBao decides them.

The ACL's own decisions; tests/integration/security/test_acl_list_paths.py checks them through
the API. Each expectation was checked against OpenBao 2.7.2 (``bao server -dev``);
tests/e2e/security/test_acl_differential.py compares thousands more.
"""

from __future__ import annotations

import json

from tokenledger.domain.acl import ACL
from tokenledger.domain.policy_document import parse_policy


def grant(pattern: str, *capabilities: str) -> str:
    return f'path "{pattern}" {{ capabilities = {json.dumps(list(capabilities))} }}\n'


def acl_of(*rules: str) -> ACL:
    return ACL([parse_policy("p", "".join(rules))])


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
