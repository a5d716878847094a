"""Bring the read models up to the log: catch up what they missed, rebuild them, or verify them."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.sqlite import SQLiteDatastore

from tokenledger.domain.tidy import IndexRepair
from tokenledger.projections import registry
from tokenledger.projections.dialect import SQLITE
from tokenledger.projections.read_model_store import Cursor, ReadModelStore

BATCH_SIZE = 1000
REBUILD_BATCH_SIZE = 50_000  # a rebuild runs with writers stopped: few, large commits
Progress = Callable[[int], None]


def catch_up(app: Application[UUID], store: ReadModelStore, batch_size: int = BATCH_SIZE,
             progress: Progress | None = None, *, bulk: bool = False) -> int:
    """Apply every event after the recorded position, ``batch_size`` per transaction; returns how
    many events were applied. ``bulk`` is for a replay with writers stopped."""
    applied = 0
    while True:
        notifications = app.recorder.select_notifications(
            start=store.position(), limit=batch_size, inclusive_of_start=False
        )
        if not notifications:
            return applied
        events = ((n.id, app.mapper.to_domain_event(n)) for n in notifications)  # decoded as applied
        store.apply(events, notifications[-1].id, bulk=bulk)
        applied += len(notifications)
        if progress is not None:
            progress(len(notifications))


def rebuild(app: Application[UUID], store: ReadModelStore, batch_size: int = REBUILD_BATCH_SIZE,
            progress: Progress | None = None) -> int:
    """Drop every read model's rows and replay the whole log into them (run it with writers stopped).

    The indexes only queries use are dropped first and built at the end, one sort each, which
    beats keeping them up to date through every insert. Should the rebuild die half way, the next
    start builds them again (``prepare_read_models``) and its catch-up replays the rest.
    """
    store.clear(drop_query_indexes=True)
    try:
        return catch_up(app, store, batch_size, progress, bulk=True)
    finally:
        store.create_tables()


def verify(app: Application[UUID], store: ReadModelStore, batch_size: int = BATCH_SIZE) -> list[str]:
    """Rebuild the read models from the log into scratch tables and list how the live ones differ."""
    with _scratch_store(store) as scratch:
        catch_up(app, scratch, batch_size)
        differences = []
        for table in registry.tables():
            live, rebuilt = set(store.rows(table)), set(scratch.rows(table))
            differences += [f"{table}: unexpected row {row}" for row in sorted(live - rebuilt, key=repr)]
            differences += [f"{table}: missing row {row}" for row in sorted(rebuilt - live, key=repr)]
        return differences


def repair(app: Application[UUID], store: ReadModelStore, batch_size: int = BATCH_SIZE) -> IndexRepair:
    """Make the live read models equal to a fresh replay of the log, while servers run.

    The replay runs first, unlocked; then, holding the lock every save takes, the replay catches
    up the last events and each table that differs is rewritten from it in one transaction.
    """
    with _scratch_store(store) as scratch:
        catch_up(app, scratch, batch_size)
        removed, added, tables = 0, 0, []
        with store.exclusive() as cursor:
            catch_up(app, scratch, batch_size)
            for table in registry.tables():
                live, rebuilt = set(store.rows(table)), set(scratch.rows(table))
                if live == rebuilt:
                    continue
                removed, added = removed + len(live - rebuilt), added + len(rebuilt - live)
                tables.append(table)
                _rewrite(cursor, store, table, scratch.columns(table), sorted(rebuilt, key=repr))
        return IndexRepair(rows_removed=removed, rows_added=added, tables=tables)


def _rewrite(cursor: Cursor, store: ReadModelStore, table: str, columns: list[str],
             rows: list[tuple[Any, ...]]) -> None:
    cursor.execute(store.dialect.sql(f"DELETE FROM {table}"))
    if rows:
        marks = ", ".join("?" * len(columns))
        cursor.executemany(store.dialect.sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"),
                           [list(row) for row in rows])


@contextmanager
def _scratch_store(store: ReadModelStore) -> Iterator[ReadModelStore]:
    """Empty read-model tables in a private in-memory SQLite database."""
    name = f"file:scratch-{id(store)}-{threading.get_ident()}?mode=memory&cache=shared"
    keep_alive = sqlite3.connect(name, uri=True)
    datastore = SQLiteDatastore(name)
    try:
        scratch = ReadModelStore(datastore, SQLITE)
        scratch.create_tables()
        yield scratch
    finally:
        datastore.close()
        keep_alive.close()
