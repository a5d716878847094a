"""The few ways SQLite and PostgreSQL differ for the read models, and SQL rendering of writes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from tokenledger.projections.writes import Statement

# At most; pages are only held as a large transaction touches them. A 100,000-token revoke in
# batches of 5,000 rewrote most index pages once a batch: with the default 2 MiB cache they were
# also spilled to the WAL and read back mid-transaction (2.6 GB written, 3.8 GB read, against
# 1.5 GB and 0.9 GB with this cache).
LARGE_WRITE_CACHE_KIB = 256 * 1024


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

    def render(self, statement: Statement) -> str:
        """The SQL of a projection's statement, in this dialect (rendered once, then remembered)."""
        return _render(statement, self.mark, self.schema)

    def ddl(self, statement: str) -> str:
        """A read model's ``CREATE`` statement, written for SQLite, in this dialect: PostgreSQL
        tables have no rowid to leave out."""
        return statement if self.name == "sqlite" else statement.removesuffix(" WITHOUT ROWID")

    def schema_setup(self) -> list[str]:
        """What makes a transaction's unqualified DDL (``CREATE INDEX ... ON table``) name
        this store's schema."""
        if not self.schema:
            return []
        return ['SET LOCAL search_path TO "' + self.schema.replace('"', '""') + '"']

    @contextmanager
    def bulk(self, cursor: Any) -> Iterator[None]:
        """Settings for one transaction of a replay that runs with writers stopped, and that a
        crash would only make the next start redo: those of ``large_write``, and PostgreSQL
        commits without waiting for the WAL flush."""
        if self.name != "sqlite":
            cursor.execute("SET LOCAL synchronous_commit = off")
        with self.large_write(cursor):
            yield

    @contextmanager
    def large_write(self, cursor: Any) -> Iterator[None]:
        """For one transaction that changes many rows on random keys (a large revocation, a
        replay's batch): SQLite keeps the pages it changes in memory until the commit instead of
        spilling them to the WAL and reading them back (restoring its cache size before the
        commit). PostgreSQL needs nothing."""
        if self.name != "sqlite":
            yield
            return
        with _sqlite_cache(cursor, LARGE_WRITE_CACHE_KIB):
            yield

    def sql(self, statement: str) -> str:
        """A statement written with ``?`` placeholders and bare table names, in this dialect."""
        return _translate(statement, self.mark, self.schema)


@contextmanager
def _sqlite_cache(cursor: Any, kib: int) -> Iterator[None]:
    """A cache of at most ``kib`` KiB for this connection, the previous size restored after
    (its pages are only allocated as they are used, and freed when it shrinks)."""
    cursor.execute("PRAGMA cache_size")
    previous = int(cursor.fetchone()[0])
    cursor.execute(f"PRAGMA cache_size = {-kib}")
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA cache_size = {previous}")


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


@lru_cache(maxsize=1024)
def _render(statement: Statement, mark: str, schema: str) -> str:
    return _translate(_statement_sql(statement), mark, schema)


def _statement_sql(statement: Statement) -> str:
    table, columns, key = statement.table, statement.columns, statement.key
    if statement.kind == "insert":
        return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(statement.values)})"
    if statement.kind == "upsert":
        if not columns:
            return f"{_insert_sql(table, key)} ON CONFLICT ({', '.join(key)}) DO NOTHING"
        assignments = ", ".join(f"{column} = excluded.{column}" for column in columns)
        return f"{_insert_sql(table, key + columns)} ON CONFLICT ({', '.join(key)}) DO UPDATE SET {assignments}"
    if statement.kind == "tally":
        return _tally_sql(statement)
    if statement.kind == "update":
        assignments = ", ".join(f"{column} = ?" for column in columns)
        return f"UPDATE {table} SET {assignments} WHERE {_conditions(key)}"
    return f"DELETE FROM {table} WHERE {_conditions(key)}"


def _tally_sql(statement: Statement) -> str:
    """``INSERT ... ON CONFLICT`` adding one to ``n``; with a source, ``INSERT ... SELECT`` from its row."""
    table, given, key = statement.table, statement.columns, statement.key
    count = f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET n = {table}.n + 1"
    marks = ", ".join("?" * len(given))
    if statement.source is None:
        return f"INSERT INTO {table} ({', '.join(given)}, n) VALUES ({marks}, 1) {count}"
    source, source_key = statement.source
    copied = ", ".join(column for column in key if column not in given)
    return (f"INSERT INTO {table} ({', '.join(given)}, {copied}, n) "
            f"SELECT {marks}, {copied}, 1 FROM {source} WHERE {source_key} = ? {count}")


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def _conditions(columns: tuple[str, ...]) -> str:
    return " AND ".join(f"{column} = ?" for column in columns)
