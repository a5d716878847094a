"""Bring the read models up to the log: catch up what they missed, rebuild them, or verify them."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from eventsourcing.application import Application
from eventsourcing.sqlite import SQLiteDatastore

from projections import registry
from projections.dialect import SQLITE
from projections.index_store import IndexStore

BATCH_SIZE = 1000
Progress = Callable[[int], None]


def catch_up(app: Application, store: IndexStore, batch_size: int = BATCH_SIZE,
             progress: Progress | None = None) -> int:
    """Apply every event after the recorded position; returns how many events were applied."""
    applied = 0
    while True:
        notifications = app.recorder.select_notifications(
            start=store.position(), limit=batch_size, inclusive_of_start=False
        )
        if not notifications:
            return applied
        events = [(n.id, app.mapper.to_domain_event(n)) for n in notifications]
        store.apply(events, notifications[-1].id)
        applied += len(notifications)
        if progress is not None:
            progress(len(notifications))


def rebuild(app: Application, store: IndexStore, batch_size: int = BATCH_SIZE,
            progress: Progress | None = None) -> int:
    """Drop every read model's rows and replay the whole log into them (run it with writers stopped)."""
    store.clear()
    return catch_up(app, store, batch_size, progress)


def verify(app: Application, store: IndexStore, batch_size: int = BATCH_SIZE) -> list[str]:
    """Rebuild the read models from the log into scratch tables and list how the live ones differ."""
    name = f"file:verify-{id(store)}?mode=memory&cache=shared"
    keep_alive = sqlite3.connect(name, uri=True)
    datastore = SQLiteDatastore(name)
    scratch = IndexStore(datastore, SQLITE)
    try:
        scratch.create_tables()
        catch_up(app, scratch, batch_size)
        differences = []
        for table in registry.tables():
            live, rebuilt = set(store.rows(table)), set(scratch.rows(table))
            differences += [f"{table}: unexpected row {row}" for row in sorted(live - rebuilt, key=repr)]
            differences += [f"{table}: missing row {row}" for row in sorted(rebuilt - live, key=repr)]
        return differences
    finally:
        datastore.close()
        keep_alive.close()
