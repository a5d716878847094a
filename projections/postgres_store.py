"""PostgreSQL adapter: the same read models and hash chain, written in the events' transaction.

The library's recorder serialises inserts with ``LOCK TABLE ... IN EXCLUSIVE MODE``, so
notification IDs commit in order and a read model's position is exact across processes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from tokenledger.projections import hash_chain
from tokenledger.projections.dialect import POSTGRES, Dialect
from tokenledger.projections.read_model_store import ReadModelStore, apply_events, prepare_read_models

_CREATE_LOCK = 7_245_113_901  # advisory lock key: one process creates the read-model tables


class IndexedPostgresRecorder(PostgresApplicationRecorder):
    def create_table(self) -> None:
        """Create the schema, the library's tables and function, and the read models, one
        process at a time: workers starting together would otherwise clash on the DDL."""
        with self.datastore.get_connection() as lock_holder:
            lock_holder.execute("SELECT pg_advisory_lock(%s)", (_CREATE_LOCK,))
            try:
                with self.datastore.transaction(commit=True) as cursor:
                    cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{self._schema_name()}"')
                super().create_table()
                with self.datastore.transaction(commit=True) as cursor:
                    cursor.execute(f'SET LOCAL search_path TO "{self._schema_name()}"')
                    prepare_read_models(cursor, POSTGRES)
                    hash_chain.create_table(cursor, self._dialect(), self.events_table())
            finally:
                lock_holder.execute("SELECT pg_advisory_unlock(%s)", (_CREATE_LOCK,))

    def _fetch_ids_after_insert_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> Sequence[int] | None:
        notification_ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        hash_chain.append(curs, self._dialect(), stored_events, notification_ids or ())
        saved_events = kwargs.get("saved_events")
        if saved_events is not None and notification_ids:
            apply_events(curs, self._dialect(), saved_events, max(notification_ids))
        return notification_ids

    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every event of these aggregates, each stream in version order, in one query."""
        statement = SQL(
            "SELECT originator_id, originator_version, topic, state FROM {schema}.{table} "
            "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name))
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, (list(originator_ids),))
            return [StoredEvent(originator_id=row["originator_id"], originator_version=row["originator_version"],
                                topic=row["topic"], state=bytes(row["state"])) for row in cursor.fetchall()]

    def select_stream_ends(self, originator_ids: Sequence[UUID]) -> list[tuple[UUID, int, str]]:
        """The version and topic of the last event of each of these aggregates, in one query."""
        statement = SQL(
            "SELECT DISTINCT ON (originator_id) originator_id, originator_version, topic FROM {schema}.{table} "
            "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version DESC"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name))
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, (list(originator_ids),))
            return [(row["originator_id"], row["originator_version"], row["topic"]) for row in cursor.fetchall()]

    def chain_head(self) -> hash_chain.Link | None:
        with self.datastore.transaction(commit=False) as cursor:
            return hash_chain.head(cursor, self._dialect())

    def chain_links(self, after: int, stop: int, limit: int) -> list[hash_chain.Link]:
        with self.datastore.transaction(commit=False) as cursor:
            return hash_chain.links(cursor, self._dialect(), after, stop, limit)

    def chain_genesis(self) -> hash_chain.Genesis | None:
        with self.datastore.transaction(commit=False) as cursor:
            return hash_chain.genesis(cursor, self._dialect())

    def events_table(self) -> hash_chain.EventsTable:
        return hash_chain.EventsTable(self.events_table_name, "notification_id")

    def _dialect(self) -> Dialect:
        return POSTGRES.in_schema(self.datastore.schema)

    def _schema_name(self) -> str:
        return self.datastore.schema.replace('"', '""')

    def read_model_store(self) -> ReadModelStore:
        return ReadModelStore(self.datastore, self._dialect(), reader=self.datastore.cursor)
