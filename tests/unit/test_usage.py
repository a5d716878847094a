"""A token's use in the ledger at a bounded cost: a use of a token without a use limit is recorded
(``TokenUsed``: when, from where, path and operation) at most once an interval, only for a request
served without error, and never fails it; lookup answers stay Vault's."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, OperationalError
from flask import Flask
from flask.testing import FlaskClient
from freezegun import freeze_time

from tests.support.runtimes import ROOT_TOKEN, accept_frozen_time, recorded_topics
from tests.support.vault_http import call, create
from tokenledger.application.usage import UsageRecorder
from tokenledger.domain.actor import Actor
from tokenledger.web.app import create_app, runtime_of
from tokenledger.wiring.bootstrap import Runtime
from tokenledger.wiring.settings import Settings, SettingsError

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def uses(app: Flask, accessor: str) -> list[dict[str, Any]]:
    response = call(app.test_client(), "GET", f"sys/ledger/history/accessor/{accessor}")
    return [event for event in response.json["data"]["events"] if event["type"] == "TokenUsed"]


def new_token(client: FlaskClient, **body: Any) -> tuple[str, str]:
    auth = create(client, policies=["default"], ttl="24h", **body)["auth"]
    return auth["client_token"], auth["accessor"]


def test_a_use_is_recorded_once_an_interval_with_when_where_path_and_operation(
        app: Flask, client: FlaskClient) -> None:
    with freeze_time(T0) as clock:
        token, accessor = new_token(client)
        for _ in range(3):
            assert call(client, "GET", "lookup-self", token).status_code == 200
        clock.tick(59)
        call(client, "POST", "renew-self", token)
        assert len(uses(app, accessor)) == 1
        clock.tick(1)
        call(client, "POST", "renew-self", token)
    first, second = uses(app, accessor)
    assert first["time"] == "2026-05-01T09:00:00Z" and first["remote_addr"] == "127.0.0.1"
    assert first["actor_accessor"] == accessor
    assert first["changes"] == {"uses_left": None, "path": "auth/token/lookup-self", "operation": "read"}
    assert second["changes"]["path"] == "auth/token/renew-self" and second["time"] == "2026-05-01T09:01:00Z"


@pytest.fixture
def every_use_app(settings: Settings) -> Iterator[Flask]:
    app = create_app(replace(settings, usage_interval=0))
    accept_frozen_time(runtime_of(app)).service.initialise(ROOT_TOKEN)
    yield app
    runtime_of(app).close()


def test_an_interval_of_zero_records_every_use(every_use_app: Flask) -> None:
    client = every_use_app.test_client()
    token, accessor = new_token(client)
    for _ in range(3):
        call(client, "GET", "lookup-self", token)
    assert len(uses(every_use_app, accessor)) == 3


def test_a_refused_or_bad_request_records_no_use(app: Flask, client: FlaskClient) -> None:
    token, accessor = new_token(client)
    assert call(client, "GET", "sys/policy/default", token).status_code == 403
    assert call(client, "POST", "renew-self", token, body={"increment": "soon"}).status_code == 400
    assert uses(app, accessor) == []


def test_every_use_of_a_limited_token_is_still_recorded(app: Flask, client: FlaskClient) -> None:
    token, accessor = new_token(client, num_uses=3)
    call(client, "GET", "lookup-self", token)
    call(client, "GET", "lookup-self", token)
    assert [event["changes"]["uses_left"] for event in uses(app, accessor)] == [2, 1]


def test_lookup_answers_stay_vaults_and_the_ledger_endpoint_shows_the_last_use(client: FlaskClient) -> None:
    with freeze_time(T0):
        token, accessor = new_token(client)
        never = call(client, "GET", f"sys/ledger/history/accessor/{accessor}").json["data"]
        assert (never["last_used_time"], never["last_used_remote_addr"]) == (None, "")
        looked_up = call(client, "GET", "lookup-self", token).json["data"]
        by_accessor = call(client, "POST", "lookup-accessor", body={"accessor": accessor}).json["data"]
    assert not {"last_used_time", "last_used_remote_addr"} & (set(looked_up) | set(by_accessor))
    data = call(client, "GET", f"sys/ledger/history/accessor/{accessor}").json["data"]
    assert (data["last_used_time"], data["last_used_remote_addr"]) == ("2026-05-01T09:00:00Z", "127.0.0.1")


def test_a_batch_tokens_use_is_not_recorded(app: Flask, client: FlaskClient) -> None:
    batch = create(client, type="batch", policies=["default"], ttl="1h")["auth"]["client_token"]
    call(client, "GET", "lookup-self")  # the root token's own first use
    before = recorded_topics(runtime_of(app))
    assert call(client, "GET", "lookup-self", batch).status_code == 200
    assert recorded_topics(runtime_of(app)) == before


def test_the_read_model_row_carries_the_last_use_that_decides_the_next(runtime: Runtime) -> None:
    caller = runtime.service.authenticate(ROOT_TOKEN, "10.1.1.1")
    recorder = UsageRecorder(runtime.ledger, runtime.clock, 60)
    assert recorder.is_due(caller.view, runtime.clock.now())
    recorder.record(caller.view, caller.actor, "auth/token/lookup-self", "read")
    view = runtime.service.authenticate(ROOT_TOKEN, "10.1.1.1").view
    assert view.last_used_remote_addr == "10.1.1.1" and view.last_used_time is not None
    assert not recorder.is_due(view, runtime.clock.now())
    assert recorder.is_due(view, view.last_used_time + timedelta(seconds=60))


def test_workers_deciding_at_once_record_at_most_one_more_and_never_fail(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = runtime.service.authenticate(ROOT_TOKEN, "10.1.1.1")
    recorder = UsageRecorder(runtime.ledger, runtime.clock, 60)
    recorder.record(stale.view, stale.actor, "a", "read")
    count = len(recorded_topics(runtime))
    recorder.record(stale.view, Actor(stale.actor.accessor, "10.2.2.2"), "b", "read")  # decided on a stale row
    assert len(recorded_topics(runtime)) == count

    def conflict(*_: object) -> None:
        raise IntegrityError("another worker appended this version")

    monkeypatch.setattr(runtime.ledger, "save", conflict)
    late = UsageRecorder(runtime.ledger, runtime.clock, 0)
    late.record(stale.view, stale.actor, "c", "read")  # swallowed: the request goes on

    def unavailable(*_: object) -> None:
        raise OperationalError("the primary is gone")

    monkeypatch.setattr(runtime.ledger, "save", unavailable)
    late.record(stale.view, stale.actor, "d", "read")  # so is a store that cannot take the write


@pytest.mark.parametrize(("value", "seconds"), [("0", 0.0), ("90", 90.0), ("5m", 300.0)])
def test_the_interval_is_read_from_the_environment(value: str, seconds: float) -> None:
    assert Settings.from_env({"TOKENLEDGER_USAGE_INTERVAL": value}).usage_interval == seconds
    assert Settings.from_env({}).usage_interval == 60.0


def test_a_negative_or_malformed_interval_is_refused() -> None:
    for value in ("-1", "soon"):
        with pytest.raises(SettingsError, match="TOKENLEDGER_USAGE_INTERVAL"):
            Settings.from_env({"TOKENLEDGER_USAGE_INTERVAL": value})


def test_as_of_an_instant_a_token_shows_its_last_use_then(app: Flask, client: FlaskClient) -> None:
    audit = runtime_of(app).audit
    with freeze_time(T0) as clock:
        token, accessor = new_token(client)
        clock.tick(5)
        call(client, "GET", "lookup-self", token, environ_base={"REMOTE_ADDR": "10.9.9.9"})
        clock.tick(5)
        call(client, "POST", "revoke-self", token)
        before = audit.token_as_of("", accessor, T0 + timedelta(seconds=4))
        after = audit.token_as_of("", accessor, T0 + timedelta(seconds=6))
    assert (before.last_used_time, before.last_used_remote_addr) == (None, "")
    assert (after.last_used_time, after.last_used_remote_addr) == (T0 + timedelta(seconds=5), "10.9.9.9")
    assert audit.last_use("", accessor) == (T0 + timedelta(seconds=5), "10.9.9.9")  # ended, still known


def test_a_token_in_the_path_is_recorded_as_a_placeholder_and_nothing_else_changes() -> None:
    from tokenledger.web.access import recorded_path

    assert recorded_path("auth/token/lookup/hvs.secret", {"token": "hvs.secret"}) == "auth/token/lookup/<token>"
    assert recorded_path("auth/token/lookup/a", {"token": "a"}) == "auth/token/lookup/<token>"  # not "<token>uth/..."
    assert recorded_path("auth/token/lookup-accessor/xyz", {"accessor": "xyz"}) is None
