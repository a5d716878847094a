"""Finding 6 of issue 13: concurrent writes of one policy or one role answered 500 (``UNIQUE
constraint failed: stored_events.originator_id, originator_version``) on both stores. Vault's last
writer wins: every write is acknowledged, and the state is that of the last one recorded."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from eventsourcing.persistence import RecordConflictError
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import ROOT_TOKEN
from tests.servers import running
from tests.vault_http import call
from tokenledger.application.retry import retry_on_conflict
from tokenledger.domain.errors import ConcurrentUpdate
from tokenledger.domain.policy import PolicyDeleted, policy_id
from tokenledger.domain.role import RoleDeleted, RoleWritten
from tokenledger.domain.role_settings import role_id
from tokenledger.web.app import runtime_of
from tokenledger.wiring.bootstrap import bootstrap
from tokenledger.wiring.server import initialise_store
from tokenledger.wiring.settings import Settings

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


def test_two_processes_racing_writes_of_one_policy_all_succeed(store: str) -> None:
    """Threads of one process take turns; two worker processes only retry, and must still all
    succeed."""
    initialise_store(Settings(store=store), ROOT_TOKEN)
    texts = [_policy_text(n, 0) for n in range(24)]
    with running("--store", store, "--workers", "2") as server:
        def write(n: int) -> int:
            return requests.put(f"{server.url}/v1/sys/policy/racy", json={"policy": texts[n]},
                                headers={"X-Vault-Token": ROOT_TOKEN}, timeout=30).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            assert set(pool.map(write, range(len(texts)))) == {204}
        read = requests.get(f"{server.url}/v1/sys/policy/racy", headers={"X-Vault-Token": ROOT_TOKEN},
                            timeout=30)
    runtime = bootstrap(Settings(store=store))
    try:
        events = list(runtime.ledger.events.get(policy_id("", "racy")))
    finally:
        runtime.close()
    assert sorted(event.text for event in events) == sorted(texts)
    assert read.json()["data"]["rules"] == events[-1].text


def test_the_retry_helper_gives_up_after_its_attempts_with_its_message() -> None:
    calls: list[int] = []

    def always_conflicts() -> None:
        calls.append(1)
        raise RecordConflictError("taken")

    with pytest.raises(ConcurrentUpdate, match="^busy, try again$"):
        retry_on_conflict(always_conflicts, attempts=3, gave_up="busy, try again")
    assert len(calls) == 3
    assert retry_on_conflict(lambda: 7, attempts=1, gave_up="never") == 7
