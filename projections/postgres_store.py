"""PostgreSQL adapter: the ledger's recorder (``LedgerRecorder``) on the library's PostgreSQL recorder.

The library's recorder serialises inserts with ``LOCK TABLE ... IN EXCLUSIVE MODE``, so
notification IDs commit in order and a read model's position is exact across processes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from tokenledger.adapters.eventsourcing import PostgresRecorderHooks
from tokenledger.projections import hash_chain
from tokenledger.projections.dialect import POSTGRES, Dialect
from tokenledger.projections.group_commit import GroupCommit, PendingSave
from tokenledger.projections.ledger_recorder import LedgerRecorder
from tokenledger.projections.read_model_store import Cursor, Reader, ReadModelStore, prepare_read_models
from tokenledger.projections.replica_reads import PRIMARY_POSITION, ReplicaOptions

_CREATE_LOCK = 7_245_113_901  # advisory lock key: one process creates the read-model tables


class IndexedPostgresRecorder(LedgerRecorder, PostgresRecorderHooks, PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.group_commit = GroupCommit(self.write_batch)
        self._chain_heads = threading.local()  # this thread's insert's read of the chain's head

    def _lock_table(self, curs: psycopg.Cursor[DictRow]) -> None:
        """The library's lock, then the chain's head read on a cursor of its own, before the
        insert: in the library's pipeline its answer comes back with the insert's, so the table
        lock is held over one round trip fewer (and an insert that fails leaves no read
        behind it to be aborted)."""
        super()._lock_table(curs)
        self._forget_chain_head()
        reader = curs.connection.cursor()
        reader.execute(self.dialect().sql(hash_chain.HEAD))
        self._chain_heads.cursor = reader

    def chain_head_read(self) -> hash_chain.HeadReader | None:
        reader: psycopg.Cursor[DictRow] | None = getattr(self._chain_heads, "cursor", None)
        if reader is None:
            return None
        self._chain_heads.cursor = None

        def read() -> hash_chain.Link | None:
            with reader:
                return hash_chain.head_of(reader.fetchone())

        return read

    def _forget_chain_head(self) -> None:
        """A read left by an insert that failed before its events were chained."""
        stale: psycopg.Cursor[DictRow] | None = getattr(self._chain_heads, "cursor", None)
        self._chain_heads.cursor = None
        if stale is not None and not stale.closed:
            stale.close()

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        return self.group_commit.save(stored_events, **kwargs)

    def write_batch(self, batch: list[PendingSave]) -> None:
        """One save alone takes the library's way (pipelined, retried on a lost connection); a
        batch takes one transaction, one table lock and one commit, a savepoint per save."""
        if len(batch) == 1:
            (alone,) = batch
            alone.notification_ids = super().insert_events(alone.stored_events, **alone.kwargs)
            return
        with self.datastore.get_connection() as connection, connection.transaction(), \
                connection.cursor() as cursor:
            for pending in batch:
                try:
                    with connection.transaction():
                        pending.notification_ids = self.insert_on(cursor, pending.stored_events,
                                                                  pending.kwargs.get("saved_events"))
                except psycopg.IntegrityError as conflict:
                    pending.error = IntegrityError(str(conflict))

    def create_table(self) -> None:
        """Create the schema, the library's tables and function, and the read models, one
        process at a time: workers starting together would otherwise clash on the DDL."""
        with self.datastore.get_connection() as lock_holder:
            lock_holder.execute("SELECT pg_advisory_lock(%s)", (_CREATE_LOCK,))
            try:
                with self.datastore.transaction(commit=True) as cursor:
                    cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {_quoted(self.datastore.schema)}")
                super().create_table()
                with self.datastore.transaction(commit=True) as cursor:
                    cursor.execute(f"SET LOCAL search_path TO {_quoted(self.datastore.schema)}")
                    prepare_read_models(cursor, POSTGRES)
                    hash_chain.create_table(cursor, self.dialect(), self.events_table())
            finally:
                lock_holder.execute("SELECT pg_advisory_unlock(%s)", (_CREATE_LOCK,))

    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        statement = SQL(
            "SELECT originator_id, originator_version, topic, state FROM {schema}.{table} "
            "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name))
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, (list(originator_ids),))
            return [StoredEvent(originator_id=row["originator_id"], originator_version=row["originator_version"],
                                topic=row["topic"], state=bytes(row["state"])) for row in cursor.fetchall()]

    def select_stream_ends(self, originator_ids: Sequence[UUID]) -> list[tuple[UUID, int, str]]:
        statement = SQL(
            "SELECT DISTINCT ON (originator_id) originator_id, originator_version, topic FROM {schema}.{table} "
            "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version DESC"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name))
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, (list(originator_ids),))
            return [(row["originator_id"], row["originator_version"], row["topic"]) for row in cursor.fetchall()]

    def dialect(self) -> Dialect:
        return POSTGRES.in_schema(self.datastore.schema)

    def reading(self) -> AbstractContextManager[Cursor]:
        return self.datastore.transaction(commit=False)

    def events_table(self) -> hash_chain.EventsTable:
        return hash_chain.EventsTable(self.events_table_name, "notification_id")

    def read_model_store(self, replicas: ReplicaOptions | None = None) -> ReadModelStore:
        reader: Reader = self.datastore.cursor
        if replicas is not None:
            reader = replicas.router(reader, self.wal_position)
        return ReadModelStore(self.datastore, self.dialect(), reader=reader)

    def wal_position(self) -> int:
        """Where the primary's write-ahead log ends: past every commit acknowledged so far."""
        with self.datastore.cursor() as cursor:
            cursor.execute(PRIMARY_POSITION)
            row = cursor.fetchone()
            return int(row["position"]) if row else 0

    @contextmanager
    def import_transaction(self, index: ReadModelStore) -> Iterator[Cursor]:
        with index.transaction(commit=True) as cursor:
            self.lock_events_table(cursor)
            yield cursor

    def insert_imported(self, cursor: Cursor, stored_events: Sequence[StoredEvent], saved_events: Sequence[Any],
                        first_position: int) -> Sequence[int] | None:
        # The next notification ID is the file's position: PostgreSQL's sequence can then
        # reproduce a log with gaps (a rolled-back save consumes IDs), and a retried import
        # starts at 1 again (a rollback does not rewind a sequence). Nothing else inserts while
        # the import holds the table's lock.
        cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'notification_id'), %s, false)",
                       (f'{_quoted(self.datastore.schema)}.{_quoted(self.events_table_name)}', first_position))
        return self.insert_on(cursor, stored_events, saved_events)



def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
