"""Finding 6 of issue 13: concurrent writes of one policy or one role answered 500 (``UNIQUE
constraint failed: stored_events.originator_id, originator_version``) on both stores. Vault's last
writer wins: every write is acknowledged, and the state is that of the last one recorded. The
retry helper behind every optimistic write gives up after its attempts, with its message."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from eventsourcing.persistence import RecordConflictError
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support.vault_http import call
from tokenledger.application.retry import retry_on_conflict
from tokenledger.domain.errors import ConcurrentUpdate
from tokenledger.domain.policy import PolicyDeleted, policy_id
from tokenledger.domain.role import RoleDeleted, RoleWritten
from tokenledger.domain.role_settings import role_id
from tokenledger.web.app import runtime_of

THREADS = 12
ROUNDS = 5


def _race(app: Flask, request: Callable[[FlaskClient, int, int], TestResponse]) -> list[int]:
    """Every thread makes ROUNDS requests at once with the others; the status codes answered."""
    statuses: list[int] = []
    start = threading.Barrier(THREADS)

    def run(thread: int) -> None:
        client = app.test_client()
        start.wait()
        for round_ in range(ROUNDS):
            statuses.append(request(client, thread, round_).status_code)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(statuses) == THREADS * ROUNDS, "a request thread died"
    return statuses


def _policy_text(thread: int, round_: int) -> str:
    return f'path "secret/{thread}/{round_}" {{ capabilities = ["read"] }}'


def _events(app: Flask, aggregate_id: Any) -> list[Any]:
    return list(runtime_of(app).ledger.events.get(aggregate_id))


def test_racing_writes_of_one_policy_all_succeed_and_the_last_one_stands(app: Flask) -> None:
    def write(client: FlaskClient, thread: int, round_: int) -> TestResponse:
        return call(client, "PUT", "sys/policy/racy", body={"policy": _policy_text(thread, round_)})

    assert set(_race(app, write)) == {204}
    events = _events(app, policy_id("", "racy"))
    assert len(events) == THREADS * ROUNDS  # every acknowledged write is recorded
    assert {event.text for event in events} == {_policy_text(t, r) for t in range(THREADS) for r in range(ROUNDS)}
    read = call(app.test_client(), "GET", "sys/policy/racy")
    assert read.json["data"]["rules"] == events[-1].text


def test_racing_writes_and_deletes_of_one_policy_all_succeed(app: Flask) -> None:
    def write_or_delete(client: FlaskClient, thread: int, round_: int) -> TestResponse:
        if (thread + round_) % 2:
            return call(client, "DELETE", "sys/policies/acl/racy")
        return call(client, "PUT", "sys/policies/acl/racy", body={"policy": _policy_text(thread, round_)})

    assert set(_race(app, write_or_delete)) == {204}
    events = _events(app, policy_id("", "racy"))
    writes = [event for event in events if not isinstance(event, PolicyDeleted)]
    assert len(writes) == THREADS * ROUNDS // 2
    read = call(app.test_client(), "GET", "sys/policies/acl/racy")
    if isinstance(events[-1], PolicyDeleted):
        assert read.status_code == 404
    else:
        assert read.json["data"]["policy"] == events[-1].text


def test_racing_writes_and_deletes_of_one_role_all_succeed(app: Flask) -> None:
    def write_or_delete(client: FlaskClient, thread: int, round_: int) -> TestResponse:
        if (thread + round_) % 3 == 2:
            return call(client, "DELETE", "roles/racy")
        return call(client, "POST", "roles/racy", body={"allowed_policies": [f"p{thread}-{round_}"]})

    statuses = _race(app, write_or_delete)
    assert set(statuses) == {204}
    events = _events(app, role_id("", "racy"))
    written = [event for event in events if isinstance(event, RoleWritten)]
    assert len(written) == sum(1 for t in range(THREADS) for r in range(ROUNDS) if (t + r) % 3 != 2)
    read = call(app.test_client(), "GET", "roles/racy")
    if isinstance(events[-1], RoleDeleted):
        assert read.status_code == 404
    else:
        assert read.json["data"]["allowed_policies"] == events[-1].allowed_policies


def test_the_retry_helper_gives_up_after_its_attempts_with_its_message() -> None:
    calls: list[int] = []

    def always_conflicts() -> None:
        calls.append(1)
        raise RecordConflictError("taken")

    with pytest.raises(ConcurrentUpdate, match="^busy, try again$"):
        retry_on_conflict(always_conflicts, attempts=3, gave_up="busy, try again")
    assert len(calls) == 3
    assert retry_on_conflict(lambda: 7, attempts=1, gave_up="never") == 7
