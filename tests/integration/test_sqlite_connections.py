"""The ledger's SQLite connections: the library's, but with a statement cache that holds every
statement a save runs (the library's ``cached_statements=True`` is a cache of one)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from pytest import MonkeyPatch

from tokenledger.projections.sqlite_connections import CACHED_STATEMENTS, StatementCachingPool
from tokenledger.wiring.bootstrap import bootstrap
from tokenledger.wiring.settings import Settings


def _pool(db_name: str) -> StatementCachingPool:
    return StatementCachingPool(db_name=db_name, lock_timeout=5, pool_size=2, max_overflow=2, pool_timeout=5.0)


def test_the_ledgers_writes_go_through_the_caching_pool(tmp_path: Path) -> None:
    runtime = bootstrap(Settings(store=str(tmp_path / "ledger.db")))
    recorder = runtime.ledger.recorder
    assert isinstance(recorder.datastore.pool, StatementCachingPool)  # type: ignore[attr-defined]
    runtime.close()


def test_a_file_database_is_opened_in_wal_mode_with_rows_by_name(tmp_path: Path) -> None:
    pool = _pool(str(tmp_path / "ledger.db"))
    connection = pool.get_connection(is_writer=True)
    try:
        raw = connection._sqlite_conn
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert pool.is_journal_mode_wal and pool.journal_mode_was_changed_to_wal
        assert raw.row_factory is sqlite3.Row and raw.isolation_level is None
    finally:
        pool.put_connection(connection)
        pool.close()


def test_a_second_pool_on_the_same_file_finds_it_in_wal_mode(tmp_path: Path) -> None:
    _pool(str(tmp_path / "ledger.db")).get_connection(is_writer=True)
    again = _pool(str(tmp_path / "ledger.db"))
    again.put_connection(again.get_connection(is_writer=True))
    assert again.is_journal_mode_wal and not again.journal_mode_was_changed_to_wal


def test_connections_cache_more_statements_than_a_save_runs(tmp_path: Path, monkeypatch: MonkeyPatch) -> None:
    opened: list[dict[str, object]] = []
    connect = sqlite3.connect

    def recording_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened.append(kwargs)
        return connect(*args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", recording_connect)
    pool = _pool(str(tmp_path / "ledger.db"))
    pool.put_connection(pool.get_connection(is_writer=True))
    assert [kwargs["cached_statements"] for kwargs in opened] == [CACHED_STATEMENTS]
    assert CACHED_STATEMENTS > 64  # a save runs about a dozen; the reads of a request a few more
