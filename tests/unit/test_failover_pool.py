"""The pool of a PostgreSQL store that may lose its primary, without a server: what it hurries."""

from __future__ import annotations

from typing import Any

import psycopg_pool
import pytest
from psycopg_pool.pool import AddConnection, ShrinkPool

from tokenledger.projections.postgres_connections import RETRY_INTERVAL, FailoverPool, connection_options


def test_a_failed_connection_attempt_is_retried_soon_and_shrinking_keeps_its_period(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scheduled: list[tuple[str, float]] = []

    def record(pool: Any, task: Any, delay: float) -> None:
        scheduled.append((type(task).__name__, delay))

    monkeypatch.setattr(psycopg_pool.ConnectionPool, "schedule_task", record)
    pool = FailoverPool(kwargs={}, min_size=1, open=False, configure=lambda connection: None)
    pool.schedule_task(AddConnection(pool), 16.0)
    pool.schedule_task(ShrinkPool(pool), 600.0)
    assert scheduled == [("AddConnection", RETRY_INTERVAL), ("ShrinkPool", 600.0)]


def test_every_wait_on_a_connection_is_bounded() -> None:
    options = connection_options(2.5, "read-write")
    assert options["connect_timeout"] == 3  # libpq takes whole seconds, per host
    assert options["tcp_user_timeout"] == 2500  # milliseconds without an acknowledgement
    assert options["target_session_attrs"] == "read-write"
    assert options["keepalives"] == 1
