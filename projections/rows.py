"""A read-model table that keeps one frozen dataclass a row, a column per field, by name.

The dataclass is the one declaration of the row: ``RowShape`` derives from its fields' names and
types the ``CREATE TABLE``, how each value is written (UUIDs as hex, datetimes as microseconds
since the epoch in a column ``<field>_us``, lists of strings and maps as JSON, booleans as 0 or
1) and read back, the insert of a row from an event, and updates and deletes by key. Every value
is matched to its column by name; nothing depends on the order of a list.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from functools import lru_cache
from operator import attrgetter, call
from typing import Any, Generic, TypeVar
from uuid import UUID

from tokenledger.domain.clock import from_epoch_us, from_epoch_us_or_none, to_epoch_us
from tokenledger.projections.writes import Statement, Write, delete, epoch_us_or_none, insert, json_list, update

T = TypeVar("T")
Convert = Callable[[Any], Any]


@dataclass(frozen=True)
class Sql:
    """Where an inserted column's value is SQL rather than a plain parameter: a constant
    (``Sql("NULL")``), or an expression (``NULLIF(?, 0)``) of one parameter, the event's
    attribute ``source``. Binding a ``None`` costs Python's sqlite3 several times an int or a string, so a replay is
    faster for every ``None`` the SQL makes instead."""

    text: str
    source: str | None = None


@dataclass(frozen=True)
class Column:
    name: str
    field: str
    sql_type: str
    write: Convert | None  # None: the value as it is
    read: Convert | None


@dataclass(frozen=True)
class RowChange:
    """An update of some fields of the row with a given key, or (no fields) its deletion."""

    statement: Statement
    columns: tuple[Column, ...]
    key: Column

    def write(self, key: Any, **values: Any) -> Write:
        if values.keys() != {column.field for column in self.columns}:
            raise TypeError(f"{self.statement.table}: give {[c.field for c in self.columns]}, not {list(values)}")
        params = [_written(column, values[column.field]) for column in self.columns]
        return self.statement, (*params, _written(self.key, key))


class RowShape(Generic[T]):
    """``shape``'s fields as the columns of ``table``, keyed by ``key``. ``renamed`` names the
    columns whose names are not the rule's (kept as stores already have them); ``omitted`` are
    fields the table does not keep (they read back as their defaults)."""

    def __init__(self, shape: type[T], table: str, key: str, *, renamed: Mapping[str, str] | None = None,
                 omitted: tuple[str, ...] = ()) -> None:
        self.shape = shape
        self.table = table
        hints = typing.get_type_hints(shape)
        renamed = renamed or {}
        self.columns = tuple(
            _column(field.name, hints[field.name], renamed.get(field.name), primary=field.name == key)
            for field in dataclasses.fields(shape)  # type: ignore[arg-type]
            if field.name not in omitted
        )
        self.key = self.column(key)
        self._as_is = tuple((c.field, c.name) for c in self.columns if c.read is None)
        self._converted = tuple((c.field, c.name, c.read) for c in self.columns if c.read is not None)

    def column(self, field: str) -> Column:
        for column in self.columns:
            if column.field == field:
                return column
        raise KeyError(f"{self.table} keeps no field {field!r}")

    def create_table(self) -> str:
        columns = ", ".join(f"{column.name} {column.sql_type}" for column in self.columns)
        return f"CREATE TABLE IF NOT EXISTS {self.table} ({columns})"

    def read(self, row: Any) -> T:
        """The dataclass a row holds (any other columns the query selected are ignored)."""
        values = {field: row[name] for field, name in self._as_is}
        for field, name, read in self._converted:
            values[field] = read(row[name])
        return self.shape(**values)

    def inserter(self, event_type: type, sources: Mapping[str, str | Sql]) -> Callable[[Any], Write]:
        """What turns an event of ``event_type`` into the insert of its row: each field from the
        event's attribute ``sources`` names (or the SQL it gives), else from the event's field of
        the same name, which it must have."""
        event_fields = {field.name for field in dataclasses.fields(event_type)}
        sourced = [(column, sources.get(column.field, column.field)) for column in self.columns]
        missing = [column.field for column, source in sourced
                   if isinstance(source, str) and source not in event_fields]
        if missing:
            raise TypeError(f"{self.table}: {event_type.__name__} has no field {missing}; give a source")
        # The values copied as they are come first, read in one call; then the others.
        as_is: list[tuple[Column, str | Sql]] = []
        rest: list[tuple[Column, str | Sql]] = []
        for column, source in sourced:
            (as_is if isinstance(source, str) and column.write is None else rest).append((column, source))
        statement = insert(self.table, *(column.name for column, _ in as_is),
                           *((column.name, source.text) if isinstance(source, Sql) else column.name
                             for column, source in rest))
        copy = _attributes([_attribute(source) for _, source in as_is])
        params = [(_attribute(source), column.write) for column, source in rest
                  if not isinstance(source, Sql) or source.source is not None]
        read = _attributes([attribute for attribute, _ in params])
        converts = [convert or _as_is for _, convert in params]

        def write(event: Any) -> Write:
            return statement, copy(event) + tuple(map(call, converts, read(event)))

        return write

    def update(self, *fields: str) -> RowChange:
        columns = tuple(self.column(field) for field in fields)
        return RowChange(update(self.table, tuple(c.name for c in columns), (self.key.name,)), columns, self.key)

    def delete(self) -> RowChange:
        return RowChange(delete(self.table, self.key.name), (), self.key)


def _column(field: str, hint: Any, renamed: str | None, *, primary: bool) -> Column:
    kind, optional = _unwrapped(hint)
    sql_type, write, read, suffix = _KINDS[_kind_key(kind, field)]
    if isinstance(kind, type) and issubclass(kind, Enum):
        read = kind
    if optional:
        write = _or_none(write) if write is not None else None
        read = _or_none(read) if read is not None else None
    constraint = " PRIMARY KEY" if primary else "" if optional else " NOT NULL"
    return Column(renamed or field + suffix, field, sql_type + constraint, write, read)


def _unwrapped(hint: Any) -> tuple[Any, bool]:
    """``X | None`` as ``(X, True)``, anything else as ``(hint, False)``."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        others = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(others) == 1:
            return others[0], True
    return hint, False


