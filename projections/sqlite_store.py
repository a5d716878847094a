"""SQLite adapter: the event recorder that keeps the read models in the events' transaction."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import (
    SQLITE3_DEFAULT_LOCK_TIMEOUT,
    SQLiteApplicationRecorder,
    SQLiteCursor,
    SQLiteDatastore,
)

from tokenledger.projections import hash_chain
from tokenledger.projections.dialect import SQLITE
from tokenledger.projections.read_model_store import ReadModelStore, apply_events, prepare_read_models
from tokenledger.projections.sqlite_reader import ThreadReader
from tokenledger.projections.writer_lock import WriterLock

LARGE_WRITE_EVENTS = 1000  # a save this large (a revocation's batch) gets ``Dialect.large_write``


class IndexedSQLiteRecorder(SQLiteApplicationRecorder):
    """Writes each save's read-model rows and hash-chain links in the same transaction as its events.

    So an acknowledged write is visible to every reader at once, and a crash can never leave
    the indexes behind the log. The recorded position lets a restart catch up events written
    by anything else (``tokenledger.projections.replay``).
    """

    def __init__(self, datastore: SQLiteDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self._writers = WriterLock.beside(datastore.pool.db_name)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        with self._writers:
            return super().insert_events(stored_events, **kwargs)

    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every event of these aggregates, each stream in version order, in one query."""
        marks = ", ".join("?" * len(originator_ids))
        statement = (
            f"SELECT originator_id, originator_version, topic, state FROM {self.events_table_name} "
            f"WHERE originator_id IN ({marks}) ORDER BY originator_id, originator_version"
        )
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, [originator_id.hex for originator_id in originator_ids])
            return [StoredEvent(originator_id=UUID(row[0]), originator_version=row[1], topic=row[2],
                                state=row[3]) for row in c.fetchall()]

    def select_stream_ends(self, originator_ids: Sequence[UUID]) -> list[tuple[UUID, int, str]]:
        """The version and topic of the last event of each of these aggregates, in one query
        (with a single ``MAX``, SQLite takes the bare column from the row that has it)."""
        by_hex = {originator_id.hex: originator_id for originator_id in originator_ids}  # no UUID parsing
        statement = (
            f"SELECT originator_id, MAX(originator_version), topic FROM {self.events_table_name} "
            f"WHERE originator_id IN ({', '.join('?' * len(by_hex))}) GROUP BY originator_id"
        )
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, list(by_hex))
            return [(by_hex[row[0]], row[1], row[2]) for row in c.fetchall()]

    def create_table(self) -> None:
        super().create_table()
        with self._writers, self.datastore.transaction(commit=True) as cursor:
            prepare_read_models(cursor, SQLITE)
            hash_chain.create_table(cursor, SQLITE, self.events_table())

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> Sequence[int] | None:
        with SQLITE.large_write(c) if len(stored_events) >= LARGE_WRITE_EVENTS else nullcontext():
            notification_ids = super()._insert_events(c, stored_events, **kwargs)
            hash_chain.append(c, SQLITE, stored_events, notification_ids or ())
            saved_events = kwargs.get("saved_events")
            if saved_events is not None and notification_ids:
                apply_events(c, SQLITE, saved_events, max(notification_ids))
        return notification_ids

    def chain_head(self) -> hash_chain.Link | None:
        with self.datastore.transaction(commit=False) as c:
            return hash_chain.head(c, SQLITE)

    def chain_links(self, after: int, stop: int, limit: int) -> list[hash_chain.Link]:
        with self.datastore.transaction(commit=False) as c:
            return hash_chain.links(c, SQLITE, after, stop, limit)

    def events_table(self) -> hash_chain.EventsTable:
        return hash_chain.EventsTable(self.events_table_name, "rowid")

    def chain_genesis(self) -> hash_chain.Genesis | None:
        with self.datastore.transaction(commit=False) as c:
            return hash_chain.genesis(c, SQLITE)

    def read_model_store(self) -> ReadModelStore:
        pool = self.datastore.pool
        timeout = pool.lock_timeout or SQLITE3_DEFAULT_LOCK_TIMEOUT  # as the library's own connections wait
        reader = None if pool.is_sqlite_memory_mode else ThreadReader(pool.db_name, timeout)
        return ReadModelStore(self.datastore, SQLITE, reader=reader, writers=self._writers)
