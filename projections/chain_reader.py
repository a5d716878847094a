"""Read-only access to a store's log and hash chain, for ``ledger verify`` and ``ledger head``.

Unlike opening the ledger, it creates no table, catches no read model up and writes no key: a
SQLite file is opened with ``mode=ro``, a PostgreSQL schema in a read-only transaction. Each
reader holds one transaction for its whole life, so everything it reads is one snapshot.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import UUID

from eventsourcing.persistence import Notification

from tokenledger.projections import hash_chain
from tokenledger.projections.dialect import POSTGRES, SQLITE, Dialect
from tokenledger.projections.read_model_store import KEYS_TABLE, Cursor
from tokenledger.wiring.postgres_url import TARGET_SESSION_ATTRS_KEY

SQLITE_EVENTS = hash_chain.EventsTable("stored_events", "rowid")  # the library's names for ours
POSTGRES_EVENTS = hash_chain.EventsTable("tokenledger_events", "notification_id")


class ChainReader:
    """Implements ``hash_chain.ChainedRecorder`` on one read-only cursor."""

    def __init__(self, cursor: Cursor, dialect: Dialect, events: hash_chain.EventsTable) -> None:
        self._cursor = cursor
        self._dialect = dialect
        self._events = events
        self._chained = hash_chain.table_exists(cursor, dialect, hash_chain.TABLE)  # else older than the chain

    def select_notifications(self, start: int | None, limit: int, stop: int | None = None,
                             topics: Sequence[str] = (), *, inclusive_of_start: bool = True
                             ) -> Sequence[Notification]:
        low = (start or 0) - (1 if inclusive_of_start and start is not None else 0)
        high = (1 << 62) if stop is None else stop
        table, position = self._events.name, self._events.position
        self._cursor.execute(self._dialect.sql(
            f"SELECT {position} AS position, originator_id, originator_version, topic, state FROM {table} "
            f"WHERE {position} > ? AND {position} <= ? ORDER BY {position} LIMIT ?"), (low, high, limit))
        return [Notification(id=int(row["position"]), originator_id=UUID(str(row["originator_id"])),
                             originator_version=int(row["originator_version"]), topic=row["topic"],
                             state=bytes(row["state"])) for row in self._cursor.fetchall()]

    def max_notification_id(self) -> int | None:
        self._cursor.execute(self._dialect.sql(
            f"SELECT MAX({self._events.position}) AS last FROM {self._events.name}"))
        last = self._cursor.fetchone()["last"]
        return None if last is None else int(last)

    def chain_head(self) -> hash_chain.Link | None:
        return hash_chain.head(self._cursor, self._dialect) if self._chained else None

    def chain_links(self, after: int, stop: int, limit: int) -> list[hash_chain.Link]:
        return hash_chain.links(self._cursor, self._dialect, after, stop, limit) if self._chained else []

    def chain_genesis(self) -> hash_chain.Genesis | None:
        return hash_chain.genesis(self._cursor, self._dialect)

    def key(self, name: str) -> bytes | None:
        """The store's secret key of that name, if it has one (``ledger_keys``)."""
        if not hash_chain.table_exists(self._cursor, self._dialect, KEYS_TABLE):
            return None
        self._cursor.execute(self._dialect.sql(f"SELECT material FROM {KEYS_TABLE} WHERE name = ?"), (name,))
        row = self._cursor.fetchone()
        return None if row is None else bytes(row["material"])


@contextmanager
def sqlite_reader(path: str) -> Iterator[ChainReader]:
    """A reader of the SQLite file at ``path``, which must exist (``mode=ro`` never creates it)."""
    uri = "file:" + quote(str(Path(path).resolve())) + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, isolation_level=None)) as connection:
        connection.row_factory = sqlite3.Row
        cursor = connection.cursor()
        cursor.execute("BEGIN")  # deferred: one read snapshot, no write lock
        try:
            yield ChainReader(cursor, SQLITE, SQLITE_EVENTS)
        finally:
            connection.rollback()


@contextmanager
def postgres_reader(env: Mapping[str, str]) -> Iterator[ChainReader]:
    """A reader of the schema the library's settings ``env`` name (``tokenledger.wiring.settings.postgres_env``)."""
    import psycopg  # here: reading a SQLite store loads no PostgreSQL driver
    from psycopg.rows import dict_row

    from tokenledger.projections.postgres_connections import connection_options

    options = connection_options(float(env.get("POSTGRES_CONNECT_TIMEOUT") or 10),
                                 env.get(TARGET_SESSION_ATTRS_KEY) or "any")
    connection = psycopg.connect(
        host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"], dbname=env["POSTGRES_DBNAME"],
        user=env["POSTGRES_USER"], password=env["POSTGRES_PASSWORD"] or None, row_factory=dict_row, **options)
    with closing(connection):
        connection.read_only = True
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        cursor: Any = connection.cursor()
        try:
            yield ChainReader(cursor, POSTGRES.in_schema(env.get("POSTGRES_SCHEMA", "")), POSTGRES_EVENTS)
        finally:
            connection.rollback()
