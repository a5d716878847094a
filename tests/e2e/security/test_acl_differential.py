"""tokenledger's ACL decides as OpenBao's does: random policy sets, random paths, zero disagreements.

Each round writes the same few random policies (literal segments, ``+`` segments, ``*`` globs,
trailing ``/``, ``deny``, ``sudo``) to a real ``bao server -dev`` and to an in-process tokenledger,
issues each a token holding all of them, then compares ``sys/capabilities`` on many paths
(trailing ``/``, ``+``-matching segments, prefixes of globs) and, for a sample, whether a real
request (LIST/GET/PUT/DELETE on roles, policies, lookup-self, create/<role>) is refused by the ACL.
The random choices are seeded (``TOKENLEDGER_ACL_SEED`` overrides the seed) so a failure replays.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.openbao import OpenBao, running_openbao
from tests.support.runtimes import ROOT_TOKEN

SEED = int(os.environ.get("TOKENLEDGER_ACL_SEED", "913"))
ROUNDS = 120
PATHS_PER_ROUND = 150
REQUESTS_PER_ROUND = 10
POLICY_NAMES = ["diff-a", "diff-b", "diff-c", "diff-d"]

BASES = ["auth/token", "auth/token/roles", "auth/token/create", "sys/policy", "sys/policies/acl", "kv"]
WORDS = ["roles", "ro", "r", "create", "accessors", "lookup-self", "a", "ab", "x"]
NAMES = ["ro", "roles", "a", "ab", "x"]  # of the roles and policies real requests touch
CAPABILITIES = ["create", "read", "update", "delete", "list", "sudo", "patch"]
DENIED = "permission denied"


@dataclass
class Tally:
    compared: int = 0
    granted: int = 0  # decisions that allowed something (not all "deny", not refused)

    def count(self, granted: bool) -> None:
        self.compared += 1
        self.granted += granted


@dataclass(frozen=True)
class Disagreement:
    what: str
    tokenledger: Any
    openbao: Any
    policies: dict[str, str]


@pytest.fixture(scope="module")
def openbao() -> Iterator[OpenBao]:
    with running_openbao() as server:
        yield server


# ------------------------------------------------------------------ random policies and paths


def random_pattern(rng: random.Random, pool: list[str]) -> str:
    if pool and rng.random() < 0.3:
        return rng.choice(pool)  # the same pattern in two policies: their rules merge
    segments = rng.choice(BASES).split("/")
    if rng.random() < 0.15:
        segments[rng.randrange(len(segments))] = "+"
    for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
        segments.append("+" if rng.random() < 0.3 else rng.choice(WORDS))
    pattern = "/".join(segments)
    ending = rng.random()
    if ending < 0.15:
        pattern += "/"
    elif ending < 0.3:
        pattern += "/*"
    elif ending < 0.45:
        pattern += "/*" if pattern.endswith("+") else "*"  # '+*' is refused by both
    elif ending < 0.6 and not pattern.endswith("+"):
        pattern = pattern[: rng.randrange(len(pattern) - 1, len(pattern))] + "*"
    pool.append(pattern)
    return pattern


def random_capabilities(rng: random.Random) -> list[str]:
    if rng.random() < 0.15:
        return ["deny"]
    return rng.sample(CAPABILITIES, rng.randint(1, 3))


def random_policies(rng: random.Random) -> dict[str, str]:
    pool: list[str] = []
    policies = {}
    for name in POLICY_NAMES[: rng.randint(2, len(POLICY_NAMES))]:
        blocks = [
            f'path "{random_pattern(rng, pool)}" {{ capabilities = {json.dumps(random_capabilities(rng))} }}'
            for _ in range(rng.randint(1, 5))
        ]
        policies[name] = "\n".join(blocks)
    return policies


def path_like(rng: random.Random, pattern: str) -> str:
    """A request path a pattern may or may not match: wildcards filled in, a segment more or
    less, a glob's prefix, with or without a trailing ``/``."""
    path = pattern.removesuffix("*") if rng.random() < 0.5 else pattern.replace("*", rng.choice(["", "x", "s/", "/a"]))
    path = "/".join(rng.choice(WORDS) if part == "+" else part for part in path.split("/"))
    roll = rng.random()
    if roll < 0.2:
        path = path[: rng.randrange(1, len(path) + 1)]
    elif roll < 0.35:
        path = path.rstrip("/") + "/" + rng.choice(WORDS)
    elif roll < 0.5:
        path = path.rsplit("/", 1)[0]
    roll = rng.random()
    if roll < 0.3:
        path = path.rstrip("/") + "/"
    elif roll < 0.5:
        path = path.rstrip("/")
    if rng.random() < 0.03:
        path = "/" + path
    return path or "kv"


def random_paths(rng: random.Random, policies: dict[str, str]) -> list[str]:
    patterns = [line.split('"')[1] for text in policies.values() for line in text.splitlines()]
    paths = {path_like(rng, rng.choice(patterns)) for _ in range(PATHS_PER_ROUND)}
    paths.discard("capabilities")  # the answer's own key
    return sorted(paths)


