"""Tokens: every kind created, looked up in every form, renewed, used up and revoked."""

from __future__ import annotations

from tests.compat.differential import Step
from tests.compat.scenarios.steps import create, delete, get, listing, lookups, post, var

READER = 'path "auth/token/lookup-self" { capabilities = ["read"] }\npath "secret/*" { capabilities = ["read"] }\n'
CREATOR = (
    'path "auth/token/create" { capabilities = ["create", "update"] }\n'
    'path "auth/token/create/*" { capabilities = ["create", "update"] }\n'
    'path "auth/token/create-orphan" { capabilities = ["update"] }\n'
    'path "auth/token/revoke-orphan" { capabilities = ["update"] }\n'
    'path "auth/token/renew" { capabilities = ["update"] }\n'
    'path "auth/token/lookup" { capabilities = ["update"] }\n'
)

KINDS: dict[str, dict[str, object]] = {
    "plain": {},
    "policies": {"policies": ["compat-reader", "other"]},
    "ttl": {"ttl": "1h"},
    "ttl-seconds": {"ttl": 600},
    "max": {"ttl": "1h", "explicit_max_ttl": "2h"},
    "period": {"period": "30m", "policies": ["compat-reader"]},
    "uses": {"num_uses": 5},
    "meta": {"meta": {"team": "a", "app": "web"}},
    "name": {"display_name": "Build Bot"},
    "not-renewable": {"renewable": False, "ttl": "1h"},
    "no-default": {"no_default_policy": True, "policies": ["compat-reader"]},
    "orphan": {"no_parent": True},
    "cidrs": {"bound_cidrs": ["127.0.0.1/32", "10.0.0.0/8"]},
    "everything": {"policies": ["compat-reader"], "ttl": "2h", "explicit_max_ttl": "3h", "num_uses": 9,
                   "meta": {"k": "v"}, "display_name": "all", "renewable": True},
}


# Requests whose answer carries Vault's adjustments: capped TTLs, sanitised policies, warnings.
ADJUSTED: dict[str, dict[str, object]] = {
    "ttl past the max": {"ttl": "9999h"},
    "ttl past explicit max": {"ttl": "5h", "explicit_max_ttl": "1h"},
    "period and explicit max": {"period": "2h", "explicit_max_ttl": "1h"},
    "period past the max": {"period": "9999h"},
    "lease alias": {"lease": "1h"},
    "lease and ttl": {"lease": "1h", "ttl": "2h"},
    "policies sanitised": {"policies": [" Web ", "DB", "web", "", "default"]},
    "root policy": {"policies": ["root"]},
    "root policy with others": {"policies": ["root", "web"]},
    "no default but default": {"no_default_policy": True, "policies": ["default"]},
    "only default": {"policies": ["default"]},
    "entity alias without role": {"entity_alias": "web"},
    "display name odd": {"display_name": "  Ünïcode / Name!  "},
    "meta empty": {"meta": {}},
    "num_uses zero": {"num_uses": 0},
    "explicit max only": {"explicit_max_ttl": "90m"},
    "renewable false batch": {"type": "batch", "renewable": False},
    "batch orphan": {"type": "batch", "no_parent": True},
}


def adjusted() -> list[Step]:
    steps: list[Step] = []
    for index, (label, body) in enumerate(ADJUSTED.items()):
        steps.append(create(f"adjusted {label}", f"adj{index}", body))
        steps.append(post(f"adjusted {label}: lookup", "auth/token/lookup", {"token": var(f"adj{index}")}))
    return steps


def setup() -> list[Step]:
    return [
        post("setup: policy reader", "sys/policy/compat-reader", {"policy": READER}),
        post("setup: policy creator", "sys/policy/compat-creator", {"policy": CREATOR}),
        get("root: lookup-self", "auth/token/lookup-self"),
        Step("root: lookup-self saves accessor", "GET", "auth/token/lookup-self", save={"root_acc": "data.accessor"}),
        post("root: lookup by value", "auth/token/lookup", {"token": var("root")}),
        post("root: lookup-accessor", "auth/token/lookup-accessor", {"accessor": var("root_acc")}),
        post("root: renew-self", "auth/token/renew-self", {}),
        post("root: renew", "auth/token/renew", {"token": var("root")}),
        post("root: capabilities-self", "sys/capabilities-self", {"path": "auth/token/create"}),
    ]


def kinds() -> list[Step]:
    steps: list[Step] = []
    for label, body in KINDS.items():
        name = f"k_{label.replace('-', '_')}"
        steps.append(create(f"kind {label}", name, body))
        steps += lookups(f"kind {label}", name)
    steps.append(create("kind orphan endpoint", "k_orph", {"policies": ["compat-reader"]},
                        path="auth/token/create-orphan"))
    steps += lookups("kind orphan endpoint", "k_orph")
    steps.append(create("kind custom id", "k_id", {"id": "compat-custom-id-1"}))
    steps += lookups("kind custom id", "k_id")
    steps.append(create("kind custom id again", "k_id2", {"id": "compat-custom-id-1"}))
    steps.append(create("kind batch", "k_batch", {"type": "batch", "policies": ["compat-reader"], "ttl": "20m"}))
    steps += lookups("kind batch", "k_batch", as_root=False)
    steps += [
        post("kind batch: lookup", "auth/token/lookup", {"token": var("k_batch")}),
        post("kind batch: renew-self", "auth/token/renew-self", {}, token="k_batch"),
        post("kind batch: create child", "auth/token/create", {}, token="k_batch"),
        post("kind batch: revoke", "auth/token/revoke", {"token": var("k_batch")}),
        create("kind batch with num_uses", "k_batch2", {"type": "batch", "num_uses": 3}),
        create("kind batch periodic", "k_batch3", {"type": "batch", "period": "1h"}),
        create("kind service explicit", "k_svc", {"type": "service"}),
        create("kind unknown type", "k_bad", {"type": "default"}),
        create("kind type junk", "k_bad", {"type": "x"}),
    ]
    return steps


def renewals() -> list[Step]:
    return [
        create("renew", "r1", {"ttl": "1h", "explicit_max_ttl": "3h"}),
        post("renew: self", "auth/token/renew-self", {}, token="r1"),
        post("renew: self increment", "auth/token/renew-self", {"increment": "2h"}, token="r1"),
        post("renew: self increment seconds", "auth/token/renew-self", {"increment": 1800}, token="r1"),
        post("renew: by value", "auth/token/renew", {"token": var("r1"), "increment": "30m"}),
        post("renew: by value in path", "auth/token/renew/" + var("r1"), {}),
        post("renew: by accessor", "auth/token/renew-accessor", {"accessor": var("r1_acc"), "increment": 600}),
        post("renew: past explicit max", "auth/token/renew", {"token": var("r1"), "increment": "10h"}),
        *lookups("renew", "r1"),
        create("renew periodic", "r2", {"period": "1h"}),
        post("renew periodic: self", "auth/token/renew-self", {"increment": "5h"}, token="r2"),
        *lookups("renew periodic", "r2", as_root=False),
        create("renew not renewable", "r3", {"renewable": False, "ttl": "1h"}),
        post("renew not renewable: self", "auth/token/renew-self", {}, token="r3"),
        post("renew not renewable: accessor", "auth/token/renew-accessor", {"accessor": var("r3_acc")}),
        post("renew: bad token", "auth/token/renew", {"token": "not-a-token"}),
        post("renew: bad accessor", "auth/token/renew-accessor", {"accessor": "not-an-accessor"}),
        post("renew: missing token", "auth/token/renew", {}),
        post("renew: missing accessor", "auth/token/renew-accessor", {}),
    ]


def limited_use() -> list[Step]:
    return [
        create("uses", "u1", {"num_uses": 3, "policies": ["compat-reader"]}),
        get("uses: 1st", "auth/token/lookup-self", token="u1"),
        post("uses: lookup by root", "auth/token/lookup", {"token": var("u1")}),
        get("uses: 2nd", "auth/token/lookup-self", token="u1"),
        get("uses: 3rd", "auth/token/lookup-self", token="u1"),
        get("uses: used up", "auth/token/lookup-self", token="u1"),
        post("uses: used up by root", "auth/token/lookup", {"token": var("u1")}),
        post("uses: used up by accessor", "auth/token/lookup-accessor", {"accessor": var("u1_acc")}),
        create("uses refused", "u2", {"num_uses": 2, "policies": ["compat-reader"]}),
        listing("uses refused: refused request", "auth/token/accessors", token="u2"),
        post("uses refused: lookup by root", "auth/token/lookup", {"token": var("u2")}),
        create("uses one", "u3", {"num_uses": 1, "policies": ["compat-creator"]}),
        post("uses one: creates a child", "auth/token/create", {"policies": ["compat-creator"]}, token="u3"),
        post("uses one: after", "auth/token/lookup", {"token": var("u3")}),
    ]


