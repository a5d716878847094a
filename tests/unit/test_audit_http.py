"""Auditors' questions: a token's history, anything as of a past instant, who created what."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from freezegun import freeze_time

from tests.support.runtimes import ROOT_TOKEN
from tests.support.vault_http import call, create, issue, let_create_tokens, write_policy


def history(client: FlaskClient, accessor: str, token: str = ROOT_TOKEN, **query: Any) -> Any:
    return call(client, "GET", f"sys/ledger/history/accessor/{accessor}", token, query_string=query)


def as_of(client: FlaskClient, accessor: str, instant: str) -> Any:
    return call(client, "POST", "lookup-accessor", body={"accessor": accessor, "as_of": instant})


def test_a_tokens_history_lists_every_event_in_order_without_its_value(client: FlaskClient) -> None:
    auth = create(client, policies=["web"], ttl="1h", num_uses=5)["auth"]
    token, accessor = auth["client_token"], auth["accessor"]
    call(client, "GET", "lookup-self", token)
    call(client, "POST", "renew", body={"token": token, "increment": "2h"})
    call(client, "POST", "revoke-accessor", body={"accessor": accessor})
    response = history(client, accessor)
    assert response.status_code == 200, response.json
    data = response.json["data"]
    assert [event["type"] for event in data["events"]] == ["TokenCreated", "TokenUsed", "TokenRenewed",
                                                           "TokenRevoked"]
    assert data["total"] == 4 and data["next_after"] is None
    created, used, renewed, revoked = data["events"]
    root_accessor = call(client, "GET", "lookup-self").json["data"]["accessor"]
    assert created["actor_accessor"] == root_accessor and created["remote_addr"] == "127.0.0.1"
    assert created["changes"]["policies"] == ["default", "web"] and created["changes"]["num_uses"] == 5
    assert used["actor_accessor"] == accessor
    assert used["changes"] == {"uses_left": 4, "path": "auth/token/lookup-self", "operation": "read"}
    assert renewed["changes"]["ttl"] == 7200 and revoked["changes"]["reason"] == "revoked by accessor"
    assert token not in response.get_data(as_text=True)


def test_history_is_paged(client: FlaskClient) -> None:
    token = issue(client, policies=["web"], ttl="1h")
    accessor = call(client, "GET", "lookup-self", token).json["data"]["accessor"]
    for _ in range(4):
        call(client, "POST", "renew-self", token)
    first = history(client, accessor, limit=2).json["data"]
    assert [e["version"] for e in first["events"]] == [1, 2] and first["next_after"] == "2"
    rest = history(client, accessor, after=first["next_after"], limit=10).json["data"]
    # created, its use by lookup-self, four renewals (uses within the interval are not recorded)
    assert [e["version"] for e in rest["events"]] == [3, 4, 5, 6] and rest["next_after"] is None


def test_history_needs_sudo_and_a_known_accessor(client: FlaskClient) -> None:
    write_policy(client, "reader", 'path "sys/ledger/*" { capabilities = ["read"] }')
    token = issue(client, policies=["reader"], ttl="1h")
    accessor = call(client, "GET", "lookup-self", token).json["data"]["accessor"]
    assert history(client, accessor, token).status_code == 403
    assert history(client, "no-such-accessor").json == {"errors": ["invalid accessor"]}
    assert history(client, accessor, limit="ten").status_code == 400


def test_time_travel_is_exact_to_the_instant(client: FlaskClient) -> None:
    with freeze_time("2026-04-01 10:00:00") as clock:
        auth = create(client, policies=["web"], ttl="1h")["auth"]
        clock.move_to("2026-04-01 10:00:02")
        call(client, "POST", "renew", body={"token": auth["client_token"], "increment": "2h"})
        clock.move_to("2026-04-01 10:00:05")
        call(client, "POST", "revoke", body={"token": auth["client_token"]})
        clock.move_to("2026-04-01 11:00:00")
        accessor = auth["accessor"]
        before_renewal = as_of(client, accessor, "2026-04-01T10:00:01Z").json["data"]
        assert (before_renewal["status"], before_renewal["ttl"]) == ("live", 3599)
        assert as_of(client, accessor, "2026-04-01T10:00:03Z").json["data"]["ttl"] == 7199
        assert as_of(client, accessor, "2026-04-01T10:00:04.999999Z").json["data"]["status"] == "live"
        assert as_of(client, accessor, "2026-04-01T10:00:05Z").json["data"]["status"] == "revoked"
        by_query = call(client, "GET", f"lookup-accessor/{accessor}",
                        query_string={"as_of": "2026-04-01T12:00:04+02:00"})
        assert by_query.json["data"]["status"] == "live" and by_query.json["data"]["as_of"] == "2026-04-01T10:00:04Z"
        assert call(client, "POST", "lookup-accessor", body={"accessor": accessor}).status_code == 400


@pytest.mark.parametrize(("instant", "message"), [
    ("2099-01-01T00:00:00Z", "as_of is in the future"),
    ("yesterday", "as_of must be an RFC 3339 time such as 2026-11-23T10:00:05Z"),
    ("2026-04-01T10:00:00", "as_of must name its time zone (Z or an offset such as +01:00)"),
    ("2001-01-01T00:00:00Z", "invalid accessor: no token held it at 2001-01-01T00:00:00+00:00"),
])
def test_bad_instants_get_clear_400s(client: FlaskClient, instant: str, message: str) -> None:
    accessor = create(client, policies=["web"], ttl="1h")["auth"]["accessor"]
    response = as_of(client, accessor, instant)
    assert (response.status_code, response.json) == (400, {"errors": [message]})


def test_roles_and_policies_as_of_a_past_instant(client: FlaskClient) -> None:
    with freeze_time("2026-04-01 09:00:00") as clock:
        call(client, "POST", "roles/app", body={"allowed_policies": ["a"]})
        write_policy(client, "ops", 'path "auth/token/create" { capabilities = ["update"] }')
        clock.move_to("2026-04-01 09:30:00")
        call(client, "POST", "roles/app", body={"allowed_policies": ["b"]})
        write_policy(client, "ops", 'path "auth/token/lookup" { capabilities = ["update"] }')
        clock.move_to("2026-04-01 10:00:00")
        call(client, "DELETE", "roles/app")
        call(client, "DELETE", "sys/policy/ops")
        clock.move_to("2026-04-01 11:00:00")

        def role_at(instant: str) -> Any:
            return call(client, "GET", "roles/app", query_string={"as_of": instant})

        assert role_at("2026-04-01T09:10:00Z").json["data"]["allowed_policies"] == ["a"]
        assert role_at("2026-04-01T09:40:00Z").json["data"]["allowed_policies"] == ["b"]
        assert role_at("2026-04-01T10:00:00Z").status_code == 404
        assert role_at("2026-04-01T08:00:00Z").status_code == 404
        policy = call(client, "GET", "sys/policy/ops", query_string={"as_of": "2026-04-01T09:10:00Z"})
        assert "auth/token/create" in policy.json["data"]["rules"]
        assert call(client, "GET", "sys/policy/ops", query_string={"as_of": "2026-04-01T10:30:00Z"}).status_code == 404


def test_every_token_created_by_an_accessor_and_its_descendants(client: FlaskClient) -> None:
    let_create_tokens(client)
    a = create(client, policies=["web"], ttl="1h")["auth"]
    b = create(client, a["client_token"], ttl="30m")["auth"]
    c = call(client, "POST", "create-orphan", a["client_token"], {"ttl": "30m"}).json["auth"]
    d = create(client, b["client_token"], ttl="10m")["auth"]
    call(client, "POST", "revoke", body={"token": b["client_token"]})

    def created_by(**query: Any) -> Any:
        return call(client, "GET", f"sys/ledger/history/creator/{a['accessor']}", query_string=query).json["data"]

    direct = created_by()
    assert set(direct["keys"]) == {b["accessor"], c["accessor"]} and direct["total"] == 2
    assert direct["key_info"][b["accessor"]]["status"] == "revoked"
    everything = created_by(descendants="true")
    assert set(everything["keys"]) == {b["accessor"], c["accessor"], d["accessor"]}
    assert everything["total"] == 3
    first = created_by(descendants="true", limit=2)
    rest = created_by(descendants="true", limit=2, after=first["next_after"])
    assert sorted(first["keys"] + rest["keys"]) == sorted(everything["keys"]) and rest["next_after"] is None


def test_every_token_created_against_a_role_in_a_window(client: FlaskClient) -> None:
    call(client, "POST", "roles/ci", body={"allowed_policies": ["build"]})
    made: dict[str, str] = {}
    for hour in (8, 9, 10, 11):
        with freeze_time(f"2026-04-01 {hour:02}:00:00"):
            made[str(hour)] = call(client, "POST", "create/ci", body={"ttl": "1h"}).json["auth"]["accessor"]
    issue(client, policies=["build"], ttl="1h")  # not against the role
    window = call(client, "GET", "sys/ledger/history/role/ci",
                  query_string={"from": "2026-04-01T09:00:00Z", "to": "2026-04-01T11:00:00Z"}).json["data"]
    assert sorted(window["keys"]) == sorted([made["9"], made["10"]]) and window["total"] == 2
    assert window["key_info"][made["9"]]["role"] == "ci"
    everything = call(client, "GET", "sys/ledger/history/role/ci").json["data"]
    assert everything["total"] == 4


def test_listing_accessors_is_paged_and_can_carry_summaries(client: FlaskClient) -> None:
    call(client, "POST", "roles/ci", body={"allowed_policies": ["build"]})
    for n in range(5):
        create(client, policies=["web"], ttl="1h", display_name=f"svc{n}")
    call(client, "POST", "create/ci", body={"ttl": "1h"})
    everything = call(client, "LIST", "accessors").json["data"]["keys"]
    assert len(everything) == 7
    page = call(client, "LIST", "accessors", query_string={"limit": 3}).json["data"]["keys"]
    rest = call(client, "LIST", "accessors", query_string={"after": page[-1]}).json["data"]["keys"]
    assert page + rest == everything
    detailed = call(client, "LIST", "accessors", query_string={"detailed": "true", "limit": 100}).json["data"]
    assert detailed["keys"] == everything
    infos = detailed["key_info"].values()
    assert {info["display_name"] for info in infos} >= {"token-svc0", "token-svc4", "root"}
    assert any(info["role"] == "ci" for info in infos)
    assert all("expire_time" in info and "creator_accessor" in info and "policies" in info for info in infos)


def test_huge_numbers_in_paging_are_not_an_error(client: FlaskClient) -> None:
    accessor = create(client, policies=["web"], ttl="1h")["auth"]["accessor"]
    huge = str(2**63)
    assert call(client, "LIST", "accessors", query_string={"limit": huge}).status_code == 200
    assert history(client, accessor, after=huge, limit=huge).json["data"]["events"] == []
