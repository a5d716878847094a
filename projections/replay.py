"""Bring the read models up to the log: catch up what they missed, or rebuild them from nothing."""

from __future__ import annotations

from eventsourcing.application import Application
from eventsourcing.sqlite import SQLiteDatastore

from projections import registry
from projections.sqlite_store import apply_writes, read_position, set_position

BATCH_SIZE = 1000


def catch_up(app: Application, datastore: SQLiteDatastore, batch_size: int = BATCH_SIZE) -> int:
    """Apply every event after the recorded position; returns how many events were applied."""
    applied = 0
    while True:
        start = read_position(datastore)
        notifications = app.recorder.select_notifications(
            start=start, limit=batch_size, inclusive_of_start=False
        )
        if not notifications:
            return applied
        events = [app.mapper.to_domain_event(notification) for notification in notifications]
        with datastore.transaction(commit=True) as c:
            apply_writes(c, registry.writes_for(events))
            set_position(c, notifications[-1].id)
        applied += len(notifications)


def rebuild(app: Application, datastore: SQLiteDatastore, batch_size: int = BATCH_SIZE) -> int:
    """Drop every read model and replay the whole log into fresh tables."""
    with datastore.transaction(commit=True) as c:
        for table in registry.tables():
            c.execute(f"DELETE FROM {table}")
        set_position(c, 0)
    return catch_up(app, datastore, batch_size)
