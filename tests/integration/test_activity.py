"""Token activity per hour and day (``sys/ledger/history/activity``) and the cross-token search
(``sys/ledger/history/search``) on both stores: the buckets are written with the events, equal a
rebuild from the log, and answer what happened, filtered by role, creator and namespace."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from flask import Flask
from flask.testing import FlaskClient
from freezegun import freeze_time

from tests.support.activity import WINDOW, tell_story
from tests.support.vault_http import call, create, let_create_tokens
from tokenledger.domain.actor import Actor
from tokenledger.domain.issuance import TokenPlan
from tokenledger.domain.token import Token
from tokenledger.domain.token_events import TokenRevoked, TokenUsed
from tokenledger.domain.token_secrets import new_accessor
from tokenledger.domain.token_view import TokenType
from tokenledger.projections.activity import ADDRESSES, HOURS
from tokenledger.projections.replay import rebuild, verify
from tokenledger.web.app import runtime_of
from tokenledger.wiring.bootstrap import Runtime


def activity(client: FlaskClient, query: str = "", status: int = 200) -> Any:
    response = call(client, "GET", f"sys/ledger/history/activity?{WINDOW}&{query}")
    assert response.status_code == status, response.json
    return response.json["data"] if status == 200 else response.json


def series(data: dict[str, Any], kind: str) -> list[int]:
    return [bucket[kind] for bucket in data["buckets"]]


def test_activity_counts_each_kind_per_hour_and_the_live_tokens(client: FlaskClient, app: Flask) -> None:
    tell_story(client, app)
    data = activity(client)
    assert [b["start"] for b in data["buckets"]] == [f"2026-04-01T{h}:00:00Z" for h in (10, 11, 12, 13)]
    assert series(data, "created") == [3, 1, 1, 0]
    assert series(data, "renewed") == [0, 1, 0, 0]
    # Uses: root at 10:05 and 10:10 (once a minute at most), the parent at 11:20, the limited
    # token's two, root at 11:30, 12:15 and 12:20 (limited-use tokens record every use).
    assert series(data, "used") == [2, 4, 2, 0]
    assert series(data, "revoked") == [0, 0, 1, 0]
    assert series(data, "expired") == [0, 0, 0, 1]
    assert data["live_at_start"] == 0  # the root token was created later, at the real time
    assert series(data, "live") == [3, 4, 4, 3]
    assert data["totals"] == {"created": 5, "renewed": 1, "revoked": 1, "expired": 1, "used": 8}


def test_activity_filters_by_role_and_creator_and_sums_days(client: FlaskClient, app: Flask) -> None:
    story = tell_story(client, app)
    by_role = activity(client, "role=ci")
    assert series(by_role, "created") == [2, 0, 0, 0] and series(by_role, "live") == [2, 2, 1, 1]
    by_parent = activity(client, f"creator={story.parent}")
    assert series(by_parent, "created") == [0, 1, 0, 0] and series(by_parent, "used") == [0, 2, 0, 0]
    day = activity(client, "step=day")
    assert [b["start"] for b in day["buckets"]] == ["2026-04-01T00:00:00Z"]
    assert (day["from"], day["to"]) == ("2026-04-01T00:00:00Z", "2026-04-02T00:00:00Z")
    assert day["totals"] == {"created": 5, "renewed": 1, "revoked": 1, "expired": 1, "used": 8}
    later = call(client, "GET", "sys/ledger/history/activity?from=2026-04-01T13:00:00Z&to=2026-04-01T15:00:00Z")
    assert later.json["data"]["live_at_start"] == 4  # every bucket before the window, summed


def test_activity_is_per_namespace(client: FlaskClient, app: Flask) -> None:
    tell_story(client, app)
    response = call(client, "GET", f"sys/ledger/history/activity?{WINDOW}", headers={"X-Vault-Namespace": "team-a"})
    assert response.status_code == 200 and response.json["data"]["totals"]["created"] == 0


@pytest.mark.one_store
@pytest.mark.parametrize(("query", "message"), [
    ("step=week", "step must be one of hour, day"),
    ("from=2026-04-02T00:00:00Z&to=2026-04-01T00:00:00Z", "from must be before to"),
    ("from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "the window holds more than 2000 hours"),
    ("from=yesterday", "from must be an RFC 3339 time"),
])
def test_bad_activity_input_is_a_clear_400(client: FlaskClient, query: str, message: str) -> None:
    response = call(client, "GET", f"sys/ledger/history/activity?{query}")
    assert response.status_code == 400 and message in response.json["errors"][0]


def test_the_activity_read_models_equal_a_rebuild(client: FlaskClient, app: Flask) -> None:
    tell_story(client, app)
    runtime = runtime_of(app)
    before = {table: sorted(runtime.read_models.rows(table), key=repr) for table in (HOURS, ADDRESSES)}
    assert verify(runtime.ledger, runtime.read_models) == []
    rebuild(runtime.ledger, runtime.read_models)
    assert {table: sorted(runtime.read_models.rows(table), key=repr) for table in (HOURS, ADDRESSES)} == before
    assert len(before[HOURS]) >= 8


def search(client: FlaskClient, query: str, status: int = 200) -> Any:
    response = call(client, "GET", f"sys/ledger/history/search?{query}")
    assert response.status_code == status, response.json
    return response.json["data"] if status == 200 else response.json


def test_search_finds_tokens_by_each_criterion(client: FlaskClient, app: Flask) -> None:
    story = tell_story(client, app)
    assert sorted(search(client, "role=ci")["keys"]) == sorted(story.role_tokens)
    assert search(client, f"creator={story.parent}")["keys"] == [story.limited]
    assert search(client, "display_name=box")["keys"] == [story.parent]  # a part, in any case
    assert search(client, "remote_addr=192.0.2.7")["keys"] == [story.limited]
    assert sorted(search(client, "policy=WEB")["keys"]) == sorted([story.parent, story.limited, *story.role_tokens])
    window = search(client, "from=2026-04-01T11:00:00Z&to=2026-04-01T12:30:00Z")
    assert sorted(window["keys"]) == sorted([story.limited, story.short]) and window["total"] == 2
    both = search(client, "role=ci&from=2026-04-01T11:00:00Z")
    assert both["keys"] == [] and both["total"] == 0
    assert search(client, "display_name=%25")["keys"] == []  # LIKE's wildcards are taken literally


def test_search_follows_descendants_and_pages_as_the_api_does(client: FlaskClient, app: Flask) -> None:
    story = tell_story(client, app)
    root = call(client, "GET", "lookup-self").json["data"]["accessor"]
    with freeze_time("2026-04-01 13:30:00"):
        mid = create(client, story.parent_token, display_name="mid")["auth"]
        grandchild = create(client, mid["client_token"], display_name="grandchild")["auth"]["accessor"]
    assert search(client, f"creator={root}")["keys"] == search(client, f"creator={root}&descendants=false")["keys"]
    assert grandchild not in search(client, f"creator={root}&limit=1000")["keys"]
    everything = search(client, f"creator={root}&descendants=true&limit=1000")
    assert {story.limited, mid["accessor"], grandchild} <= set(everything["keys"])
    first = search(client, f"creator={root}&descendants=true&limit=2")
    assert first["total"] == everything["total"] and first["keys"] == everything["keys"][:2]
    second = search(client, f"creator={root}&descendants=true&limit=2&after={first['next_after']}")
    assert second["keys"] == everything["keys"][2:4]
    combined = search(client, f"creator={root}&descendants=true&remote_addr=192.0.2.7&display_name=WORK&policy=web")
    assert combined["keys"] == [story.limited] and combined["total"] == 1
    assert search(client, f"creator={story.parent}&remote_addr=192.0.2.7&role=ci")["total"] == 0
    api = call(client, "GET", f"sys/ledger/history/creator/{root}?descendants=true&limit=1000").json["data"]
    assert api["keys"] == everything["keys"] and api["total"] == everything["total"]


@pytest.mark.one_store
@pytest.mark.parametrize(("query", "message"), [
    ("descendants=true", "descendants needs a creator accessor"),
    ("from=2026-04-02T00:00:00Z&to=2026-04-01T00:00:00Z", "from must be before to"),
    ("limit=0", "limit must be a positive number"),
    ("limit=x", "limit must be a whole number"),
    ("role=" + "r" * 300, "role is longer than 256 characters"),
])
def test_bad_search_input_is_a_clear_400(client: FlaskClient, query: str, message: str) -> None:
    assert message in search(client, query, 400)["errors"][0]


@pytest.mark.one_store
def test_activity_and_search_need_sudo(client: FlaskClient) -> None:
    let_create_tokens(client, "auditish")
    token = create(client, policies=["auditish"], ttl="1h")["auth"]["client_token"]
    for path in ("activity", "search"):
        assert call(client, "GET", f"sys/ledger/history/{path}", token).status_code == 403


def test_one_save_counts_the_events_of_a_token_it_creates(runtime: Runtime) -> None:
    """Events after a creation copy the token's role and creator from its registry row: in one
    save whose first event is another token's use, the new token's row is still written first."""
    now = datetime(2026, 4, 1, 10, 30, tzinfo=UTC)
    used = _token(runtime, "a", now, num_uses=2)
    runtime.ledger.save(used)
    used.trigger_event(TokenUsed, timestamp=now, uses_left=1, actor_accessor=used.accessor, remote_addr="192.0.2.1")
    fresh = _token(runtime, "b", now, role="ci")
    fresh.trigger_event(TokenRevoked, timestamp=now, reason="test", actor_accessor="", remote_addr="")
    runtime.ledger.save(used, fresh)
    counts = {(row[2], row[3]): row[5] for row in runtime.read_models.rows(HOURS)}
    assert counts == {("created", ""): 1, ("used", ""): 1, ("created", "ci"): 1, ("revoked", "ci"): 1}


def _token(runtime: Runtime, name: str, now: datetime, *, num_uses: int = 0, role: str = "") -> Token:
    plan = TokenPlan(parent_id=None, policies=["default"], meta=None, display_name=name, path="auth/token/create",
                     num_uses=num_uses, renewable=True, ttl=3600, explicit_max_ttl=0, period=0,
                     token_type=TokenType.SERVICE, role_name=role)
    return Token.issue(uuid4(), new_accessor(), plan, now, Actor("creator", "192.0.2.9"))
