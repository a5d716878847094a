"""The few ways SQLite and PostgreSQL differ for the read models, and SQL rendering of writes."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from projections.writes import Delete, Insert, Update, Upsert, Write


@dataclass(frozen=True)
class Dialect:
    """``schema``, where set, qualifies every table a statement names, so a query needs no
    ``search_path`` round trip before it."""

    name: str
    mark: str
    bytes_type: str
    greatest: str
    schema: str = ""

    def in_schema(self, schema: str) -> Dialect:
        return replace(self, schema=schema)

    def render(self, write: Write) -> tuple[str, list[Any]]:
        if isinstance(write, Insert):
            return self.sql(_insert_sql(write.table, tuple(write.row))), list(write.row.values())
        if isinstance(write, Upsert):
            sql = _upsert_sql(write.table, tuple(write.key), tuple(write.values))
            return self.sql(sql), [*write.key.values(), *write.values.values()]
        if isinstance(write, Update):
            sql = _update_sql(write.table, tuple(write.values), tuple(write.where))
            return self.sql(sql), [*write.values.values(), *write.where.values()]
        if isinstance(write, Delete):
            return self.sql(_delete_sql(write.table, tuple(write.where))), list(write.where.values())
        raise TypeError(f"not a write: {write!r}")

    def sql(self, statement: str) -> str:
        """A statement written with ``?`` placeholders and bare table names, in this dialect."""
        return _translate(statement, self.mark, self.schema)


# Lower-case names after these words are tables of the store (a query's own names, such as a
# recursive CTE's, are written in capitals to stay unqualified).
_TABLE_REFERENCE = re.compile(r"\b(FROM|INTO|UPDATE|JOIN)\s+([a-z_]+)\b")


@lru_cache(maxsize=1024)
def _translate(statement: str, mark: str, schema: str) -> str:
    if mark != "?":
        statement = statement.replace("?", mark)
    if schema:
        quoted = '"' + schema.replace('"', '""') + '"'
        statement = _TABLE_REFERENCE.sub(lambda m: f"{m.group(1)} {quoted}.{m.group(2)}", statement)
    return statement


SQLITE = Dialect(name="sqlite", mark="?", bytes_type="BLOB", greatest="MAX")
POSTGRES = Dialect(name="postgres", mark="%s", bytes_type="BYTEA", greatest="GREATEST")


@lru_cache(maxsize=256)
def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


@lru_cache(maxsize=256)
def _upsert_sql(table: str, key: tuple[str, ...], columns: tuple[str, ...]) -> str:
    if not columns:
        return f"{_insert_sql(table, key)} ON CONFLICT ({', '.join(key)}) DO NOTHING"
    assignments = ", ".join(f"{column} = excluded.{column}" for column in columns)
    return (f"{_insert_sql(table, key + columns)} "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {assignments}")


@lru_cache(maxsize=256)
def _update_sql(table: str, columns: tuple[str, ...], where: tuple[str, ...]) -> str:
    assignments = ", ".join(f"{column} = ?" for column in columns)
    return f"UPDATE {table} SET {assignments} WHERE {_conditions(where)}"


@lru_cache(maxsize=256)
def _delete_sql(table: str, where: tuple[str, ...]) -> str:
    return f"DELETE FROM {table} WHERE {_conditions(where)}"


def _conditions(columns: tuple[str, ...]) -> str:
    return " AND ".join(f"{column} = ?" for column in columns)
