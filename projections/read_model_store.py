"""The read models in a SQL store: their tables, the writes events imply, and the queries the
service layer runs (``tokenledger.application.ports.TokenQueries``). The same code serves SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from itertools import islice
from typing import Any, Protocol
from uuid import UUID

from tokenledger.domain.clock import to_epoch_us
from tokenledger.domain.token_view import TokenView
from tokenledger.projections import registry, ui_logouts
from tokenledger.projections.dialect import Dialect
from tokenledger.projections.lookup import ROW as LOOKUP_ROW
from tokenledger.projections.policy_cache import PolicyTextCache
from tokenledger.projections.writes import Params, Statement

POSITION_TABLE = "projection_position"
KEYS_TABLE = "ledger_keys"
_IN_BATCH = 500
APPLY_CHUNK = 200  # events per write_rows: what a chunk allocates dies young, cheap for the GC


class Cursor(Protocol):
    def execute(self, sql: Any, params: Any = ...) -> Any: ...
    def executemany(self, sql: Any, params: Any) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def fetchone(self) -> Any: ...


class Datastore(Protocol):
    """What both of the library's datastores offer (``SQLiteDatastore``, ``PostgresDatastore``)."""

    def transaction(self, *, commit: bool) -> Any: ...


READ_MODEL_VERSION = 8  # bump whenever a read model's tables change: they are rebuilt at start
_VERSION_ROW = "read-model-version"


def prepare_read_models(cursor: Cursor, dialect: Dialect) -> None:
    """Create the read models' tables, first dropping any of an older shape (and rewinding the
    position, so the catch-up at start rebuilds them from the log). Run it under the store's
    DDL lock: it reads, then changes, the tables."""
    cursor.execute(
        f"CREATE TABLE IF NOT EXISTS {POSITION_TABLE} (name TEXT PRIMARY KEY, position BIGINT NOT NULL)"
    )
    cursor.execute(
        f"CREATE TABLE IF NOT EXISTS {KEYS_TABLE} "
        f"(name TEXT PRIMARY KEY, material {dialect.bytes_type} NOT NULL)"
    )
    cursor.execute(ui_logouts.CREATE_TABLE)
    cursor.execute(dialect.sql(f"SELECT position FROM {POSITION_TABLE} WHERE name = ?"), (_VERSION_ROW,))
    row = cursor.fetchone()
    if row is None or int(row["position"]) != READ_MODEL_VERSION:
        for table in registry.tables():
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        for name, value in (("indexes", 0), (_VERSION_ROW, READ_MODEL_VERSION)):
            cursor.execute(
                dialect.sql(
                    f"INSERT INTO {POSITION_TABLE} (name, position) VALUES (?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET position = excluded.position"
                ),
                (name, value),
            )
    for statement in registry.create_statements():
        cursor.execute(dialect.ddl(statement))


def apply_events(cursor: Cursor, dialect: Dialect, events: Sequence[object], position: int) -> None:
    """Write the read-model rows for ``events`` and move the position, on the caller's transaction."""
    write_rows(cursor, dialect, events)
    set_position(cursor, dialect, position)


def write_rows(cursor: Cursor, dialect: Dialect, events: Sequence[object]) -> None:
    """The read-model rows for ``events``, without moving the position.

    The writes are grouped by table (keeping their order within each), tables in the registry's
    order (a tally may copy a row of a table before it), and runs of the same statement go to the
    database as one ``executemany``.
    """
    by_table: dict[str, list[tuple[Statement, list[Params]]]] = {}
    for statement, params in registry.writes_for(events):
        runs = by_table.get(statement.table)
        if runs is None:
            by_table[statement.table] = [(statement, [params])]
        elif runs[-1][0] is statement:
            runs[-1][1].append(params)
        else:
            runs.append((statement, [params]))
    for table in sorted(by_table, key=registry.table_rank):
        for statement, rows in by_table[table]:
            cursor.executemany(dialect.render(statement), rows)


def set_position(cursor: Cursor, dialect: Dialect, position: int) -> None:
    """Move the position forward (never back: a catch-up may finish after newer writes)."""
    cursor.execute(
        dialect.sql(
            f"INSERT INTO {POSITION_TABLE} (name, position) VALUES ('indexes', ?) ON CONFLICT (name) "
            f"DO UPDATE SET position = {dialect.greatest}({POSITION_TABLE}.position, excluded.position)"
        ),
        (position,),
    )