def _kind_key(kind: Any, field: str) -> Any:
    if isinstance(kind, type) and issubclass(kind, Enum) and issubclass(kind, str):
        return str
    origin = typing.get_origin(kind)
    if origin is not None:
        return origin
    if kind in _KINDS:
        return kind
    raise TypeError(f"field {field!r}: no column type for {kind!r}")


def _or_none(convert: Convert) -> Convert:
    """``convert`` for a value that may be None (by one function where there is one: a replay
    writes many rows)."""
    return _OR_NONE.get(convert) or (lambda value: None if value is None else convert(value))


@lru_cache(maxsize=1024)
def _string_tuple(text: str) -> tuple[str, ...]:
    """A JSON list of strings; the same few lists of policies recur in almost every row."""
    return tuple(json.loads(text))


def _json_text(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True)


_uuid_hex = attrgetter("hex")

# kind -> (SQL type, write, read, column name suffix); None: as it is
_KINDS: dict[Any, tuple[str, Convert | None, Convert | None, str]] = {
    str: ("TEXT", None, None, ""),
    int: ("INTEGER", None, None, ""),
    bool: ("INTEGER", int, bool, ""),
    UUID: ("TEXT", _uuid_hex, UUID, ""),
    datetime: ("BIGINT", to_epoch_us, from_epoch_us, "_us"),
    tuple: ("TEXT", json_list, _string_tuple, ""),
    dict: ("TEXT", _json_text, json.loads, ""),
}
_OR_NONE: dict[Convert, Convert] = {
    _uuid_hex: lambda value: None if value is None else value.hex,
    UUID: lambda text: None if text is None else UUID(text),
    to_epoch_us: epoch_us_or_none,
    from_epoch_us: from_epoch_us_or_none,
    _json_text: lambda value: None if value is None else json.dumps(value, sort_keys=True),
    json.loads: lambda text: None if text is None else json.loads(text),
}


def _written(column: Column, value: Any) -> Any:
    return value if column.write is None else column.write(value)


def _attributes(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """A tuple of the named attributes (``attrgetter`` gives a bare value for one name)."""
    if len(names) == 1:
        name = names[0]
        return lambda event: (getattr(event, name),)
    return attrgetter(*names) if names else lambda event: ()


def _as_is(value: Any) -> Any:
    return value


def _attribute(source: str | Sql) -> str:
    if isinstance(source, Sql):
        assert source.source is not None
        return source.source
    return source
