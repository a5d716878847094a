"""SQLite adapter: the event recorder that keeps the read models in the events' transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from projections.dialect import SQLITE
from projections.index_store import IndexStore, apply_events, create_statements


class IndexedSQLiteRecorder(SQLiteApplicationRecorder):
    """Writes each save's read-model rows in the same transaction as its events.

    So an acknowledged write is visible to every reader at once, and a crash can never leave
    the indexes behind the log. The recorded position lets a restart catch up events written
    by anything else (``projections.replay``).
    """

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *create_statements(SQLITE)]

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> Sequence[int] | None:
        notification_ids = super()._insert_events(c, stored_events, **kwargs)
        saved_events = kwargs.get("saved_events")
        if saved_events is not None and notification_ids:
            apply_events(c, SQLITE, saved_events, max(notification_ids))
        return notification_ids

    def index_store(self) -> IndexStore:
        return IndexStore(self.datastore, SQLITE)
