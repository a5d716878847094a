"""Connections to a PostgreSQL store that ride out the loss of its primary.

libpq, given several hosts and ``target_session_attrs=read-write``, connects to whichever of them is
the primary now. What is left to do here: bound every wait (a connection attempt on each host, a
wait for a pooled connection, a peer gone silent); once the primary is lost, fail requests at once
rather than each after the timeout; check every idle connection as soon as one is found broken;
and, while no primary answers, try to connect every ``RETRY_INTERVAL`` rather than with the pool's
backoff, which grows to minutes.

``LedgerPostgresFactory`` is the library's PostgreSQL factory (named by ``PERSISTENCE_MODULE``)
with such a pool.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from typing import Any

from eventsourcing.postgres import ConnectionPool, PostgresDatastore, PostgresFactory
from eventsourcing.utils import Environment
from psycopg import Connection
from psycopg.rows import DictRow
from psycopg_pool import PoolTimeout
from psycopg_pool.pool import AddConnection, MaintenanceTask

from tokenledger.wiring.postgres_url import TARGET_SESSION_ATTRS_KEY

log = logging.getLogger(__name__)

RETRY_INTERVAL = 0.25  # seconds between attempts to reach a primary while none answers
# Seconds a request waits for a connection while the primary is lost. Not 0, which the pool
# refuses even when a connection is ready. The library retries a failed statement 10 times,
# 0.2 s apart, so a request gets its 503 about 2.5 s into an outage.
FAIL_FAST_WAIT = 0.05
_KEEPALIVE = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 2}


def connection_options(timeout_seconds: float, target_session_attrs: str) -> dict[str, Any]:
    """libpq's options for one connection: ``connect_timeout`` bounds the attempt on each host
    (whole seconds), ``tcp_user_timeout`` and keepalives close a connection whose peer went silent."""
    return {"connect_timeout": max(1, math.ceil(timeout_seconds)), "target_session_attrs": target_session_attrs,
            "tcp_user_timeout": max(1, round(timeout_seconds * 1000)), **_KEEPALIVE}


class FailoverPool(ConnectionPool[Connection[DictRow]]):
    """The library's pool, for a primary that may go away: while it is gone (a connection was
    found broken, or none came within the timeout, and none has connected or worked since), a
    request gets its error at once instead of after the timeout; the idle connections are
    checked at once when one is found broken; and a new connection is tried every
    ``RETRY_INTERVAL``."""

    def __init__(self, *args: Any, configure: Callable[[Connection[DictRow]], None], **kwargs: Any) -> None:
        super().__init__(*args, configure=self._configured_by(configure), **kwargs)
        self._purging = threading.Lock()
        self.primary_lost = False

    def _configured_by(self, configure: Callable[[Connection[DictRow]], None]) -> Callable[[Connection[DictRow]], None]:
        def connected(connection: Connection[DictRow]) -> None:
            configure(connection)
            self.primary_lost = False

        return connected

    def getconn(self, timeout: float | None = None) -> Connection[DictRow]:
        try:
            return super().getconn(FAIL_FAST_WAIT if self.primary_lost else timeout)
        except PoolTimeout:
            self.primary_lost = True
            raise

    def putconn(self, conn: Connection[DictRow]) -> None:
        if conn.broken:
            self.primary_lost = True
            self._purge_idle()
        else:
            self.primary_lost = False
        super().putconn(conn)

    def schedule_task(self, task: MaintenanceTask, delay: float) -> None:
        """A failed connection attempt is tried again after at most ``RETRY_INTERVAL``; the
        pool's other scheduled task, shrinking it every ``max_idle``, keeps its period."""
        super().schedule_task(task, min(delay, RETRY_INTERVAL) if isinstance(task, AddConnection) else delay)

    def _purge_idle(self) -> None:
        """Check every idle connection in the background, once at a time: one broken connection
        means the others to the same server are broken too, and each would fail a request."""
        if self._purging.acquire(blocking=False):
            threading.Thread(target=self._check_then_release, name="tokenledger-pool-purge", daemon=True).start()

    def _check_then_release(self) -> None:
        try:
            self.check()
        except Exception as error:  # the pool may be closing; the next broken connection tries again
            log.debug("pool check failed: %s", error)
        finally:
            self._purging.release()


def failover_pool(datastore: PostgresDatastore, options: dict[str, Any]) -> FailoverPool:
    """A ``FailoverPool`` in place of the one the datastore made, with its settings."""
    made = datastore.pool
    return FailoverPool(
        connection_class=made.connection_class,
        kwargs={**(made.kwargs if isinstance(made.kwargs, dict) else {}), **options},
        min_size=made.min_size,
        max_size=made.max_size,
        open=False,
        configure=datastore.after_connect_func(),
        timeout=made.timeout,
        max_waiting=made.max_waiting,
        max_lifetime=made.max_lifetime,
        get_password_func=made.get_password_func,
    )


class LedgerPostgresFactory(PostgresFactory):
    def __init__(self, env: Environment) -> None:
        super().__init__(env)
        timeout = float(self.env.get(self.POSTGRES_CONNECT_TIMEOUT) or 5)
        target = self.env.get(TARGET_SESSION_ATTRS_KEY) or "any"
        unused = self.datastore.pool
        self.datastore.pool = failover_pool(self.datastore, connection_options(timeout, target))
        unused.close()

