"""In-memory fakes of the read-model ports (``tokenledger.application.ports``), for the unit tier.

``InMemoryReadModels`` keeps the read models' tables as dictionaries and fills them from the very
writes the projections declare (``projections.registry.writes_for``), so the only thing it does
not share with the SQL store is storage: its queries mirror ``ReadModelStore``'s and
``SqlAuditQueries``'s statements in Python. tests/integration/test_read_model_contract.py feeds
both the same events and proves they answer alike.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NoReturn
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from tokenledger.application.ports import RegisteredToken
from tokenledger.domain.clock import to_epoch_us
from tokenledger.domain.token_view import TokenView
from tokenledger.projections import registry
from tokenledger.projections.audit_registry import REGISTRY_ROW
from tokenledger.projections.lookup import ROW as LOOKUP_ROW
from tokenledger.projections.writes import Statement

Row = dict[str, Any]
Key = tuple[Any, ...]
NOT_SQL = "the in-memory read models run no SQL: a test that needs it belongs in tests/integration"

_TABLE_NAME = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+) \(")
_COMPOSITE_KEY = re.compile(r"PRIMARY KEY \(([\w, ]+)\)")
_COLUMN_KEY = re.compile(r"(\w+) \w+ PRIMARY KEY")
_NULLIF = re.compile(r"NULLIF\(\?, (-?\d+)\)")
_CONSTANT = re.compile(r"'([^']*)'")


def primary_keys() -> dict[str, tuple[str, ...]]:
    """Each read-model table's primary key, read off the statement that creates it."""
    keys = {}
    for statement in registry.create_statements():
        table = _TABLE_NAME.match(statement)
        if table is None:
            continue
        composite = _COMPOSITE_KEY.search(statement)
        column = composite or _COLUMN_KEY.search(statement)
        assert column is not None, f"no primary key in {statement}"
        keys[table.group(1)] = tuple(name.strip() for name in column.group(1).split(","))
    return keys


class Table:
    """Rows by primary key, and an index for each other set of columns rows are looked up by
    (made at first use, kept up to date by every change). Rows are never changed in place."""

    def __init__(self, name: str, key: tuple[str, ...]) -> None:
        self.name = name
        self.key = key
        self.rows: dict[Key, Row] = {}
        self._indexes: dict[tuple[str, ...], dict[Key, set[Key]]] = {}

    def key_of(self, row: Row) -> Key:
        return tuple(row[column] for column in self.key)

    def where(self, columns: tuple[str, ...], values: Key) -> list[Row]:
        if columns == self.key:
            row = self.rows.get(values)
            return [] if row is None else [row]
        return [self.rows[key] for key in self._index(columns).get(values, ())]

    def set(self, key: Key, row: Row | None) -> Row | None:
        """Put ``row`` at ``key`` (None removes it); returns what was there."""
        old = self.rows.pop(key, None)
        for columns, index in self._indexes.items():
            if old is not None:
                index[tuple(old[c] for c in columns)].discard(key)
            if row is not None:
                index.setdefault(tuple(row[c] for c in columns), set()).add(key)
        if row is not None:
            self.rows[key] = row
        return old

    def _index(self, columns: tuple[str, ...]) -> dict[Key, set[Key]]:
        index = self._indexes.get(columns)
        if index is None:
            index = self._indexes[columns] = {}
            for key, row in self.rows.items():
                index.setdefault(tuple(row[c] for c in columns), set()).add(key)
        return index


class Writes:
    """The row changes of one save, undone together if any of them fails (as a transaction is)."""

    def __init__(self, tables: dict[str, Table]) -> None:
        self._tables = tables
        self._undo: list[tuple[Table, Key, Row | None]] = []

    def run(self, statement: Statement, params: Sequence[Any]) -> None:
        table = self._tables[statement.table]
        if statement.kind == "insert":
            row = dict(zip(statement.columns, _values(statement.values, params), strict=True))
            self._insert(table, row)
        elif statement.kind == "upsert":
            row = dict(zip(statement.key + statement.columns, params, strict=True))
            self._put(table, table.key_of(row), row)
        elif statement.kind == "tally":
            self._tally(table, statement, params)
        elif statement.kind == "update":
            changes = dict(zip(statement.columns, params[:len(statement.columns)], strict=True))
            for row in table.where(statement.key, tuple(params[len(statement.columns):])):
                self._put(table, table.key_of(row), None)
                self._insert(table, {**row, **changes})
        else:
            for row in table.where(statement.key, tuple(params)):
                self._put(table, table.key_of(row), None)

    def _tally(self, table: Table, statement: Statement, params: Sequence[Any]) -> None:
        """One more in ``n`` at the key, the columns not given copied from the source's row."""
        row = dict(zip(statement.columns, params, strict=False))
        if statement.source is not None:
            source, source_key = statement.source
            found = self._tables[source].where((source_key,), (params[len(statement.columns)],))
            if not found:
                return
            row.update({column: found[0][column] for column in statement.key if column not in row})
        key = table.key_of(row)
        old = table.rows.get(key)
        self._put(table, key, {**row, "n": 1 + (old["n"] if old else 0)})

    def undo(self) -> None:
        for table, key, old in reversed(self._undo):
            table.set(key, old)
        self._undo.clear()

    def _insert(self, table: Table, row: Row) -> None:
        key = table.key_of(row)
        if key in table.rows:
            raise IntegrityError(f"UNIQUE constraint failed: {table.name} {key}")
        self._put(table, key, row)

    def _put(self, table: Table, key: Key, row: Row | None) -> None:
        self._undo.append((table, key, table.set(key, row)))


