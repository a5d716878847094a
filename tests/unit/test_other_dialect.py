"""The other product's token API (seed 004): kebab-case fields, ``metadata``, years and days in
durations, no infinite tokens, and ``site`` (see test_namespaces)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.runtimes import event_count
from tests.support.vault_http import call
from tokenledger.domain.durations import parse_duration
from tokenledger.web.app import runtime_of


def lookup(client: FlaskClient, token: str) -> dict[str, Any]:
    data: dict[str, Any] = call(client, "POST", "lookup", body={"token": token}).json["data"]
    return data


def test_kebab_case_fields_mean_what_vaults_do(client: FlaskClient) -> None:
    body = {"no-parent": True, "no-default-policy": True, "display-name": "ops bot", "num-uses": 5,
            "max-ttl": "2h", "ttl": "10m30s", "metadata": {"office": "Oslo"}, "policies": ["web"],
            "renewable": False}
    response = call(client, "POST", "create", body=body)
    assert response.status_code == 200, response.json
    auth = response.json["auth"]
    assert auth["orphan"] is True and auth["policies"] == ["web"] and auth["metadata"] == {"office": "Oslo"}
    assert auth["lease_duration"] == 630 and auth["renewable"] is False
    data = lookup(client, auth["client_token"])
    assert (data["display_name"], data["explicit_max_ttl"], data["num_uses"]) == ("token-ops-bot", 7200, 5)
    assert "Endpoint ignored" not in str(response.json["warnings"])


def test_bound_cidrs_in_kebab_case(client: FlaskClient) -> None:
    body = {"bound-cidrs": ["10.0.0.0/8", "fe80::42:b6ff:feff:2f3/64"], "ttl": "1h", "policies": ["web"]}
    token = call(client, "POST", "create", body=body).json["auth"]["client_token"]
    assert call(client, "GET", "lookup-self", token).status_code == 403  # the test client is 127.0.0.1
    inside = call(client, "GET", "lookup-self", token, environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert inside.status_code == 200


def test_infinite_tokens_are_refused_in_that_dialect(app: Flask, client: FlaskClient) -> None:
    before = event_count(runtime_of(app))
    by_field = call(client, "POST", "create", body={"display-name": "forever"})
    by_site = call(client, "POST", "create", body={}, query_string={"site": "eu"})
    for response in (by_field, by_site):
        assert (response.status_code, response.json) == (400, {"errors": ["Infinite tokens are not allowed"]})
    assert event_count(runtime_of(app)) == before
    assert call(client, "POST", "create", body={}).json["auth"]["lease_duration"] == 0  # Vault's own dialect


def test_a_field_given_both_ways_must_agree(app: Flask, client: FlaskClient) -> None:
    before = event_count(runtime_of(app))
    response = call(client, "POST", "create", body={"max-ttl": "1h", "explicit_max_ttl": "2h", "ttl": "1h"})
    assert response.status_code == 400 and "max-ttl" in response.json["errors"][0]
    assert event_count(runtime_of(app)) == before


@pytest.mark.parametrize(("text", "seconds"), [("1y2d5h", 31_726_800), ("5h", 18_000), ("10m30s", 630),
                                               ("1y", 31_536_000), ("2d", 172_800)])
def test_durations_take_years_and_days(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds
