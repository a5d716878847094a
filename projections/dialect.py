"""The few ways SQLite and PostgreSQL differ for the read models, and SQL rendering of writes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from projections.writes import Delete, Insert, Update, Write


@dataclass(frozen=True)
class Dialect:
    name: str
    mark: str
    bytes_type: str
    greatest: str

    def render(self, write: Write) -> tuple[str, list[Any]]:
        if isinstance(write, Insert):
            return _insert_sql(self.mark, write.table, tuple(write.row)), list(write.row.values())
        if isinstance(write, Update):
            sql = _update_sql(self.mark, write.table, tuple(write.values), tuple(write.where))
            return sql, [*write.values.values(), *write.where.values()]
        if isinstance(write, Delete):
            return _delete_sql(self.mark, write.table, tuple(write.where)), list(write.where.values())
        raise TypeError(f"not a write: {write!r}")

    def sql(self, statement: str) -> str:
        """A statement written with ``?`` placeholders, in this dialect."""
        return statement if self.mark == "?" else statement.replace("?", self.mark)


SQLITE = Dialect(name="sqlite", mark="?", bytes_type="BLOB", greatest="MAX")
POSTGRES = Dialect(name="postgres", mark="%s", bytes_type="BYTEA", greatest="GREATEST")


@lru_cache(maxsize=256)
def _insert_sql(mark: str, table: str, columns: tuple[str, ...]) -> str:
    marks = ", ".join([mark] * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"


@lru_cache(maxsize=256)
def _update_sql(mark: str, table: str, columns: tuple[str, ...], where: tuple[str, ...]) -> str:
    assignments = ", ".join(f"{column} = {mark}" for column in columns)
    return f"UPDATE {table} SET {assignments} WHERE {_conditions(mark, where)}"


@lru_cache(maxsize=256)
def _delete_sql(mark: str, table: str, where: tuple[str, ...]) -> str:
    return f"DELETE FROM {table} WHERE {_conditions(mark, where)}"


def _conditions(mark: str, columns: tuple[str, ...]) -> str:
    return " AND ".join(f"{column} = {mark}" for column in columns)
