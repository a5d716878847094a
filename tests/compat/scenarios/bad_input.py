"""Bad input on every endpoint: each field given every wrong JSON type, null and odd values;
malformed and empty bodies; unknown fields; wrong methods; unknown paths; callers whose token is
missing, bogus, revoked or used up."""

from __future__ import annotations

from typing import Any

from tests.compat.differential import ABSENT, Step
from tests.compat.scenarios.steps import create, post, var

ODD_VALUES: dict[str, Any] = {
    "null": None, "float": 1.5, "exponent": 1e3, "years": "1y", "days": "2d", "bool": True, "yes": "yes",
    "list": ["a"], "empty list": [], "object": {"a": 1}, "empty": "", "negative": -1, "word": "abc",
    "digits": "10", "zero": 0,
}

# endpoint -> (caller, the fields it declares)
FIELDS: dict[str, tuple[str, list[str]]] = {
    "auth/token/create": ("root", ["ttl", "explicit_max_ttl", "period", "num_uses", "policies", "meta",
                                   "display_name", "renewable", "no_parent", "no_default_policy", "type",
                                   "bound_cidrs"]),
    "auth/token/renew-self": ("bi", ["increment"]),
    "auth/token/renew": ("root", ["token", "increment"]),
    "auth/token/lookup": ("root", ["token"]),
    "auth/token/lookup-accessor": ("root", ["accessor"]),
    "auth/token/revoke-accessor": ("root", ["accessor"]),
    "auth/token/roles/compat-bi": ("root", ["allowed_policies", "disallowed_policies", "orphan", "period",
                                            "renewable", "explicit_max_ttl", "path_suffix", "token_type",
                                            "token_bound_cidrs", "token_num_uses", "token_ttl"]),
    "sys/policy/compat-bi": ("root", ["policy"]),
    "sys/capabilities-self": ("root", ["path", "paths"]),
}
BASE_BODY: dict[str, dict[str, Any]] = {
    "auth/token/renew": {"token": var("bi")},
    "sys/policy/compat-bi": {"policy": 'path "a" { capabilities = ["read"] }'},
    "sys/capabilities-self": {"path": "a"},
}

RAW_BODIES: dict[str, bytes] = {
    "truncated": b'{"ttl": "1h"', "not json": b"hello", "array": b"[]", "string": b'"x"', "null": b"null",
    "number": b"7", "bom": b'\xef\xbb\xbf{"ttl": "1h"}', "trailing comma": b'{"ttl": "1h",}',
    "two objects": b'{"ttl": "1h"}{"x": 1}', "duplicate keys": b'{"ttl": "1h", "ttl": "2h"}',
    "whitespace": b"  \n ", "empty object": b"{}", "nested null": b'{"meta": {"a": null}}',
    "invalid utf8": b'{"display_name": "\xff"}',
}
METHOD_PATHS = ["auth/token/create", "auth/token/lookup-self", "auth/token/renew", "auth/token/accessors",
                "auth/token/roles/compat-plain", "sys/policy/compat-p1", "sys/capabilities-self",
                "auth/token/tidy", "auth/token/lookup-accessor", "sys/policy"]
UNKNOWN_PATHS = ["auth/token/nope", "auth/token/", "auth/token", "auth/token/roles/", "sys/nope", "sys/policy/",
                 "nope/x", "auth/nope/login", "auth/token/create/", "auth/token/lookup-self/x"]


def odd_values() -> list[Step]:
    steps = [create("bad input: target token", "bi", {"ttl": "1h", "policies": ["compat-reader"]}),
             post("bad input: target role", "auth/token/roles/compat-bi", {})]
    for path, (caller, fields) in FIELDS.items():
        for field in fields:
            for label, value in ODD_VALUES.items():
                body = {**BASE_BODY.get(path, {}), field: value}
                steps.append(Step(f"{path} {field}={label}", "POST", path, body, token=caller))
    return steps


def bodies() -> list[Step]:
    steps: list[Step] = []
    for path in ["auth/token/create", "auth/token/renew-self", "auth/token/lookup", "sys/policy/compat-bi"]:
        caller = "bi" if path.endswith("renew-self") else "root"
        for label, raw in RAW_BODIES.items():
            steps.append(Step(f"{path} body {label}", "POST", path, raw=raw, token=caller,
                              headers={"Content-Type": "application/json"}))
        steps.append(Step(f"{path} no body", "POST", path, token=caller))
        steps.append(Step(f"{path} unknown field", "POST", path, {**BASE_BODY.get(path, {}), "bogus": 1},
                          token=caller))
        steps.append(Step(f"{path} unknown fields", "POST", path,
                          {**BASE_BODY.get(path, {}), "zeta": 1, "alpha": [1], "mid": None}, token=caller))
    steps.append(Step("roles unknown field", "POST", "auth/token/roles/compat-bi", {"bogus": True}))
    steps.append(Step("capabilities unknown field", "POST", "sys/capabilities",
                      {"token": var("bi"), "path": "a", "bogus": True}))
    steps.append(Step("form encoded create", "POST", "auth/token/create", raw=b"ttl=1h",
                      headers={"Content-Type": "application/x-www-form-urlencoded"}))
    return steps


