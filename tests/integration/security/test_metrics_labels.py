"""Finding 10: the request metrics' label values come from fixed sets, so requests with made-up
methods or paths (no token needed) cannot grow the series a scrape returns without bound."""

from __future__ import annotations

import random
import re
import string

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.runtimes import ROOT_TOKEN

_LABEL = re.compile(r'(\w+)="([^"]*)"')
KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "LIST", "OPTIONS"}
OTHER_METHOD, UNMATCHED_ROUTE = "other", "unmatched"


pytestmark = pytest.mark.one_store


def _series(client: FlaskClient) -> set[str]:
    """Every series of a scrape: its name and labels, without its value."""
    response = client.get("/v1/sys/metrics", query_string={"format": "prometheus"},
                          headers={"X-Vault-Token": ROOT_TOKEN})
    assert response.status_code == 200
    lines = response.get_data(as_text=True).splitlines()
    return {line.rsplit(" ", 1)[0] for line in lines if line and not line.startswith("#")}


def _word(rng: random.Random, size: int) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(size))


def _flood(client: FlaskClient, rng: random.Random, count: int) -> None:
    """Made-up methods on known and unknown paths, and known methods on unknown paths."""
    for _ in range(count):
        method = rng.choice([_word(rng, rng.randint(3, 12)), "GET", "POST", "LIST"])
        path = rng.choice([f"/v1/{_word(rng, 8)}/{_word(rng, 5)}", f"/{_word(rng, 10)}",
                           f"/v1/auth/token/roles/{_word(rng, 6)}", "/v1/auth/token/lookup-self",
                           f"/ui/tokens/{_word(rng, 6)}", "/v1/sys/health"])
        client.open(path, method=method)


def test_random_methods_and_paths_add_no_series(client: FlaskClient) -> None:
    rng = random.Random(10)
    _series(client)  # the scrape's own series
    _flood(client, rng, 200)
    before = _series(client)
    _flood(client, rng, 200)
    after = _series(client)
    assert len(before) < 200, len(before)  # 147 here; each made-up method added two on main
    assert after == before, sorted(after - before)[:5]


def test_label_values_come_from_fixed_sets(app: Flask, client: FlaskClient) -> None:
    _flood(client, random.Random(11), 60)
    labels = [dict(_LABEL.findall(line)) for line in _series(client) if line.startswith("tokenledger_request")]
    methods = {found["method"] for found in labels if "method" in found}
    routes = {found["route"] for found in labels if "route" in found}
    assert methods <= KNOWN_METHODS | {OTHER_METHOD} and OTHER_METHOD in methods
    assert UNMATCHED_ROUTE in routes
    assert "/v1/auth/token/roles/<role_name>" in routes  # the URL rule, never the path as sent
    assert routes <= {rule.rule for rule in app.url_map.iter_rules()} | {UNMATCHED_ROUTE}, routes