def _values(sqls: tuple[str, ...], params: Sequence[Any]) -> Iterator[Any]:
    """The value of each column of an insert: a param (``?``), or the SQL a projection gave."""
    given = iter(params)
    for sql in sqls:
        if sql == "?":
            yield next(given)
        elif sql == "NULL":
            yield None
        elif nullif := _NULLIF.fullmatch(sql):
            value = next(given)
            yield None if value == int(nullif.group(1)) else value
        elif constant := _CONSTANT.fullmatch(sql):
            yield constant.group(1)
        else:
            raise NotImplementedError(f"the in-memory read models do not know the SQL value {sql!r}")


class InMemoryReadModels:
    """The read models in memory: implements ``TokenQueries``, ``PolicyQueries`` and ``RoleQueries``
    as ``ReadModelStore`` does, with the part of its maintenance the in-memory ledger needs.

    ``lock`` serialises every read and write, and is the in-memory recorder's lock too: a save's
    events and its rows appear together, as in one transaction.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tables = {name: Table(name, key) for name, key in primary_keys().items()}
        self._position = 0
        self._keys: dict[str, bytes] = {}

    # -- maintenance -----------------------------------------------------------------------

    @contextmanager
    def writes(self) -> Iterator[Writes]:
        with self.lock:
            writes = Writes(self.tables)
            try:
                yield writes
            except BaseException:
                writes.undo()
                raise

    def apply(self, events: Iterable[tuple[int, object]], position: int) -> None:
        """``ReadModelStore.apply``: the rows of the events not applied yet, then the position."""
        with self.writes() as writes:
            unseen = [event for notification_id, event in events if notification_id > self._position]
            for statement, params in registry.writes_for(unseen):
                writes.run(statement, params)
            self.move_to(position)

    def move_to(self, position: int) -> None:
        """Move the position forward (never back), as ``set_position`` does."""
        with self.lock:
            self._position = max(self._position, position)

    def position(self) -> int:
        with self.lock:
            return self._position

    def rows(self, table: str) -> list[Row]:
        with self.lock:
            return list(self.tables[table].rows.values())

    def ensure_key(self, name: str) -> bytes:
        with self.lock:
            return self._keys.setdefault(name, secrets.token_bytes(32))

    def close(self) -> None:
        """Nothing to close: there is no connection."""

    def query(self, sql: str, params: list[Any]) -> NoReturn:
        raise NotImplementedError(NOT_SQL)

    def transaction(self, *, commit: bool) -> NoReturn:
        raise NotImplementedError(NOT_SQL)

    # -- TokenQueries ----------------------------------------------------------------------

    def find(self, token_id: UUID) -> TokenView | None:
        rows = self.where("token_lookup", ("token_id",), (token_id.hex,))
        return LOOKUP_ROW.read(rows[0]) if rows else None

    def token_id_for_accessor(self, accessor: str) -> UUID | None:
        rows = self.where("accessor_index", ("accessor",), (accessor,))
        return UUID(rows[0]["token_id"]) if rows else None

    def children_of(self, parent_ids: Sequence[UUID]) -> list[UUID]:
        return [UUID(row["child_id"]) for parent in dict.fromkeys(parent_ids)  # each once, as SQL's IN
                for row in self.where("child_index", ("parent_id",), (parent.hex,))]

    def accessors(self, after: str | None = None, limit: int | None = None, namespace: str = "") -> list[str]:
        found = sorted(row["accessor"] for row in self.rows("accessor_index")
                       if row["namespace"] == namespace and (after is None or row["accessor"] > after))
        return found if limit is None else found[:limit]

    def created_under(self, namespace: str, path: str) -> list[UUID]:
        """The path itself or below it, as the SQL's range ``[path/, path0)`` finds it."""
        return [UUID(row["token_id"]) for row in self.rows("token_lookup") if row["namespace"] == namespace
                and (row["path"] == path or path + "/" <= row["path"] < path + "0")]

    def expired(self, now: datetime, limit: int) -> list[UUID]:
        due = [row for row in self.rows("token_lookup")
               if row["expire_at_us"] is not None and row["expire_at_us"] <= to_epoch_us(now)]
        return [UUID(row["token_id"]) for row in sorted(due, key=lambda row: row["expire_at_us"])[:limit]]

    # -- PolicyQueries ---------------------------------------------------------------------

    def policy_texts(self, namespace: str, names: Sequence[str]) -> dict[str, str]:
        texts = {row["name"]: row["text"] for row in self.rows("acl_policies") if row["namespace"] == namespace}
        return {name: texts[name] for name in names if name in texts}

    def policy_names(self, namespace: str) -> list[str]:
        return sorted(row["name"] for row in self.rows("acl_policies") if row["namespace"] == namespace)

    # -- RoleQueries -----------------------------------------------------------------------

    def role_names(self, namespace: str) -> list[str]:
        return sorted(row["name"] for row in self.rows("token_roles") if row["namespace"] == namespace)

    def where(self, table: str, columns: tuple[str, ...], values: Key) -> list[Row]:
        with self.lock:
            return self.tables[table].where(columns, values)


class InMemoryAuditQueries:
    """``AuditQueries`` over the in-memory registry and event-time read models, as
    ``SqlAuditQueries`` asks them of a SQL store."""

    def __init__(self, read_models: InMemoryReadModels) -> None:
        self._read_models = read_models

    def token_record(self, namespace: str, accessor: str) -> RegisteredToken | None:
        rows = self._registry(lambda row: row["namespace"] == namespace and row["accessor"] == accessor)
        return REGISTRY_ROW.read(max(rows, key=lambda row: row["created_us"])) if rows else None

    def event_count(self, aggregate_id: UUID) -> int:
        return len(self._read_models.where("event_times", ("aggregate_id",), (aggregate_id.hex,)))

    def version_at(self, aggregate_id: UUID, instant: datetime) -> int | None:
        times = self._read_models.where("event_times", ("aggregate_id",), (aggregate_id.hex,))
        versions = [row["version"] for row in times if row["timestamp_us"] <= to_epoch_us(instant)]
        return max(versions, default=None)

    def created_by(self, namespace: str, accessor: str, descendants: bool, after: str | None,
                   limit: int) -> list[RegisteredToken]:
        return _page(self._created_by(namespace, accessor, descendants), after, limit)

    def count_created_by(self, namespace: str, accessor: str, descendants: bool) -> int:
        return len(self._created_by(namespace, accessor, descendants))

    def created_against_role(self, namespace: str, role: str, start: datetime | None,
                             end: datetime | None, after: str | None, limit: int) -> list[RegisteredToken]:
        return _page(self._in_role(namespace, role, start, end), after, limit)

    def count_created_against_role(self, namespace: str, role: str, start: datetime | None,
                                   end: datetime | None) -> int:
        return len(self._in_role(namespace, role, start, end))

    def live_tokens(self, namespace: str, after: str | None, limit: int) -> list[RegisteredToken]:
        live = {row["token_id"] for row in self._read_models.rows("accessor_index") if row["namespace"] == namespace}
        return _page(self._registry(lambda row: row["token_id"] in live), after, limit)

    def _created_by(self, namespace: str, accessor: str, descendants: bool) -> list[Row]:
        """Created by the accessor's token; with ``descendants``, also by what it created, and so
        on (the SQL's recursive ``UNION``: each token once)."""
        in_namespace = self._registry(lambda row: row["namespace"] == namespace)
        found = {row["token_id"]: row for row in in_namespace if row["creator_accessor"] == accessor}
        frontier = {row["accessor"] for row in found.values()}
        while descendants and frontier:
            more = {row["token_id"]: row for row in in_namespace
                    if row["creator_accessor"] in frontier and row["token_id"] not in found}
            found.update(more)
            frontier = {row["accessor"] for row in more.values()}
        return list(found.values())

    def _in_role(self, namespace: str, role: str, start: datetime | None, end: datetime | None) -> list[Row]:
        low = -(2**63) if start is None else to_epoch_us(start)
        high = 2**63 if end is None else to_epoch_us(end)
        return self._registry(lambda row: row["namespace"] == namespace and row["role_name"] == role
                              and low <= row["created_us"] < high)

    def _registry(self, keep: Callable[[Row], bool]) -> list[Row]:
        return [row for row in self._read_models.rows("token_registry") if keep(row)]


def _page(rows: list[Row], after: str | None, limit: int) -> list[RegisteredToken]:
    """Rows with an accessor after ``after``, in accessor order, ``limit`` of them."""
    later = sorted((row for row in rows if row["accessor"] > (after or "")), key=lambda row: row["accessor"])
    return [REGISTRY_ROW.read(row) for row in later[:limit]]
