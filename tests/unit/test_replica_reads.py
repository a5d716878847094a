"""Routing of reads to replicas, on fakes: what a scope may read, and the shared position probe."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from tokenledger.application import read_scope
from tokenledger.projections.replica_reads import Replica, ReplicaRouter, SharedProbe


class FakeCursor:
    def __init__(self, served_by: str, log: list[str], fails: bool = False) -> None:
        self.served_by, self.log, self.fails = served_by, log, fails

    def execute(self, sql: Any, params: Any = None) -> None:
        if self.fails:
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        self.log.append(self.served_by)

    def fetchall(self) -> list[Any]:
        return [{"served_by": self.served_by}]

    def fetchone(self) -> Any:
        return {"served_by": self.served_by}


class FakePool:
    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log, self.fails = name, log, False

    def open(self, wait: bool = True) -> None:
        pass

    def close(self) -> None:
        pass

    @contextmanager
    def connection(self) -> Iterator[Any]:
        pool = self

        class Connection:
            def cursor(self) -> FakeCursor:
                return FakeCursor(pool.name, pool.log, pool.fails)

        yield Connection()


class FakeReplica(Replica):
    def __init__(self, name: str, log: list[str]) -> None:
        super().__init__(name, FakePool(name, log))  # type: ignore[arg-type]
        self.position: int | None = 0
        self.asked = 0

    def replay_position(self) -> int | None:
        self.asked += 1
        if isinstance(self.pool, FakePool) and self.pool.fails:
            raise psycopg.OperationalError("connection refused")
        return self.position


@pytest.fixture
def world() -> Iterator[tuple[ReplicaRouter, list[FakeReplica], list[str], list[int]]]:
    served: list[str] = []
    primary_position = [100]

    @contextmanager
    def primary() -> Iterator[FakeCursor]:
        yield FakeCursor("primary", served)

    replicas = [FakeReplica("r1", served), FakeReplica("r2", served)]
    router = ReplicaRouter(primary, lambda: primary_position[0], replicas, wait_seconds=0.02)
    yield router, replicas, served, primary_position


def read(router: ReplicaRouter) -> str:
    with router() as cursor:
        cursor.execute("SELECT 1")
        return str(cursor.fetchone()["served_by"])


def test_outside_a_scope_every_read_goes_to_the_primary(world: Any) -> None:
    router, replicas, _, _ = world
    for replica in replicas:
        replica.position = 10_000
    assert read(router) == "primary"


def test_a_scope_reads_a_replica_that_replayed_past_the_primary_position(world: Any) -> None:
    router, replicas, _, _ = world
    replicas[0].position, replicas[1].position = 99, 100
    with read_scope.replica_reads():
        assert read(router) == "r2"


def test_a_replica_behind_the_position_is_never_read(world: Any) -> None:
    router, replicas, _, _ = world
    replicas[0].position = replicas[1].position = 99
    with read_scope.replica_reads():
        assert read(router) == "primary"
    assert all(replica.asked >= 2 for replica in replicas)  # it asked them again while it waited


def test_the_position_is_fixed_by_the_scope_s_first_read(world: Any) -> None:
    router, replicas, _, primary_position = world
    replicas[0].position = replicas[1].position = 100
    with read_scope.replica_reads():
        assert read(router).startswith("r")
        primary_position[0] = 200  # a write elsewhere after the request began
        assert read(router).startswith("r")
    with read_scope.replica_reads():
        assert read(router) == "primary"


def test_a_write_in_the_scope_sends_its_later_reads_to_the_primary(world: Any) -> None:
    router, replicas, _, _ = world
    replicas[0].position = replicas[1].position = 100
    with read_scope.replica_reads():
        assert read(router).startswith("r")
        read_scope.wrote()
        assert read(router) == "primary"
    assert read_scope.current() is None


def test_a_replica_that_fails_is_passed_over_and_its_read_runs_on_the_primary(world: Any) -> None:
    router, replicas, _, _ = world
    replicas[0].position = replicas[1].position = 100
    with read_scope.replica_reads():
        first = read(router)
    failing = next(replica for replica in replicas if replica.name == first)
    failing.pool.fails = True
    with read_scope.replica_reads(), router() as cursor:  # the replica failed the statement: it ran elsewhere
        cursor.execute("SELECT 1")
        assert cursor.fetchone()["served_by"] in ("primary", *(r.name for r in replicas if r is not failing))
    for _ in range(4):
        with read_scope.replica_reads():
            assert read(router) != failing.name


def test_routed_reads_are_counted(world: Any) -> None:
    router, replicas, _, _ = world
    counted: list[str] = []
    router.counted.append(counted.append)
    replicas[0].position = 100
    with read_scope.replica_reads():
        read(router)
    replicas[0].position = replicas[1].position = 50
    replicas[0].replayed = replicas[1].replayed = 0
    with read_scope.replica_reads():
        read(router)
    read(router)  # outside a scope: not counted
    assert counted == ["replica", "primary"]


def test_a_probe_begun_before_a_caller_arrived_is_not_its_answer() -> None:
    calls = []
    first_running, release_first = threading.Event(), threading.Event()

    def probe() -> int:
        calls.append(len(calls) + 1)
        if len(calls) == 1:
            first_running.set()
            release_first.wait(5)
        return len(calls)

    shared = SharedProbe(probe)
    answers: dict[str, int] = {}
    early = threading.Thread(target=lambda: answers.__setitem__("early", shared.value()))
    early.start()
    first_running.wait(5)
    late = [threading.Thread(target=lambda i=i: answers.__setitem__(f"late{i}", shared.value())) for i in range(5)]
    for thread in late:
        thread.start()
    time.sleep(0.05)
    release_first.set()
    for thread in (early, *late):
        thread.join(5)
    assert answers["early"] == 1
    assert {answers[f"late{i}"] for i in range(5)} == {2}  # one more probe served all five
    assert calls == [1, 2]


def test_a_failed_probe_fails_its_callers_and_the_next_one_runs_again() -> None:
    outcomes = iter([psycopg.OperationalError("no primary"), 7])

    def probe() -> int:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    shared = SharedProbe(probe)
    with pytest.raises(psycopg.OperationalError):
        shared.value()
    assert shared.value() == 7