def children() -> list[Step]:
    return [
        create("parent", "p1", {"policies": ["compat-creator", "compat-reader"], "ttl": "2h"}),
        create("child", "c1", {"policies": ["compat-reader"], "ttl": "1h"}, token="p1"),
        *lookups("child", "c1"),
        create("child of child", "c2", {"policies": ["compat-reader"]}, token="c1"),
        create("child wider policy", "c3", {"policies": ["root"]}, token="p1"),
        create("child other policy", "c3", {"policies": ["unrelated"]}, token="p1"),
        create("child no policies", "c4", {}, token="p1"),
        *lookups("child no policies", "c4"),
        create("child orphan refused", "c5", {"no_parent": True}, token="p1"),
        create("child orphan endpoint", "c6", {}, token="p1", path="auth/token/create-orphan"),
        create("child ttl beyond parent", "c7", {"ttl": "10h"}, token="p1"),
        *lookups("child ttl beyond parent", "c7"),
        create("child custom id refused", "c8", {"id": "child-custom"}, token="p1"),
        create("child periodic refused", "c9", {"period": "1h"}, token="p1"),
        create("child batch", "c10", {"type": "batch"}, token="p1"),
        post("child: lookup other token", "auth/token/lookup", {"token": var("c1")}, token="p1"),
        post("child: renew other", "auth/token/renew", {"token": var("c1")}, token="p1"),
        get("child: lookup-self again", "auth/token/lookup-self", token="c1"),
        listing("child: accessors denied", "auth/token/accessors", token="c1"),
        post("child: capabilities-self", "sys/capabilities-self", {"paths": ["auth/token/create", "secret/a"]},
             token="c1"),
        get("child: read policy denied", "sys/policy/compat-reader", token="c1"),
        post("child: revoke-orphan without sudo", "auth/token/revoke-orphan", {"token": var("c1")}, token="p1"),
        post("parent: revoke", "auth/token/revoke", {"token": var("p1")}),
        *lookups("child after parent revoked", "c1"),
        post("child of child after revoke", "auth/token/lookup", {"token": var("c2")}),
    ]


def revocations() -> list[Step]:
    return [
        create("revoke self", "v1"),
        post("revoke self: revoke-self", "auth/token/revoke-self", {}, token="v1"),
        get("revoke self: lookup-self after", "auth/token/lookup-self", token="v1"),
        post("revoke self: lookup after", "auth/token/lookup", {"token": var("v1")}),
        create("revoke value", "v2"),
        create("revoke value child", "v2c", token="v2"),
        post("revoke value: revoke", "auth/token/revoke", {"token": var("v2")}),
        post("revoke value: again", "auth/token/revoke", {"token": var("v2")}),
        post("revoke value: child gone", "auth/token/lookup", {"token": var("v2c")}),
        create("revoke accessor", "v3"),
        post("revoke accessor: revoke", "auth/token/revoke-accessor", {"accessor": var("v3_acc")}),
        post("revoke accessor: again", "auth/token/revoke-accessor", {"accessor": var("v3_acc")}),
        post("revoke accessor: lookup", "auth/token/lookup-accessor", {"accessor": var("v3_acc")}),
        create("revoke orphan", "v4"),
        create("revoke orphan child", "v4c", token="v4"),
        post("revoke orphan: revoke-orphan", "auth/token/revoke-orphan", {"token": var("v4")}),
        post("revoke orphan: child lives", "auth/token/lookup", {"token": var("v4c")}),
        create("revoke in path", "v5"),
        post("revoke: in path", "auth/token/revoke/" + var("v5"), {}),
        post("revoke in path: revoke by body too", "auth/token/revoke", {"token": var("v5")}),
        post("revoke: bad token", "auth/token/revoke", {"token": "not-a-token"}),
        post("revoke: bad accessor", "auth/token/revoke-accessor", {"accessor": "nope"}),
        post("revoke: missing token", "auth/token/revoke", {}),
        post("revoke-orphan: missing token", "auth/token/revoke-orphan", {}),
        post("revoke: empty token", "auth/token/revoke", {"token": ""}),
        get("revoked root-created token as caller", "auth/token/lookup-self", token="v2"),
        get("no token", "auth/token/lookup-self", token=None),
        get("bogus token", "auth/token/lookup-self", token="bogus"),
        delete("revoke: DELETE", "auth/token/revoke"),
    ]


