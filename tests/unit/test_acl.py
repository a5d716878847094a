"""Vault's ACL policy language and its evaluation (vault/policy.go, vault/acl.go, policy docs)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tokenledger.domain.acl import ACL, Decision
from tokenledger.domain.errors import InvalidRequest
from tokenledger.domain.policy_document import (
    DEFAULT_POLICY_TEXT,
    PathRule,
    check_policy_name_deletable,
    check_policy_name_writable,
    parse_policy,
)


def acl_of(*policy_texts: str) -> ACL:
    return ACL(parse_policy(f"policy-{index}", text) for index, text in enumerate(policy_texts))


def grant(pattern: str, *capabilities: str) -> str:
    """The HCL of a one-block policy."""
    return f'path "{pattern}" {{ capabilities = {json.dumps(list(capabilities))} }}'


def rules_of(text: str) -> set[PathRule]:
    return set(parse_policy("p", text).rules)


def rule(pattern: str, *capabilities: str) -> PathRule:
    return PathRule(pattern, frozenset(capabilities))


# ------------------------------------------------------------------ reading the policy language


def test_hcl_path_blocks_with_every_comment_style_become_rules() -> None:
    text = """
    # hash comment
    path "secret/*" {
      capabilities = ["read", "list"]   // line comment
    }
    /* block
       comment */
    path "auth/token/create" { capabilities = ["create", "update", "sudo"] }
    """
    assert parse_policy("web", text).rules == (
        rule("secret/*", "read", "list"),
        rule("auth/token/create", "create", "update", "sudo"),
    )


def test_json_policy_reads_like_its_hcl_twin() -> None:
    hcl = 'path "auth/token/*" { capabilities = ["read"] }\npath "sys/x" { policy = "deny" }'
    as_json = '{"path": {"auth/token/*": {"capabilities": ["read"]}, "sys/x": {"policy": "deny"}}}'
    assert rules_of(as_json) == rules_of(hcl) == {rule("auth/token/*", "read"), rule("sys/x", "deny")}


def test_json_path_may_also_be_a_list_of_objects() -> None:
    text = '{"path": [{"a": {"capabilities": ["read"]}}, {"b": {"capabilities": ["list"]}}]}'
    assert rules_of(text) == {rule("a", "read"), rule("b", "list")}


@pytest.mark.parametrize(
    ("legacy", "capabilities"),
    [
        ("deny", {"deny"}),
        ("read", {"read", "list"}),
        ("write", {"create", "read", "update", "delete", "list"}),
        ("sudo", {"create", "read", "update", "delete", "list", "sudo"}),
    ],
)
def test_old_policy_values_map_to_capabilities(legacy: str, capabilities: set[str]) -> None:
    (parsed,) = rules_of(f'path "secret/a" {{ policy = "{legacy}" }}')
    assert parsed.capabilities == capabilities


def test_deny_in_a_block_discards_every_other_capability_even_unknown_later_ones() -> None:
    assert rules_of('path "a" { capabilities = ["read", "deny", "bogus"] }') == {rule("a", "deny")}


def test_a_leading_slash_in_a_pattern_is_dropped() -> None:
    assert rules_of('path "/secret/a" { capabilities = ["read"] }') == {rule("secret/a", "read")}


def test_newer_capabilities_vault_accepts_are_kept() -> None:
    text = 'path "a" { capabilities = ["patch", "subscribe", "recover"] }'
    assert rules_of(text) == {rule("a", "patch", "subscribe", "recover")}


def test_settings_vault_knows_are_accepted_without_effect_on_capabilities() -> None:
    text = """
    path "secret/a" {
      capabilities        = ["create", "update"]
      comment             = "parameters are not enforced here"
      allowed_parameters  = { "*" = [], "colour" = ["red", "green"] }
      denied_parameters   = { "admin" = [] }
      required_parameters = ["colour"]
      min_wrapping_ttl    = "1m"
      max_wrapping_ttl    = 3600
      mfa_methods         = ["totp"]
      subscribe_event_types = ["kv*"]
    }
    """
    assert rules_of(text) == {rule("secret/a", "create", "update")}


def test_a_policy_with_no_path_blocks_is_accepted_and_grants_nothing() -> None:
    """Vault stores such a policy (e.g. only comments, or a ``name``) and it allows nothing."""
    document = parse_policy("empty", '# nothing yet\nname = "empty"\n')
    assert document.rules == ()
    assert ACL([document]).capabilities("secret/a") == ["deny"]


def test_document_keeps_its_text_and_a_normalised_name() -> None:
    text = 'path "a" { capabilities = ["read"] }'
    document = parse_policy("  Web-Team ", text)
    assert (document.name, document.text) == ("web-team", text)


def test_empty_policy_text_is_refused_like_vaults_policy_endpoint() -> None:
    with pytest.raises(InvalidRequest, match="^'policy' parameter not supplied or empty$"):
        parse_policy("p", "")


MULTI_ERROR = "1 error occurred:\n\t* {}\n\n"  # go-multierror's rendering, passed on by Vault


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            'path "secret/*" { capabilities = ["read", "write"] }',
            'path "secret/*": invalid capability "write"',
        ),
        ('path "secret/*" { policy = "admin" }', 'path "secret/*": invalid policy "admin"'),
        (
            'paths "secret/*" { capabilities = ["read"] }',
            MULTI_ERROR.format('invalid key "paths" on line 0'),
        ),
        (
            'path "a" {\n  capability = ["read"]\n}',
            MULTI_ERROR.format('path "a": invalid key "capability" on line 2'),
        ),
        (
            'path "a" {\n  capabilities = ["list"]\n  pagination_limit = 10\n}',
            MULTI_ERROR.format('path "a": invalid key "pagination_limit" on line 3'),
        ),
        (
            '{"path": {"a": "read"}}',
            MULTI_ERROR.format('path "path": invalid key "a" on line 1'),
        ),
        (
            'path "secret/+*" { capabilities = ["read"] }',
            "path \"secret/+*\": invalid use of wildcards ('+*' is forbidden)",
        ),
        (
            'path "a" { capabilities = "read" }',
            'path "a": At 1:27: unknown slice type: *ast.LiteralType',
        ),
        ('path "a" { capabilities = ["read"]', "At 1:36: object expected closing RBRACE got: EOF"),
        ('path "a" { capabilities = ["read" }', "At 1:35: error parsing list, expected comma or list end, got: RBRACE"),
        ('path "a" { capabilities = }', "At 1:27: Unknown token: 1:27 RBRACE }"),
        ("path a b", "At 1:10: key 'path a b' expected start of object ('{') or assignment ('=')"),
        ('path "a" { a }', "At 1:14: key 'a' expected start of object ('{') or assignment ('=')"),
        ("10", "At 1:1: expected: IDENT | STRING | ASSIGN | LBRACE got: NUMBER"),
        ("= 1", "At 1:1: no object keys found!"),
        ("@", "At 1:1: illegal char"),
        ('path "x" { capabilities = ["re\\qd"] }', "At 1:32: illegal char escape"),
        ('path "a {\n  capabilities = ["read"]\n}', "At 1:10: literal not terminated"),
        ('path "a" { capabilities = ["read"] } /* open', "At 1:45: comment not terminated"),
        (
            'path "a" = { capabilities = ["read"] }',
            "At 1:10: nested object expected: LBRACE got: ASSIGN",
        ),
        ('{"path": {"a": {"capabilities": ["read"]}}', "At 1:44: expected: RBRACE got: EOF"),
        (
            'path "a" { capabilities = ["read"]\n min_wrapping_ttl = "soon" }',
            'error parsing min_wrapping_ttl: time: invalid duration "soon"',
        ),
        (
            'path "a" { capabilities = ["read"]\n min_wrapping_ttl = "1h"\n max_wrapping_ttl = 6 }',
            "max_wrapping_ttl cannot be less than min_wrapping_ttl",
        ),
        ('path "a" { comment = ' + "[" * 5000 + "]" * 5000 + " }", "nested too deeply"),
        (
            'path "identity/entity/id/{{identity.entity.id" { capabilities = ["read"] }',
            "failed to validate policy templating: unbalanced templating characters",
        ),
    ],
)
def test_malformed_policies_are_refused_with_vaults_message(text: str, reason: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse_policy("p", text)
    assert str(refused.value) == f"failed to parse policy: {reason}"


@pytest.mark.parametrize(
    ("check", "name", "message"),
    [
        (check_policy_name_writable, "root", 'cannot update "root" policy'),
        (check_policy_name_writable, " ROOT ", 'cannot update "root" policy'),
        (check_policy_name_writable, "control-group", 'cannot update "control-group" policy'),
        (check_policy_name_writable, "   ", "policy name must be provided in the URL"),
        (check_policy_name_deletable, "root", 'cannot delete "root" policy'),
        (check_policy_name_deletable, "Default", "cannot delete default policy"),
    ],
)
def test_built_in_policy_names_are_protected(
    check: Callable[[str], str], name: str, message: str
) -> None:
    with pytest.raises(InvalidRequest, match=f"^{message}$"):
        check(name)


def test_ordinary_names_and_updating_default_are_allowed_after_normalising() -> None:
    assert check_policy_name_writable(" Web ") == "web"
    assert check_policy_name_writable("default") == "default"
    assert check_policy_name_deletable("WEB") == "web"


# ------------------------------------------------------------------ which rule applies


def test_exact_path_grants_only_that_path() -> None:
    acl = acl_of(grant("secret/foo", "read"))
    assert acl.decide("secret/foo", "read").allowed
    assert not acl.decide("secret/food", "read").allowed
    assert not acl.decide("secret/foo/bar", "read").allowed


def test_trailing_glob_is_a_plain_prefix_match() -> None:
    acl = acl_of(grant("secret/bar/*", "read"), grant("secret/zip-*", "read"))
    for granted in ("secret/bar/zip", "secret/bar/zip/zap", "secret/zip-zap", "secret/zip-zap/z"):
        assert acl.decide(granted, "read").allowed, granted
    for refused in ("secret/bars/zip", "secret/zip/zap", "secret/bar"):
        assert not acl.decide(refused, "read").allowed, refused


def test_plus_matches_exactly_one_segment() -> None:
    acl = acl_of(grant("secret/+/teamb", "read"))
    assert acl.decide("secret/foo/teamb", "read").allowed
    assert not acl.decide("secret/foo/bar/teamb", "read").allowed
    assert not acl.decide("secret/foo/teamb/key", "read").allowed
    assert not acl.decide("secret/teamb", "read").allowed


def test_plus_combines_with_a_trailing_glob() -> None:
    acl = acl_of(grant("secret/+/team*", "read"))
    assert acl.decide("secret/foo/teamb", "read").allowed
    assert acl.decide("secret/foo/teamb/key", "read").allowed
    assert not acl.decide("secret/foo/other", "read").allowed


def test_exact_match_beats_any_wildcard_match() -> None:
    acl = acl_of(
        grant("secret/*", "create", "read", "update", "delete", "list"),
        grant("secret/super-secret", "deny"),
        grant("secret/only-read", "read"),
    )
    assert not acl.decide("secret/super-secret", "read").allowed
    assert not acl.decide("secret/only-read", "update").allowed
    assert acl.decide("secret/other", "update").allowed


@pytest.mark.parametrize(
    ("lower", "higher", "path", "reason"),
    [
        ("+/*", "*", "foo/bar/bar/baz", "same first wildcard, fewer + segments"),
        ("+/*", "foo/+/*", "foo/bar/bar/baz", "first wildcard comes later"),
        ("secret/+/+/foo/*", "secret/*", "secret/a/b/foo/c", "docs example: more + segments lose"),
        ("foo/+/+/*", "foo/+/bar/baz", "foo/bar/bar/baz", "more + segments lose"),
        ("foo/+/+/baz", "foo/+/bar/baz", "foo/bar/bar/baz", "more + segments lose"),
        ("foo/+/(ar/baz", "foo/(ar/+/baz", "foo/(ar/(ar/baz", "first wildcard comes later"),
        ("foo/bar/+/baz*", "foo/bar/+/baz", "foo/bar/bar/baz", "ending in * loses"),
        ("foo/bar/+/b*", "foo/bar/+/ba*", "foo/bar/bar/baz", "shorter loses"),
        ("secret/*", "secret/a*", "secret/abc", "longer glob prefix wins"),
        ("foo/+/x/+", "foo/+/+/yy", "foo/a/x/yy", "longer wins, though lexicographically smaller"),
    ],
)
def test_most_specific_wildcard_pattern_applies(
    lower: str, higher: str, path: str, reason: str
) -> None:
    acl = acl_of(grant(lower, "read"), grant(higher, "update"))
    assert acl.decide(path, "update").allowed, reason
    assert not acl.decide(path, "read").allowed, reason


# ------------------------------------------------------------------ merging, deny, sudo, root


def test_same_pattern_in_several_policies_grants_the_union() -> None:
    acl = acl_of(grant("secret/*", "read"), grant("secret/*", "list"))
    assert acl.capabilities("secret/a") == ["list", "read"]


def test_repeated_blocks_for_one_pattern_in_a_policy_merge_too() -> None:
    document = parse_policy("p", grant("secret/a", "read") + "\n" + grant("secret/a", "list"))
    assert len(document.rules) == 2
    assert ACL([document]).capabilities("secret/a") == ["list", "read"]


def test_deny_for_a_pattern_in_any_policy_wins_over_grants_for_that_pattern() -> None:
    acl = acl_of(
        grant("secret/*", "read", "sudo"),
        grant("secret/*", "deny"),
        grant("secret/*", "update"),
    )
    assert acl.decide("secret/a", "read") == Decision(allowed=False, sudo=False)
    assert acl.capabilities("secret/a") == ["deny"]


def test_deny_on_a_less_specific_pattern_does_not_override_a_more_specific_grant() -> None:
    acl = acl_of(grant("secret/*", "deny"), grant("secret/open", "read"))
    assert acl.decide("secret/open", "read").allowed
    assert not acl.decide("secret/closed", "read").allowed


def test_sudo_comes_from_the_rule_that_applies() -> None:
    acl = acl_of(
        grant("auth/token/*", "create", "update", "sudo"),
        grant("auth/token/create-orphan", "update"),
    )
    assert acl.decide("auth/token/create", "update") == Decision(allowed=True, sudo=True)
    assert acl.decide("auth/token/create-orphan", "update") == Decision(allowed=True, sudo=False)
    assert acl.decide("auth/token/create", "read") == Decision(allowed=False, sudo=True)


@pytest.mark.parametrize("acl", [ACL.root(), ACL([parse_policy("root", "# built in")])])
def test_root_allows_everything_with_sudo(acl: ACL) -> None:
    assert acl.is_root
    assert acl.decide("sys/anything/at/all", "delete") == Decision(allowed=True, sudo=True)
    assert acl.capabilities("any/path") == ["root"]


def test_request_paths_may_start_with_a_slash() -> None:
    acl = acl_of(grant("/auth/token/lookup-self", "read"))
    assert acl.decide("/auth/token/lookup-self", "read").allowed


def test_templated_paths_never_match_without_an_identity_entity() -> None:
    acl = acl_of(grant("secret/{{identity.entity.id}}/*", "read"))
    assert not acl.decide("secret/{{identity.entity.id}}/x", "read").allowed


def test_unknown_operation_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        acl_of(grant("a", "read")).decide("a", "write")


# ------------------------------------------------------------------ LIST and trailing slashes


def test_list_is_checked_on_the_directory_with_or_without_its_slash() -> None:
    acl = acl_of(grant("auth/token/accessors", "list"))
    assert acl.decide("auth/token/accessors", "list").allowed
    assert acl.decide("auth/token/accessors/", "list").allowed
    assert not acl.decide("auth/token/accessors", "read").allowed


def test_list_through_a_plus_rule_cannot_bypass_a_deny_under_the_directory() -> None:
    acl = acl_of(grant("kv/+", "list"), grant("kv/private/*", "deny"))
    assert acl.decide("kv/public", "list").allowed
    assert not acl.decide("kv/private", "list").allowed


# ------------------------------------------------------------------ sys/capabilities answers


def test_capabilities_are_sorted_names_or_deny() -> None:
    acl = acl_of(
        grant("secret/*", "update", "read", "sudo", "list", "create"),
        grant("secret/nothing"),
        grant("secret/blocked", "deny"),
    )
    assert acl.capabilities("secret/a") == ["create", "list", "read", "sudo", "update"]
    assert acl.capabilities("secret/nothing") == ["deny"]
    assert acl.capabilities("secret/blocked") == ["deny"]
    assert acl.capabilities("elsewhere") == ["deny"]


# ------------------------------------------------------------------ the built-in default policy


def test_default_policy_lets_a_token_manage_itself_but_not_create_tokens() -> None:
    acl = ACL([parse_policy("default", DEFAULT_POLICY_TEXT)])
    assert acl.decide("auth/token/lookup-self", "read") == Decision(allowed=True, sudo=False)
    for self_service in ("auth/token/renew-self", "auth/token/revoke-self", "sys/capabilities-self"):
        assert acl.decide(self_service, "update").allowed, self_service
    assert acl.decide("cubbyhole/notes", "create").allowed
    assert not acl.decide("auth/token/create", "create").allowed
    assert not acl.decide("auth/token/create", "update").allowed
    assert not acl.decide("auth/token/lookup", "update").allowed
    assert acl.capabilities("auth/token/create") == ["deny"]


def test_several_errors_of_one_path_are_listed_with_the_path_on_each_as_vault_prefixes_them() -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse_policy("p", 'path "a" { capabilities = ["read"]\n foo = 1\n bar = 2 }')
    assert str(refused.value) == ('failed to parse policy: 2 errors occurred:\n'
                                  '\t* path "a": invalid key "foo" on line 2\n'
                                  '\t* path "a": invalid key "bar" on line 3\n\n')
