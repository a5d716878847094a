"""SQLite adapter: the ledger's recorder (``LedgerRecorder``) on the library's SQLite recorder."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

from tokenledger.adapters.eventsourcing import SQLiteRecorderHooks, sqlite_database
from tokenledger.projections import hash_chain
from tokenledger.projections.dialect import SQLITE, Dialect
from tokenledger.projections.group_commit import GroupCommit, PendingSave
from tokenledger.projections.ledger_recorder import LedgerRecorder
from tokenledger.projections.read_model_store import Cursor, ReadModelStore, prepare_read_models
from tokenledger.projections.sqlite_reader import ThreadReader
from tokenledger.projections.writer_lock import WriterLock

if TYPE_CHECKING:  # PostgreSQL's driver is loaded only by processes that use it
    from tokenledger.projections.replica_reads import ReplicaOptions


class IndexedSQLiteRecorder(LedgerRecorder, SQLiteRecorderHooks, SQLiteApplicationRecorder):
    """Processes writing one file take turns through the writers' file lock (``WriterLock``)."""

    def __init__(self, datastore: SQLiteDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self._database = sqlite_database(datastore)
        self._writers = WriterLock.beside(self._database.name)
        self.group_commit = GroupCommit(self.write_batch)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        return self.group_commit.save(stored_events, **kwargs)

    def write_batch(self, batch: list[PendingSave]) -> None:
        if len(batch) == 1:
            (alone,) = batch
            with self._writers:
                alone.notification_ids = super().insert_events(alone.stored_events, **alone.kwargs)
            return
        with self._writers, self.datastore.transaction(commit=True) as cursor:
            for pending in batch:
                cursor.execute("SAVEPOINT pending_save")
                try:
                    pending.notification_ids = self.insert_on(cursor, pending.stored_events,
                                                              pending.kwargs.get("saved_events"))
                except sqlite3.IntegrityError as conflict:
                    cursor.execute("ROLLBACK TO pending_save")
                    pending.error = IntegrityError(conflict)
                cursor.execute("RELEASE pending_save")

    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
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
        """(With a single ``MAX``, SQLite takes the bare column from the row that has it.)"""
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

    def dialect(self) -> Dialect:
        return SQLITE

    def reading(self) -> AbstractContextManager[Cursor]:
        return self.datastore.transaction(commit=False)

    def events_table(self) -> hash_chain.EventsTable:
        return hash_chain.EventsTable(self.events_table_name, "rowid")

    def read_model_store(self, replicas: ReplicaOptions | None = None) -> ReadModelStore:
        if replicas is not None:
            raise ValueError("read replicas need a PostgreSQL store")
        database = self._database  # read on connections that wait for a lock as the library's do
        reader = None if database.in_memory else ThreadReader(database.name, database.lock_timeout)
        return ReadModelStore(self.datastore, SQLITE, reader=reader, writers=self._writers)

    def import_transaction(self, index: ReadModelStore) -> AbstractContextManager[Cursor]:
        return index.exclusive()  # the writers' file lock, then BEGIN and a first write

    def insert_imported(self, cursor: Cursor, stored_events: Sequence[StoredEvent], saved_events: Sequence[Any],
                        first_position: int) -> Sequence[int] | None:
        return self.insert_on(cursor, stored_events, saved_events)  # rowids follow on from the last
