"""SQLite adapter: the event recorder that keeps the read models in the events' transaction,
and the queries the service layer runs against those read models."""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore

from domain.clock import from_epoch_us, to_epoch_us
from domain.token_view import TokenView
from projections import registry
from projections.writes import Delete, Insert, Update, Write

POSITION_TABLE = "projection_position"
KEYS_TABLE = "ledger_keys"
_IN_BATCH = 500


class IndexedSQLiteRecorder(SQLiteApplicationRecorder):
    """Writes each save's read-model rows in the same transaction as its events.

    So an acknowledged write is visible to every reader at once, and a crash can never leave
    the indexes behind the log. ``projection_position`` records the last event applied, so
    events written by anything else are caught up (``projections.replay``).
    """

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            *registry.create_statements(),
            f"CREATE TABLE IF NOT EXISTS {POSITION_TABLE} "
            "(name TEXT PRIMARY KEY, position BIGINT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {KEYS_TABLE} (name TEXT PRIMARY KEY, material BLOB NOT NULL)",
        ]

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> Sequence[int] | None:
        notification_ids = super()._insert_events(c, stored_events, **kwargs)
        saved_events = kwargs.get("saved_events")
        if saved_events is not None and notification_ids:
            apply_writes(c, registry.writes_for(saved_events))
            set_position(c, max(notification_ids))
        return notification_ids


def apply_writes(c: SQLiteCursor, writes: Sequence[Write]) -> None:
    for write in writes:
        sql, params = _render(write)
        c.execute(sql, params)


def set_position(c: SQLiteCursor, position: int) -> None:
    c.execute(
        f"INSERT INTO {POSITION_TABLE} (name, position) VALUES ('indexes', ?) "
        "ON CONFLICT (name) DO UPDATE SET position = excluded.position",
        (position,),
    )


def read_position(datastore: SQLiteDatastore) -> int:
    with datastore.transaction(commit=False) as c:
        c.execute(f"SELECT position FROM {POSITION_TABLE} WHERE name = 'indexes'")
        row = c.fetchone()
    return row[0] if row else 0


def _render(write: Write) -> tuple[str, list[Any]]:
    if isinstance(write, Insert):
        return _insert_sql(write.table, tuple(write.row)), list(write.row.values())
    if isinstance(write, Update):
        sql = _update_sql(write.table, tuple(write.values), tuple(write.where))
        return sql, [*write.values.values(), *write.where.values()]
    return _delete_sql(write.table, tuple(write.where)), list(write.where.values())


@lru_cache(maxsize=256)
def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


@lru_cache(maxsize=256)
def _update_sql(table: str, columns: tuple[str, ...], where: tuple[str, ...]) -> str:
    assignments = ", ".join(f"{column} = ?" for column in columns)
    return f"UPDATE {table} SET {assignments} WHERE {_conditions(where)}"


@lru_cache(maxsize=256)
def _delete_sql(table: str, where: tuple[str, ...]) -> str:
    return f"DELETE FROM {table} WHERE {_conditions(where)}"


def _conditions(columns: tuple[str, ...]) -> str:
    return " AND ".join(f"{column} = ?" for column in columns)


def ensure_key(datastore: SQLiteDatastore, name: str) -> bytes:
    """The store's secret key of that name, created on first use (the first writer wins)."""
    with datastore.transaction(commit=True) as c:
        c.execute(
            f"INSERT INTO {KEYS_TABLE} (name, material) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            (name, secrets.token_bytes(32)),
        )
        c.execute(f"SELECT material FROM {KEYS_TABLE} WHERE name = ?", (name,))
        return bytes(c.fetchone()[0])


class SQLiteTokenIndex:
    """Queries over the read models (implements ``domain.ports.TokenIndex``)."""

    def __init__(self, datastore: SQLiteDatastore) -> None:
        self._datastore = datastore

    def find(self, token_id: UUID) -> TokenView | None:
        rows = self._query("SELECT * FROM token_lookup WHERE token_id = ?", [token_id.hex])
        return _view(rows[0]) if rows else None

    def token_id_for_accessor(self, accessor: str) -> UUID | None:
        rows = self._query("SELECT token_id FROM accessor_index WHERE accessor = ?", [accessor])
        return UUID(rows[0][0]) if rows else None

    def children_of(self, parent_ids: Sequence[UUID]) -> list[UUID]:
        children: list[UUID] = []
        for start in range(0, len(parent_ids), _IN_BATCH):
            batch = [parent.hex for parent in parent_ids[start:start + _IN_BATCH]]
            marks = ", ".join("?" * len(batch))
            rows = self._query(
                f"SELECT child_id FROM child_index WHERE parent_id IN ({marks})", batch
            )
            children.extend(UUID(row[0]) for row in rows)
        return children

    def accessors(self, after: str | None = None, limit: int | None = None) -> list[str]:
        sql, params = "SELECT accessor FROM accessor_index", list[Any]()
        if after is not None:
            sql, params = sql + " WHERE accessor > ?", [after]
        sql += " ORDER BY accessor"
        if limit is not None:
            sql, params = sql + " LIMIT ?", [*params, limit]
        return [row[0] for row in self._query(sql, params)]

    def expired(self, now: datetime, limit: int) -> list[UUID]:
        rows = self._query(
            "SELECT token_id FROM token_lookup WHERE expire_at_us <= ? "
            "ORDER BY expire_at_us LIMIT ?",
            [to_epoch_us(now), limit],
        )
        return [UUID(row[0]) for row in rows]

    def _query(self, sql: str, params: list[Any]) -> list[Any]:
        with self._datastore.transaction(commit=False) as c:
            c.execute(sql, params)
            return list(c.fetchall())


def _view(row: Any) -> TokenView:
    return TokenView(
        token_id=UUID(row["token_id"]),
        accessor=row["accessor"],
        parent_id=UUID(row["parent_id"]) if row["parent_id"] else None,
        policies=tuple(json.loads(row["policies"])),
        meta=json.loads(row["meta"]) if row["meta"] is not None else None,
        display_name=row["display_name"],
        path=row["path"],
        num_uses=row["num_uses"],
        uses_left=row["uses_left"],
        renewable=bool(row["renewable"]),
        issue_time=from_epoch_us(row["issue_time_us"]),
        creation_ttl=row["creation_ttl"],
        ttl=row["ttl"],
        expire_at=_instant(row["expire_at_us"]),
        explicit_max_ttl=row["explicit_max_ttl"],
        period=row["period"],
        token_type=row["token_type"],
        entity_alias=row["entity_alias"],
        last_renewal_time=_instant(row["last_renewal_us"]),
    )


def _instant(value: int | None) -> datetime | None:
    return None if value is None else from_epoch_us(value)
