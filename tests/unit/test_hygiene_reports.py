"""Hygiene reports over HTTP (sudo): which live tokens should be cleaned up and why, and how many
live tokens each role, creator and policy has; paged, per namespace, exported as CSV and JSON.
tests/integration/unit_on_real_stores runs them again on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from freezegun import freeze_time

from tests.support.runtimes import ROOT_TOKEN, event_count
from tests.support.vault_http import call, create, let_create_tokens
from tokenledger.application.hygiene_format import as_csv
from tokenledger.web.app import runtime_of

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
ELSEWHERE = {"REMOTE_ADDR": "10.0.0.2"}


@dataclass
class Tokens:
    root: str
    a: str  # root's child, used from two addresses
    p: str  # root's periodic child
    o: str  # root's orphan
    c: str  # a's child, used an hour later
    d: str  # a's orphan
    values: dict[str, str]


def report(client: FlaskClient, name: str, token: str = ROOT_TOKEN, **query: Any) -> Any:
    return call(client, "GET", f"sys/ledger/reports/{name}", token, query_string=query)


def keys(client: FlaskClient, name: str, **query: Any) -> list[str]:
    response = report(client, name, **query)
    assert response.status_code == 200, response.json
    found: list[str] = response.json["data"]["keys"]
    return found


def made(client: FlaskClient, path: str, token: str = ROOT_TOKEN, **body: Any) -> tuple[str, str]:
    response = call(client, "POST", path, token, {"policies": ["web"], **body})
    assert response.status_code == 200, response.json
    return response.json["auth"]["accessor"], response.json["auth"]["client_token"]


def build(client: FlaskClient, clock: Any) -> Tokens:
    let_create_tokens(client)
    root = call(client, "GET", "lookup-self").json["data"]["accessor"]
    (a, a_value), (p, _), (o, _) = (made(client, "create", ttl="24h"), made(client, "create", period="1h"),
                                    made(client, "create-orphan", ttl="6h"))
    (c, c_value), (d, _) = made(client, "create", a_value, ttl="6h"), made(client, "create-orphan", a_value, ttl="6h")
    clock.tick(90)
    assert call(client, "GET", "lookup-self", a_value, environ_base=ELSEWHERE).status_code == 200
    clock.tick(3600)
    assert call(client, "GET", "lookup-self", c_value).status_code == 200
    return Tokens(root, a, p, o, c, d, {"a": a_value, "c": c_value})


@pytest.fixture
def tokens(client: FlaskClient) -> Any:
    with freeze_time(T0) as clock:
        built = build(client, clock)
        yield built


def test_tokens_not_used_since_an_instant(client: FlaskClient, tokens: Tokens) -> None:
    found = keys(client, "unused", since="2026-06-01T08:30:00Z")
    assert set(found) - {tokens.root} == {tokens.a, tokens.p, tokens.o, tokens.d}
    assert found == sorted(found)
    assert keys(client, "unused", since="2026-06-01T08:00:00Z") == []


def test_tokens_created_directly_under_a_root_token_and_orphans_of_non_root_creators(
        client: FlaskClient, tokens: Tokens) -> None:
    assert keys(client, "root-children") == sorted([tokens.a, tokens.p])
    assert keys(client, "orphans") == [tokens.d]


def test_tokens_that_can_live_for_ever_or_over_a_ttl(client: FlaskClient, tokens: Tokens) -> None:
    data = report(client, "long-lived").json["data"]
    assert data["keys"] == sorted([tokens.root, tokens.p])
    assert data["key_info"][tokens.p]["reasons"] == ["periodic without an explicit max TTL"]
    assert data["key_info"][tokens.root]["reasons"] == ["never expires"]
    longer = report(client, "long-lived", ttl_over="12h").json["data"]
    assert longer["keys"] == sorted([tokens.root, tokens.p, tokens.a])
    assert longer["key_info"][tokens.a]["reasons"] == ["TTL over 43200s"]


def test_tokens_seen_from_more_than_n_addresses(client: FlaskClient, tokens: Tokens) -> None:
    data = report(client, "addresses").json["data"]
    assert data["keys"] == [tokens.a]
    info = data["key_info"][tokens.a]
    assert (info["addresses"], info["last_used_remote_addr"]) == (2, "10.0.0.2")
    assert info["last_used_time"] == "2026-06-01T08:01:30Z"
    assert keys(client, "addresses", more_than=2) == []
    assert tokens.c in keys(client, "addresses", more_than=0)


def test_live_token_counts_by_role_creator_and_policy(client: FlaskClient, tokens: Tokens) -> None:
    by_creator = report(client, "counts", by="creator").json["data"]
    assert {key: info["count"] for key, info in by_creator["key_info"].items()} == {
        "": 1, tokens.root: 3, tokens.a: 2}
    assert report(client, "counts").json["data"]["key_info"] == {"": {"count": 6}}  # by role: none has one
    by_policy = report(client, "counts", by="policy").json["data"]["key_info"]
    assert (by_policy["web"]["count"], by_policy["root"]["count"]) == (5, 1)
    call(client, "POST", "revoke-accessor", body={"accessor": tokens.a})  # and its child c
    by_creator = report(client, "counts", by="creator").json["data"]["key_info"]
    assert by_creator == {"": {"count": 1}, tokens.root: {"count": 2}, tokens.a: {"count": 1}}
    assert tokens.a not in keys(client, "addresses", more_than=0)


def test_reports_are_paged_with_after_and_limit(client: FlaskClient, tokens: Tokens) -> None:
    everything = keys(client, "unused", since="2026-06-02T00:00:00Z")
    first = report(client, "unused", since="2026-06-02T00:00:00Z", limit=4).json["data"]
    assert first["keys"] == everything[:4] and first["total"] == len(everything) == 6
    rest = report(client, "unused", since="2026-06-02T00:00:00Z", after=first["next_after"]).json["data"]
    assert rest["keys"] == everything[4:] and rest["next_after"] is None
    groups = report(client, "counts", by="creator", limit=1).json["data"]
    assert groups["keys"] == [""] and groups["total"] == 3 and groups["next_after"] == ""
    assert report(client, "counts", by="creator", after="").json["data"]["keys"] == sorted([tokens.root, tokens.a])


def test_each_report_exports_as_csv_and_json(client: FlaskClient, tokens: Tokens) -> None:
    exported = report(client, "root-children", format="csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert 'filename="tokenledger-root-children.csv"' in exported.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert [row["accessor"] for row in rows] == sorted([tokens.a, tokens.p])
    assert rows[0]["policies"] in ("default;web", "web;default")
    as_json = report(client, "counts", by="policy", format="json")
    assert as_json.mimetype == "application/json"
    assert {"key": "root", "count": 1} in as_json.json
    text = exported.get_data(as_text=True) + as_json.get_data(as_text=True)
    assert all(value not in text for value in (*tokens.values.values(), ROOT_TOKEN))


def test_a_cell_a_spreadsheet_would_run_is_defused() -> None:
    row = {"key": "=HYPERLINK(\"http://x\")", "count": 1}
    [_, line] = as_csv("counts", [row]).splitlines()
    assert next(csv.reader([line])) == ["'=HYPERLINK(\"http://x\")", "1"]


def test_reports_are_per_namespace(client: FlaskClient, tokens: Tokens) -> None:
    eu = {"X-Vault-Namespace": "eu"}
    accessor = call(client, "POST", "create", body={"policies": ["web"]}, headers=eu).json["auth"]["accessor"]
    assert accessor not in keys(client, "root-children")
    response = call(client, "GET", "sys/ledger/reports/orphans", headers=eu)
    assert response.status_code == 200 and accessor not in response.json["data"]["keys"]
    in_eu = call(client, "GET", "sys/ledger/reports/counts", headers=eu, query_string={"by": "creator"})
    assert in_eu.json["data"]["key_info"] == {tokens.root: {"count": 1}}


@pytest.mark.parametrize(("name", "query", "message"), [
    ("stale", {}, "unknown report 'stale'"),
    ("unused", {}, "since is required"),
    ("unused", {"since": "yesterday"}, "since must be an RFC 3339 time"),
    ("long-lived", {"ttl_over": "forever"}, "ttl_over"),
    ("addresses", {"more_than": "-1"}, "more_than must be a whole number"),
    ("counts", {"by": "colour"}, "by must be one of role, creator, policy"),
    ("orphans", {"limit": "0"}, "limit must be a positive number"),
    ("orphans", {"format": "xml"}, "format must be csv or json"),
])
def test_bad_input_is_a_400_in_vaults_shape_and_changes_nothing(
        app: Flask, client: FlaskClient, name: str, query: dict[str, str], message: str) -> None:
    before = event_count(runtime_of(app))
    response = report(client, name, **query)
    assert response.status_code == 400
    assert list(response.json) == ["errors"] and message in response.json["errors"][0]
    assert event_count(runtime_of(app)) == before


def test_reports_need_sudo(client: FlaskClient) -> None:
    let_create_tokens(client)
    plain = create(client, policies=["web"])["auth"]["client_token"]
    response = report(client, "orphans", token=plain)
    assert response.status_code == 403 and response.json == {"errors": ["1 error occurred:\n\t* permission denied\n\n"]}
