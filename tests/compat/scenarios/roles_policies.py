"""Roles (write, read, list, create from, delete) and policies and capabilities."""

from __future__ import annotations

from typing import Any

from tests.compat.differential import Step
from tests.compat.scenarios.steps import create, delete, get, listing, lookups, post, var

ROLES: dict[str, dict[str, Any]] = {
    "plain": {},
    "allowed": {"allowed_policies": ["compat-reader", "a"], "orphan": True},
    "disallowed": {"disallowed_policies": ["b"], "renewable": False},
    "periodic": {"period": "1h", "allowed_policies": ["compat-reader"]},
    "token-period": {"token_period": "2h"},
    "max": {"explicit_max_ttl": "2h", "token_explicit_max_ttl": "2h"},
    "suffix": {"path_suffix": "v1", "token_num_uses": 4},
    "batch": {"token_type": "batch", "orphan": True},
    "default-service": {"token_type": "default-service"},
    "cidrs": {"token_bound_cidrs": ["127.0.0.1/32"], "token_no_default_policy": True},
    "glob": {"allowed_policies_glob": ["compat-*"], "disallowed_policies_glob": ["compat-x*"]},
    "aliases": {"allowed_entity_aliases": ["web", "ci*"]},
    "strings": {"allowed_policies": "compat-reader,a", "period": 3600},
}


def roles() -> list[Step]:
    steps: list[Step] = []
    for label, body in ROLES.items():
        path = f"auth/token/roles/compat-{label}"
        steps += [
            post(f"role {label}: write", path, body),
            get(f"role {label}: read", path),
            create(f"role {label}: create", f"role_{label.replace('-', '_')}", {},
                   path=f"auth/token/create/compat-{label}"),
            *lookups(f"role {label}", f"role_{label.replace('-', '_')}"),
        ]
    steps += [
        post("role allowed: create other policy", "auth/token/create/compat-allowed", {"policies": ["zzz"]}),
        post("role allowed: create subset", "auth/token/create/compat-allowed", {"policies": ["a"]},
             client_token="auth.client_token"),
        post("role disallowed: create disallowed", "auth/token/create/compat-disallowed", {"policies": ["b"]}),
        post("role glob: create matching", "auth/token/create/compat-glob", {"policies": ["compat-reader"]}),
        post("role glob: create disallowed", "auth/token/create/compat-glob", {"policies": ["compat-x1"]}),
        post("role periodic: renew-self", "auth/token/renew-self", {"increment": "5h"}, token="role_periodic"),
        post("role: update", "auth/token/roles/compat-plain", {"orphan": True, "period": "10m"}),
        get("role: read updated", "auth/token/roles/compat-plain"),
        listing("roles: list", "auth/token/roles"),
        get("roles: GET list=true", "auth/token/roles?list=true"),
        get("roles: GET without list", "auth/token/roles"),
        get("role: read missing", "auth/token/roles/nope"),
        post("role: create from missing", "auth/token/create/nope", {}),
        delete("role: delete", "auth/token/roles/compat-suffix"),
        delete("role: delete again", "auth/token/roles/compat-suffix"),
        get("role: read deleted", "auth/token/roles/compat-suffix"),
        post("role: token of deleted role renews", "auth/token/renew", {"token": var("role_suffix")}),
        post("role: name with slash", "auth/token/roles/a/b", {}),
        post("role: bad token_type", "auth/token/roles/compat-bad", {"token_type": "x"}),
        post("role: batch renewable", "auth/token/roles/compat-bad", {"token_type": "batch", "renewable": True}),
        post("role: both periods", "auth/token/roles/compat-bad", {"period": "1h", "token_period": "2h"}),
        post("role: bad period", "auth/token/roles/compat-bad", {"period": "forever"}),
        post("role: bad cidr", "auth/token/roles/compat-bad", {"bound_cidrs": ["300.0.0.1/8"]}),
        get("role: bad never written", "auth/token/roles/compat-bad"),
        create("role child", "rc", {"policies": ["compat-creator"]}),
        post("role child: create from role", "auth/token/create/compat-allowed", {}, token="rc"),
        post("role child: write role denied", "auth/token/roles/x", {}, token="rc"),
    ]
    return steps


HCL = 'path "secret/*" {\n  capabilities = ["read", "list"]\n}\n'
JSON_POLICY = '{"path": {"kv/*": {"capabilities": ["create", "update"]}}}'


def policies() -> list[Step]:
    return [
        post("policy: write", "sys/policy/compat-p1", {"policy": HCL}),
        get("policy: read", "sys/policy/compat-p1"),
        post("policy: write json", "sys/policy/compat-p2", {"policy": JSON_POLICY}),
        get("policy: read json", "sys/policy/compat-p2"),
        Step("policy: write PUT", "PUT", "sys/policy/compat-p3", {"policy": HCL}),
        post("policy: write rules", "sys/policy/compat-p4", {"rules": HCL}),
        get("policy: read rules", "sys/policy/compat-p4"),
        get("policies: list", "sys/policy"),
        listing("policies: LIST", "sys/policy"),
        get("policy: read default", "sys/policy/default"),
        get("policy: read root", "sys/policy/root"),
        get("policy: read missing", "sys/policy/nope"),
        post("policy: write root", "sys/policy/root", {"policy": HCL}),
        delete("policy: delete root", "sys/policy/root"),
        delete("policy: delete default", "sys/policy/default"),
        post("policy: bad hcl", "sys/policy/compat-bad", {"policy": 'path "x" {'}),
        post("policy: bad capability", "sys/policy/compat-bad", {"policy": 'path "x" { capabilities = ["fly"] }'}),
        post("policy: two unknown keys", "sys/policy/compat-bad",
             {"policy": 'path "a" { capabilities = ["read"]\n foo = 1\n bar = 2 }'}),
        post("policy: empty", "sys/policy/compat-bad", {"policy": ""}),
        post("policy: missing", "sys/policy/compat-bad", {}),
        post("policy: upper case name", "sys/policy/Compat-Upper", {"policy": HCL}),
        get("policy: read upper case", "sys/policy/compat-upper"),
        delete("policy: delete", "sys/policy/compat-p3"),
        delete("policy: delete missing", "sys/policy/compat-p3"),
        post("acl: write", "sys/policies/acl/compat-a1", {"policy": HCL}),
        get("acl: read", "sys/policies/acl/compat-a1"),
        listing("acl: list", "sys/policies/acl"),
        get("acl: GET list=true", "sys/policies/acl?list=true"),
        get("acl: read missing", "sys/policies/acl/nope"),
        post("acl: write rules", "sys/policies/acl/compat-a2", {"rules": HCL}),
        post("acl: missing policy", "sys/policies/acl/compat-a2", {}),
        delete("acl: delete", "sys/policies/acl/compat-a1"),
        get("acl: read deleted", "sys/policies/acl/compat-a1"),
        get("acl: read default", "sys/policies/acl/default"),
    ]


def capabilities() -> list[Step]:
    return [
        post("caps: root one path", "sys/capabilities", {"token": var("root"), "path": "secret/x"}),
        post("caps: root paths", "sys/capabilities", {"token": var("root"), "paths": ["a", "b"]}),
        post("caps: one path", "sys/capabilities", {"token": var("k_policies"), "path": "secret/x"}),
        post("caps: one in paths", "sys/capabilities", {"token": var("k_policies"), "paths": ["secret/x"]}),
        post("caps: several paths", "sys/capabilities",
             {"token": var("k_policies"), "paths": ["secret/x", "auth/token/lookup-self", "none"]}),
        post("caps: path and paths", "sys/capabilities", {"token": var("k_policies"), "path": "a", "paths": ["b"]}),
        post("caps: no path", "sys/capabilities", {"token": var("k_policies")}),
        post("caps: no token", "sys/capabilities", {"path": "a"}),
        post("caps: bad token", "sys/capabilities", {"token": "nope", "path": "a"}),
        post("caps: revoked token", "sys/capabilities", {"token": var("v2"), "path": "a"}),
        post("caps-self: one", "sys/capabilities-self", {"path": "secret/x"}, token="k_policies"),
        post("caps-self: several", "sys/capabilities-self", {"paths": ["secret/x", "kv/y"]}, token="k_policies"),
        post("caps-self: root", "sys/capabilities-self", {"path": "anything"}),
        post("caps-self: no path", "sys/capabilities-self", {}, token="k_policies"),
        post("caps-self: token field", "sys/capabilities-self", {"path": "secret/x", "token": var("k_plain")},
             token="k_policies"),
        post("caps-accessor: one", "sys/capabilities-accessor",
             {"accessor": var("k_policies_acc"), "path": "secret/x"}),
        post("caps-accessor: several", "sys/capabilities-accessor",
             {"accessor": var("k_policies_acc"), "paths": ["secret/x", "auth/token/create"]}),
        post("caps-accessor: bad", "sys/capabilities-accessor", {"accessor": "nope", "path": "a"}),
        post("caps-accessor: missing", "sys/capabilities-accessor", {"path": "a"}),
        post("caps-accessor: denied", "sys/capabilities-accessor",
             {"accessor": var("root_acc"), "path": "a"}, token="k_policies"),
        get("caps: GET", "sys/capabilities"),
    ]


def all_steps() -> list[Step]:
    return [*roles(), *policies(), *capabilities()]