def lock_position(cursor: Cursor, dialect: Dialect) -> int:
    """Take the position row's write lock, which every writer of the read models takes too,
    and read the position under it."""
    cursor.execute(dialect.sql(f"UPDATE {POSITION_TABLE} SET position = position WHERE name = 'indexes'"))
    cursor.execute(dialect.sql(f"SELECT position FROM {POSITION_TABLE} WHERE name = 'indexes'"))
    row = cursor.fetchone()
    return int(row["position"]) if row else 0


Reader = Callable[[], AbstractContextManager[Cursor]]


class ReadModelStore:
    """Reads and maintains the read models in one datastore (implements ``TokenQueries``).

    Every statement goes through ``dialect.sql``, which qualifies table names with the store's
    schema where it has one. ``reader`` opens the cursor for one query: by default a read-only transaction; PostgreSQL
    passes an autocommit cursor, one round trip a query, its SQL schema-qualified.
    """

    def __init__(self, datastore: Datastore, dialect: Dialect, reader: Reader | None = None,
                 writers: AbstractContextManager[None] | None = None) -> None:
        self._datastore = datastore
        self.dialect = dialect
        self._reader: Reader = reader or (lambda: self.transaction(commit=False))
        self._writers = writers
        self._policy_cache = PolicyTextCache()

    def close(self) -> None:
        """Close the reader's own connections, where it has any."""
        close = getattr(self._reader, "close", None)
        if close is not None:
            close()

    @contextmanager
    def exclusive(self) -> Iterator[Cursor]:
        """A write transaction no save can interleave with: it holds the position row's lock,
        which every save takes (and, for SQLite, the writers' file lock first)."""
        with self._writers or nullcontext(), self.transaction(commit=True) as cursor:
            lock_position(cursor, self.dialect)
            yield cursor

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[Cursor]:
        with self._datastore.transaction(commit=commit) as cursor:
            yield cursor

    # -- maintenance -----------------------------------------------------------------------

    @contextmanager
    def _schema_transaction(self) -> Iterator[Cursor]:
        """A write transaction in which unqualified DDL names this store's schema."""
        with self.transaction(commit=True) as cursor:
            for statement in self.dialect.schema_setup():
                cursor.execute(statement)
            yield cursor

    def create_tables(self) -> None:
        """Create whatever read-model table or index is missing (each index by one sort)."""
        with self._schema_transaction() as cursor:
            prepare_read_models(cursor, self.dialect)

    def position(self) -> int:
        rows = self.query(f"SELECT position FROM {POSITION_TABLE} WHERE name = 'indexes'", [])
        return int(rows[0]["position"]) if rows else 0

    def apply(self, events: Iterable[tuple[int, object]], position: int, *, bulk: bool = False) -> None:
        """Apply ``(notification ID, event)`` pairs the read models have not seen yet (writers in
        other processes may have applied some since the caller read them from the log), in one
        transaction. ``events`` may be lazy: they are taken a chunk at a time, so few objects
        live long enough to cost the garbage collector. ``bulk`` is for a replay with writers
        stopped (``Dialect.bulk``)."""
        with self.transaction(commit=True) as cursor, self.dialect.bulk(cursor) if bulk else nullcontext():
            seen = lock_position(cursor, self.dialect)
            unseen = (event for notification_id, event in events if notification_id > seen)
            while chunk := list(islice(unseen, APPLY_CHUNK)):
                write_rows(cursor, self.dialect, chunk)
            set_position(cursor, self.dialect, position)

    def clear(self, *, drop_query_indexes: bool = False) -> None:
        """Empty every read model and rewind the position; optionally also drop the indexes only
        queries use, for a replay to fill the tables faster (``create_tables`` builds them again)."""
        with self._schema_transaction() as cursor:
            for index in registry.query_index_names() if drop_query_indexes else []:
                cursor.execute(f"DROP INDEX IF EXISTS {index}")
            for table in registry.tables():
                cursor.execute(self.dialect.sql(f"DELETE FROM {table}"))
            cursor.execute(self.dialect.sql(f"UPDATE {POSITION_TABLE} SET position = 0 WHERE name = 'indexes'"))

    def rows(self, table: str) -> list[tuple[Any, ...]]:
        """Every row of a read-model table, in a stable order (for verification)."""
        return [tuple(dict(row).values()) for row in self.query(f"SELECT * FROM {table} ORDER BY 1, 2", [])]

    def columns(self, table: str) -> list[str]:
        """The table's column names, read off one of its rows (none if it has no rows)."""
        rows = self.query(f"SELECT * FROM {table} LIMIT 1", [])
        return list(dict(rows[0]).keys()) if rows else []

    def ensure_key(self, name: str) -> bytes:
        """The store's secret key of that name, created on first use (the first writer wins)."""
        with self.transaction(commit=True) as cursor:
            cursor.execute(
                self.dialect.sql(
                    f"INSERT INTO {KEYS_TABLE} (name, material) VALUES (?, ?) "
                    "ON CONFLICT (name) DO NOTHING"
                ),
                (name, secrets.token_bytes(32)),
            )
            cursor.execute(self.dialect.sql(f"SELECT material FROM {KEYS_TABLE} WHERE name = ?"), (name,))
            return bytes(cursor.fetchone()["material"])

    # -- TokenQueries ----------------------------------------------------------------------

    def find(self, token_id: UUID) -> TokenView | None:
        """The live token, read with its namespace's policy change marker (see ``policy_cache``)."""
        rows = self.query(
            "SELECT t.*, c.last_change AS policy_change FROM token_lookup t "
            "LEFT JOIN acl_policy_changes c ON c.namespace = t.namespace WHERE t.token_id = ?",
            [token_id.hex],
        )
        if not rows:
            return None
        self._policy_cache.saw(rows[0]["namespace"], rows[0]["policy_change"])
        return LOOKUP_ROW.read(rows[0])

    def token_id_for_accessor(self, accessor: str) -> UUID | None:
        rows = self.query("SELECT token_id FROM accessor_index WHERE accessor = ?", [accessor])
        return UUID(rows[0]["token_id"]) if rows else None

    def children_of(self, parent_ids: Sequence[UUID]) -> list[UUID]:
        children: list[UUID] = []
        for start in range(0, len(parent_ids), _IN_BATCH):
            batch = [parent.hex for parent in parent_ids[start:start + _IN_BATCH]]
            marks = ", ".join("?" * len(batch))
            rows = self.query(f"SELECT child_id FROM child_index WHERE parent_id IN ({marks})", batch)
            children.extend(UUID(row["child_id"]) for row in rows)
        return children

    def accessors(self, after: str | None = None, limit: int | None = None, namespace: str = "") -> list[str]:
        sql, params = "SELECT accessor FROM accessor_index WHERE namespace = ?", list[Any]([namespace])
        if after is not None:
            sql, params = sql + " AND accessor > ?", [*params, after]
        sql += " ORDER BY accessor"
        if limit is not None:
            sql, params = sql + " LIMIT ?", [*params, limit]
        return [row["accessor"] for row in self.query(sql, params)]

    def created_under(self, namespace: str, path: str) -> list[UUID]:
        """The path itself, or below it: ``/`` sorts just before ``0``, so one range scan of the
        (namespace, path) index finds ``path/...`` without matching ``path2``."""
        rows = self.query(
            "SELECT token_id FROM token_lookup WHERE namespace = ? "
            "AND (path = ? OR (path >= ? AND path < ?))",
            [namespace, path, path + "/", path + "0"],
        )
        return [UUID(row["token_id"]) for row in rows]

    def expired(self, now: datetime, limit: int) -> list[UUID]:
        rows = self.query(
            "SELECT token_id FROM token_lookup WHERE expire_at_us <= ? ORDER BY expire_at_us LIMIT ?",
            [to_epoch_us(now), limit],
        )
        return [UUID(row["token_id"]) for row in rows]

    # -- PolicyQueries ---------------------------------------------------------------------

    def policy_texts(self, namespace: str, names: Sequence[str]) -> dict[str, str]:
        if not names:
            return {}
        texts = self._policy_cache.texts(namespace, self._namespace_policies)
        return {name: texts[name] for name in names if name in texts}

    def _namespace_policies(self, namespace: str) -> tuple[str | None, dict[str, str]]:
        """Every policy text of the namespace and its change marker, read in one statement."""
        rows = self.query(
            "SELECT c.last_change, p.name, p.text FROM acl_policy_changes c "
            "LEFT JOIN acl_policies p ON p.namespace = c.namespace WHERE c.namespace = ?",
            [namespace],
        )
        if not rows:
            return None, {}
        return rows[0]["last_change"], {row["name"]: row["text"] for row in rows if row["name"] is not None}

    def policy_names(self, namespace: str) -> list[str]:
        rows = self.query("SELECT name FROM acl_policies WHERE namespace = ? ORDER BY name", [namespace])
        return [row["name"] for row in rows]

    # -- RoleQueries -----------------------------------------------------------------------

    def role_names(self, namespace: str) -> list[str]:
        rows = self.query("SELECT name FROM token_roles WHERE namespace = ? ORDER BY name", [namespace])
        return [row["name"] for row in rows]

    def query(self, sql: str, params: list[Any]) -> list[Any]:
        """Rows of one read-only statement (``?`` marks, bare table names)."""
        with self._reader() as cursor:
            cursor.execute(self.dialect.sql(sql), params)
            return list(cursor.fetchall())

