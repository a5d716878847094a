"""Reads from PostgreSQL hot standbys that can never show a stale state.

A read may go to a replica only inside a scope the web layer opens for requests that only read
(``tokenledger.application.read_scope``). The scope's first read asks the primary for its WAL
position (``pg_current_wal_insert_lsn()``): every write acknowledged before the request began,
through any server, lies below it. A replica serves the scope's reads once it has replayed that far
(``pg_last_wal_replay_lsn()``); one that has not within ``wait_seconds``, or that does not answer,
is passed over for the primary. So a token revoked or used up through any server is refused by
every server on its next request, as if there were no replicas.

One primary round trip per request would cost the primary as much as the read it saves, so the
position is asked for by one request at a time for all who are waiting (``SharedProbe``): a
request waits for a probe begun after it arrived, never for one begun before.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from tokenledger.application import read_scope
from tokenledger.projections.postgres_connections import connection_options
from tokenledger.projections.read_model_store import Cursor, Reader

log = logging.getLogger(__name__)

PRIMARY_POSITION = "SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn AS position"
REPLAY_POSITION = "SELECT pg_last_wal_replay_lsn() - '0/0'::pg_lsn AS position"
DOWN_SECONDS = 2.0  # a replica that failed is left alone this long
REPLICA_POOL_SIZE = 4
REPLICA_WAIT_FOR_CONNECTION = 0.25  # seconds: a replica without a free connection is passed over


@dataclass(frozen=True)
class ReplicaOptions:
    """``replicas``: each one's name and psycopg's connection keywords. ``counted`` observers are
    told ``"replica"`` or ``"primary"`` for each read routed in a replica scope."""

    replicas: tuple[tuple[str, dict[str, str]], ...]
    wait_seconds: float
    timeout_seconds: float
    counted: list[Callable[[str], object]] = field(default_factory=list, compare=False)

    def router(self, primary: Reader, primary_position: Callable[[], int]) -> ReplicaRouter:
        replicas = [Replica(name, replica_pool(conninfo, self.timeout_seconds)) for name, conninfo in self.replicas]
        return ReplicaRouter(primary, primary_position, replicas, self.wait_seconds, self.counted)


class SharedProbe:
    """``value()`` is the result of a call of ``probe`` that began after ``value()`` was called;
    callers that arrive while one runs wait for the next, which one of them runs for all."""

    def __init__(self, probe: Callable[[], int]) -> None:
        self._probe = probe
        self._changed = threading.Condition()
        self._started = self._finished = 0  # probes begun and ended, one at a time, numbered from 1
        self._running = False
        self._value = 0
        self._error: Exception | None = None

    def value(self) -> int:
        with self._changed:
            wanted = self._started + 1
            while self._finished < wanted:
                if not self._running:
                    self._running, self._started = True, self._started + 1
                    break
                self._changed.wait()
            else:
                return self._result()
        value, error = self._run()
        with self._changed:
            self._value, self._error, self._finished, self._running = value, error, self._started, False
            self._changed.notify_all()
            return self._result()

    def _run(self) -> tuple[int, Exception | None]:
        try:
            return self._probe(), None
        except Exception as error:
            return 0, error

    def _result(self) -> int:
        if self._error is not None:
            raise self._error
        return self._value


@dataclass(eq=False)
class Replica:
    name: str  # host:port, for logs and metrics
    pool: ConnectionPool[Any]
    replayed: int = 0  # the furthest replay position it has reported
    down_until: float = 0.0

    def replay_position(self) -> int | None:
        """None when it is not replaying (a primary, or a promoted standby's successor)."""
        with self.pool.connection() as connection:
            row = connection.execute(REPLAY_POSITION).fetchone()
        return None if row is None or row["position"] is None else int(row["position"])


def replica_pool(conninfo: dict[str, str], timeout_seconds: float) -> ConnectionPool[Any]:
    return ConnectionPool(kwargs={**conninfo, "row_factory": dict_row,
                                  **connection_options(min(timeout_seconds, 1.0), "any")},
                          min_size=1, max_size=REPLICA_POOL_SIZE, open=False, timeout=REPLICA_WAIT_FOR_CONNECTION,
                          configure=_autocommit, name="tokenledger-replica")


def _autocommit(connection: psycopg.Connection[Any]) -> None:
    connection.autocommit = True


@dataclass(eq=False)
class ReplicaRouter:
    """A ``ReadModelStore`` reader: each query goes to a replica the scope may read, else to
    ``primary`` (see ``ReplicaOptions`` for ``counted``)."""

    primary: Reader
    primary_position: Callable[[], int]
    replicas: Sequence[Replica]
    wait_seconds: float
    counted: list[Callable[[str], object]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._position = SharedProbe(self.primary_position)
        self._turns = itertools.count()
        for replica in self.replicas:
            replica.pool.open(wait=False)

    def __call__(self) -> AbstractContextManager[Cursor]:
        scope = read_scope.current()
        if scope is None:
            return self.primary()
        if scope.position is None:
            scope.position = self._position.value()
        replica = self._caught_up(scope.position)
        self._count("primary" if replica is None else "replica")
        return self.primary() if replica is None else self._on(replica)

    def close(self) -> None:
        for replica in self.replicas:
            replica.pool.close()

    def _count(self, target: str) -> None:
        for observer in self.counted:
            observer(target)

    def _caught_up(self, position: int) -> Replica | None:
        """A replica that has replayed ``position``, asking them again for up to ``wait_seconds``."""
        deadline = time.monotonic() + self.wait_seconds
        pause = 0.001
        while True:
            replica = self._first_caught_up(position)
            if replica is not None or time.monotonic() + pause > deadline:
                return replica
            time.sleep(pause)
            pause = min(pause * 2, 0.01)

    def _first_caught_up(self, position: int) -> Replica | None:
        start = next(self._turns)
        for offset in range(len(self.replicas)):
            replica = self.replicas[(start + offset) % len(self.replicas)]
            if replica.down_until > time.monotonic():
                continue
            if replica.replayed < position:
                self._refresh(replica)
            if replica.replayed >= position:
                return replica
        return None

    def _refresh(self, replica: Replica) -> None:
        try:
            replayed = replica.replay_position()
        except psycopg.Error as error:
            self._down(replica, error)
            return
        if replayed is None:
            self._down(replica, "it is not a hot standby")
        else:
            replica.replayed = max(replica.replayed, replayed)

    def _down(self, replica: Replica, why: object) -> None:
        log.warning("read replica %s passed over for %.0f s: %s", replica.name, DOWN_SECONDS, why)
        replica.down_until = time.monotonic() + DOWN_SECONDS

    @contextmanager
    def _on(self, replica: Replica) -> Iterator[Cursor]:
        with ExitStack() as stack:
            yield _FallbackCursor(self, replica, stack)


class _FallbackCursor:
    """A replica's cursor that, when the replica fails a statement, runs it on the primary."""

    def __init__(self, router: ReplicaRouter, replica: Replica, stack: ExitStack) -> None:
        self._router, self._replica, self._stack = router, replica, stack
        self._cursor: Any = None

    def execute(self, sql: Any, params: Any = None) -> Any:
        if self._cursor is None:
            try:
                connection = self._stack.enter_context(self._replica.pool.connection())
                self._cursor = connection.cursor()
                return self._cursor.execute(sql, params)
            except psycopg.OperationalError as error:
                self._router._down(self._replica, error)
                self._cursor = self._stack.enter_context(self._router.primary())
        return self._cursor.execute(sql, params)

    def executemany(self, sql: Any, params: Any) -> Any:
        raise TypeError("a replica is read-only")

    def fetchall(self) -> list[Any]:
        return list(self._cursor.fetchall())

    def fetchone(self) -> Any:
        return self._cursor.fetchone()