def accessors() -> list[Step]:
    return [
        listing("accessors: list", "auth/token/accessors"),
        get("accessors: GET list=true", "auth/token/accessors?list=true"),
        get("accessors: GET", "auth/token/accessors"),
        post("lookup-accessor: missing", "auth/token/lookup-accessor", {}),
        post("lookup-accessor: bad", "auth/token/lookup-accessor", {"accessor": "nope"}),
        post("lookup-accessor: in path", "auth/token/lookup-accessor/" + var("k_plain_acc"), {}),
        post("lookup: empty body", "auth/token/lookup", {}),
        post("lookup: bad", "auth/token/lookup", {"token": "nope"}),
        get("lookup: GET", "auth/token/lookup"),
        get("lookup: GET with a query token", "auth/token/lookup?token=" + var("k_plain")),
        Step("lookup: namespace header", "POST", "auth/token/lookup-self", {}, headers={"X-Vault-Namespace": "eu"}),
        get("lookup: GET in path", "auth/token/lookup/" + var("k_plain")),
        post("lookup-self: POST", "auth/token/lookup-self", {}),
        post("lookup-self: with token field", "auth/token/lookup-self", {"token": var("k_plain")}),
        post("tidy", "auth/token/tidy", {}),
        get("tidy: GET", "auth/token/tidy"),
    ]


def expiry() -> list[Step]:
    """Tokens whose TTL runs out, as their holder, their parent and root see them."""
    return [
        create("expiring parent", "e1", {"ttl": "2s", "policies": ["compat-creator"]}),
        create("expiring child", "e2", {"ttl": "1h"}, token="e1"),
        create("expiring uses", "e3", {"ttl": "2s", "num_uses": 5}),
        Step("expired: lookup-self", "GET", "auth/token/lookup-self", token="e1", pause=3.5),
        post("expired: lookup by root", "auth/token/lookup", {"token": var("e1")}),
        post("expired: lookup-accessor", "auth/token/lookup-accessor", {"accessor": var("e1_acc")}),
        post("expired: renew", "auth/token/renew", {"token": var("e1")}),
        post("expired: renew-accessor", "auth/token/renew-accessor", {"accessor": var("e1_acc")}),
        post("expired: child of an expired parent", "auth/token/lookup", {"token": var("e2")}),
        post("expired: revoke", "auth/token/revoke", {"token": var("e3")}),
        post("expired: capabilities", "sys/capabilities", {"token": var("e3"), "path": "a"}),
    ]


def revoke_prefix() -> list[Step]:
    return [
        create("prefix", "x1", {"policies": ["compat-reader"]}),
        post("prefix: non-sudo", "sys/leases/revoke-prefix/auth/token/create", {}, token="k_policies"),
        post("prefix: revoke", "sys/leases/revoke-prefix/auth/token/create", {}),
        post("prefix: token gone", "auth/token/lookup", {"token": var("x1")}),
        post("prefix: orphan endpoint token lives", "auth/token/lookup", {"token": var("k_orph")}),
        post("prefix: root alive", "auth/token/lookup-self", {}),
        post("prefix: unknown prefix", "sys/leases/revoke-prefix/auth/nothing", {}),
    ]


def extensions() -> list[Step]:
    """What tokenledger adds or refuses on purpose: each shows as an allowed difference."""
    return [
        create("reuse id", "ri", {"id": "compat-reused-id"}),
        post("reuse id: revoke", "auth/token/revoke", {"token": var("ri")}),
        create("reuse id: again after revoke", "ri2", {"id": "compat-reused-id"}),
        Step("lone surrogate", "POST", "auth/token/create", raw=b'{"display_name": "a\\ud800b"}',
             headers={"Content-Type": "application/json"}),
        Step("wrap ttl", "POST", "auth/token/create", {}, headers={"X-Vault-Wrap-TTL": "5m"}),
        get("ledger head", "sys/ledger/head"),
        post("lookup as_of", "auth/token/lookup", {"token": var("k_plain"), "as_of": "2020-01-01T00:00:00Z"}),
        Step("accessors paged", "LIST", "auth/token/accessors?limit=2"),
        create("entity alias", "ea", {"entity_alias": "web"}, path="auth/token/create/compat-aliases"),
        *lookups("entity alias", "ea"),
    ]


def all_steps() -> list[Step]:
    return [*setup(), *kinds(), *renewals(), *limited_use(), *children(), *revocations(), *accessors(), *adjusted()]