def random_requests(rng: random.Random) -> list[tuple[str, str, Any]]:
    name = rng.choice(NAMES)
    policy_text = 'path "kv/x" { capabilities = ["read"] }'
    candidates: list[tuple[str, str, Any]] = [
        ("LIST", "auth/token/roles", None),
        ("LIST", "auth/token/roles/", None),
        ("GET", "auth/token/roles?list=true", None),
        ("GET", "auth/token/roles/", None),
        ("GET", f"auth/token/roles/{name}", None),
        ("PUT", f"auth/token/roles/{name}", {}),
        ("DELETE", f"auth/token/roles/{name}", None),
        ("PUT", f"auth/token/roles/{name}/", {}),
        ("GET", "auth/token/lookup-self", None),
        ("POST", f"auth/token/create/{name}", {}),
        ("POST", f"auth/token/create/{name}/", {}),
        ("LIST", "auth/token/accessors", None),
        ("LIST", "auth/token/accessors/", None),
        ("GET", f"sys/policy/{name}", None),
        ("PUT", f"sys/policy/{name}", {"policy": policy_text}),
        ("DELETE", f"sys/policy/{name}", None),
        ("GET", "sys/policy", None),
        ("LIST", "sys/policies/acl", None),
        ("GET", "sys/policies/acl/?list=true", None),
        ("GET", f"sys/policies/acl/{name}", None),
    ]
    return rng.sample(candidates, REQUESTS_PER_ROUND)


# ------------------------------------------------------------------ the two servers


def tokenledger_call(client: FlaskClient, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    response = client.open(f"/v1/{path}", method=method, json=body, headers={"X-Vault-Token": token})
    return response.status_code, response.get_json(silent=True)


def openbao_call(server: OpenBao, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    response = server.request(method, path, token, body)
    return response.status_code, (response.json() if response.content else None)


def refused_by_acl(status: int, body: Any) -> bool:
    errors = body.get("errors", []) if isinstance(body, dict) else []
    return status == 403 and any(DENIED in str(error) for error in errors)


def issue_both(client: FlaskClient, server: OpenBao, policies: dict[str, str]) -> tuple[str, str]:
    for name, text in policies.items():
        assert tokenledger_call(client, "PUT", f"sys/policy/{name}", ROOT_TOKEN, {"policy": text})[0] == 204
        response = server.request("PUT", f"sys/policy/{name}", body={"policy": text})
        assert response.status_code == 204, response.text
    body = {"policies": list(policies), "no_default_policy": True}
    status, created = tokenledger_call(client, "POST", "auth/token/create", ROOT_TOKEN, body)
    assert status == 200, created
    response = server.request("POST", "auth/token/create", body=body)
    assert response.status_code == 200, response.text
    return created["auth"]["client_token"], response.json()["auth"]["client_token"]


def compare_capabilities(client: FlaskClient, server: OpenBao, tokens: tuple[str, str],
                         paths: list[str], policies: dict[str, str], tally: Tally) -> list[Disagreement]:
    status, ours = tokenledger_call(client, "POST", "sys/capabilities", ROOT_TOKEN,
                                    {"token": tokens[0], "paths": paths})
    assert status == 200, ours
    response = server.request("POST", "sys/capabilities", body={"token": tokens[1], "paths": paths})
    assert response.status_code == 200, response.text
    theirs = response.json()["data"]
    for path in paths:
        tally.count(theirs[path] != ["deny"])
    return [
        Disagreement(f"capabilities of {path!r}", ours["data"][path], theirs[path], policies)
        for path in paths
        if ours["data"][path] != theirs[path]
    ]


def compare_requests(client: FlaskClient, server: OpenBao, tokens: tuple[str, str],
                     requests: list[tuple[str, str, Any]], policies: dict[str, str],
                     tally: Tally) -> list[Disagreement]:
    found = []
    for method, path, body in requests:
        ours = tokenledger_call(client, method, path, tokens[0], body)
        theirs = openbao_call(server, method, path, tokens[1], body)
        tally.count(not refused_by_acl(*theirs))
        if refused_by_acl(*ours) != refused_by_acl(*theirs):
            found.append(Disagreement(f"{method} {path}", ours, theirs, policies))
    return found


# ------------------------------------------------------------------ the test


@pytest.mark.one_store
def test_acl_decisions_agree_with_openbao(client: FlaskClient, openbao: OpenBao) -> None:
    rng = random.Random(SEED)
    capabilities, requests, disagreements = Tally(), Tally(), []
    for _ in range(ROUNDS):
        policies = random_policies(rng)
        tokens = issue_both(client, openbao, policies)
        paths, sample = random_paths(rng, policies), random_requests(rng)
        disagreements += compare_capabilities(client, openbao, tokens, paths, policies, capabilities)
        disagreements += compare_requests(client, openbao, tokens, sample, policies, requests)
    print(f"\nACL differential (seed {SEED}): {capabilities.compared + requests.compared} decisions "
          f"compared with OpenBao ({capabilities.compared} capabilities, {capabilities.granted} not deny; "
          f"{requests.compared} requests, {requests.granted} not refused), "
          f"{len(disagreements)} disagreements")
    assert capabilities.compared >= 5000 and capabilities.granted >= 1000
    assert requests.compared >= 1000 and 100 <= requests.granted <= requests.compared - 100
    assert not disagreements, "\n\n".join(
        f"{d.what}: tokenledger {d.tokenledger!r}, OpenBao {d.openbao!r}\npolicies: {d.policies!r}"
        for d in disagreements[:10]
    )