def methods() -> list[Step]:
    steps: list[Step] = []
    for path in METHOD_PATHS:
        for method in ["GET", "PUT", "DELETE", "PATCH", "LIST", "HEAD", "OPTIONS"]:
            steps.append(Step(f"{method} {path}", method, path, {} if method in {"PUT", "PATCH"} else ABSENT))
    return steps


def unknown_paths() -> list[Step]:
    steps: list[Step] = []
    for path in UNKNOWN_PATHS:
        steps.append(Step(f"unknown path GET {path}", "GET", path))
        steps.append(Step(f"unknown path POST {path}", "POST", path, {}))
        steps.append(Step(f"unknown path no token {path}", "GET", path, token=None))
        steps.append(Step(f"unknown path limited token {path}", "GET", path, token="bi"))
    return steps


def callers() -> list[Step]:
    steps = [create("callers: revoked", "cr", {}),
             post("callers: revoke it", "auth/token/revoke", {"token": var("cr")}),
             create("callers: used up", "cu", {"num_uses": 1}),
             Step("callers: use it", "GET", "auth/token/lookup-self", token="cu")]
    requests = [("GET", "auth/token/lookup-self"), ("POST", "auth/token/create"), ("POST", "auth/token/renew-self"),
                ("LIST", "auth/token/accessors"), ("POST", "sys/capabilities-self"), ("GET", "sys/policy"),
                ("POST", "auth/token/revoke-self"), ("GET", "auth/token/roles/compat-plain")]
    for token in ["cr", "cu", "not-a-token", "", None, "s.fakefakefakefakefakefake", "hvs.fakefakefake"]:
        for method, path in requests:
            steps.append(Step(f"caller {token!r} {method} {path}", method, path,
                              {} if method == "POST" else ABSENT, token=token))
    return steps


# Every endpoint asked by a token whose policies grant none of it, and by one granted all but sudo.
ALL_BUT_SUDO = ('path "auth/token/*" { capabilities = ["create", "read", "update", "delete", "list"] }\n'
                'path "sys/*" { capabilities = ["create", "read", "update", "delete", "list"] }\n')
ENDPOINTS: list[tuple[str, str, Any]] = [
    ("POST", "auth/token/create", {}), ("POST", "auth/token/create-orphan", {}),
    ("POST", "auth/token/create/compat-plain", {}), ("POST", "auth/token/lookup", {"token": var("k_plain")}),
    ("POST", "auth/token/lookup-accessor", {"accessor": var("k_plain_acc")}),
    ("POST", "auth/token/renew", {"token": var("k_plain")}),
    ("POST", "auth/token/renew-accessor", {"accessor": var("k_plain_acc")}),
    ("POST", "auth/token/revoke", {"token": "not-a-token"}), ("POST", "auth/token/revoke-accessor", {"accessor": "x"}),
    ("POST", "auth/token/revoke-orphan", {"token": "not-a-token"}), ("LIST", "auth/token/accessors", ABSENT),
    ("LIST", "auth/token/roles", ABSENT), ("GET", "auth/token/roles/compat-plain", ABSENT),
    ("POST", "auth/token/roles/compat-new", {}), ("DELETE", "auth/token/roles/compat-none", ABSENT),
    ("POST", "auth/token/tidy", {}), ("GET", "sys/policy", ABSENT), ("GET", "sys/policy/compat-reader", ABSENT),
    ("POST", "sys/policy/compat-new", {"policy": 'path "a" { capabilities = ["read"] }'}),
    ("DELETE", "sys/policy/compat-none", ABSENT), ("LIST", "sys/policies/acl", ABSENT),
    ("POST", "sys/capabilities", {"token": var("k_plain"), "path": "a"}),
    ("POST", "sys/capabilities-accessor", {"accessor": var("k_plain_acc"), "path": "a"}),
    ("POST", "sys/leases/revoke-prefix/auth/token/nothing", {}),
]


def limited_callers() -> list[Step]:
    steps = [post("limited: policy all but sudo", "sys/policy/compat-all-but-sudo", {"policy": ALL_BUT_SUDO}),
             create("limited: reader", "lr", {"policies": ["compat-reader"]}),
             create("limited: all but sudo", "ls", {"policies": ["compat-all-but-sudo"]})]
    for caller in ("lr", "ls"):
        for method, path, body in ENDPOINTS:
            steps.append(Step(f"limited {caller} {method} {path}", method, path, body, token=caller))
    return steps


def all_steps() -> list[Step]:
    # methods() LISTs the accessors: before the odd values create tokens on one side only
    return [*methods(), *odd_values(), *bodies(), *unknown_paths(), *callers(), *limited_callers()]
