"""Store-neutral descriptions of the row changes a projection makes for one event.

A projection declares each statement it runs once, as a ``Statement``; for an event it hands
back ``(statement, params)`` pairs. The SQL of a statement is rendered once per dialect, and runs
of the same statement go to the database as one ``executemany``: a replay pays per row only for
building the row's tuple.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, ClassVar, Literal

from tokenledger.domain.clock import to_epoch_us


@dataclass(frozen=True, eq=False)
class Statement:
    """One parameterised row change on one table. Its params, in order:

    - ``insert``: one for each ``?`` of ``values``, the SQL of each column's value (``?``
      unless the projection gave another). A clash with an existing key fails the whole save
      (that is how uniqueness holds).
    - ``upsert``: ``key`` then ``columns``: the row is inserted, or its ``columns`` replaced if
      the key exists.
    - ``update``: ``columns`` (the new values) then ``key`` (which rows).
    - ``delete``: ``key``.
    - ``tally``: ``columns`` (values given), then, with a ``source``, its key's value: one is
      added to the counter ``n`` of the row at ``key`` (created at 1); ``key``'s other columns
      are copied from the ``source`` row, and without such a row nothing is counted.

    Compared by identity: each is declared once, at import, and is a cheap dictionary key.
    """

    kind: Literal["insert", "upsert", "update", "delete", "tally"]
    table: str
    columns: tuple[str, ...] = ()
    key: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    source: tuple[str, str] | None = None  # tally: (table, key column) the other key columns come from


def insert(table: str, *columns: str | tuple[str, str]) -> Statement:
    """Each column is a name, its value a param, or ``(name, SQL)``: a constant (``NULL``),
    or an expression of one param. Binding a ``None`` costs Python's sqlite3 several times an
    int or a string, so a replay is faster for every ``None`` the SQL makes instead."""
    named = [(column, "?") if isinstance(column, str) else column for column in columns]
    return Statement("insert", table, tuple(name for name, _ in named), values=tuple(sql for _, sql in named))


def upsert(table: str, key: tuple[str, ...], columns: tuple[str, ...] = ()) -> Statement:
    return Statement("upsert", table, columns, key)


def update(table: str, columns: tuple[str, ...], key: tuple[str, ...]) -> Statement:
    return Statement("update", table, columns, key)


def delete(table: str, *key: str) -> Statement:
    return Statement("delete", table, (), key)


def tally(table: str, key: tuple[str, ...], given: tuple[str, ...],
          source: tuple[str, str] | None = None) -> Statement:
    """Count one more at ``key``: without a ``source`` every key column is ``given``."""
    if source is None and set(given) != set(key):
        raise ValueError(f"{table}: a tally without a source gives every key column")
    return Statement("tally", table, given, key, source=source)


Params = tuple[Any, ...]
Write = tuple[Statement, Params]
Handler = Callable[[Any], list[Write]]


class Projection:
    """A read model: its tables, and the writes each kind of domain event implies for them.

    ``handlers`` maps an event class to the name of the method that turns such an event into
    writes; events a read model does not care about imply none. ``create_statements`` create the
    tables and the indexes its writes look rows up by; ``query_indexes`` are the indexes only
    queries use, which a full rebuild drops and builds again at the end.
    """

    tables: ClassVar[tuple[str, ...]] = ()
    create_statements: ClassVar[tuple[str, ...]] = ()
    query_indexes: ClassVar[tuple[str, ...]] = ()
    handlers: ClassVar[dict[type, str]] = {}

    def handler(self, event_type: type) -> Handler | None:
        name = self.handlers.get(event_type)
        return getattr(self, name) if name else None


def epoch_us_or_none(instant: datetime | None) -> int | None:
    return None if instant is None else to_epoch_us(instant)


def json_list(items: list[str] | None) -> str:
    """``json.dumps`` of a list of strings (``[]`` for none); the same few lists of policies
    recur in almost every event, so their JSON is remembered."""
    return _json_of(tuple(items)) if items else "[]"


@lru_cache(maxsize=1024)
def _json_of(items: tuple[str, ...]) -> str:
    return json.dumps(list(items))
