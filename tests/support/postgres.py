"""Where the tests find PostgreSQL, and a fresh schema per test so tests never see each other."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from scripts.scratch_schema import schema_on

SERVER_URL = os.environ.get("TOKENLEDGER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRED = os.environ.get("TOKENLEDGER_REQUIRE_POSTGRES", "") == "1"


def unreachable_reason() -> str | None:
    try:
        with psycopg.connect(SERVER_URL, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"PostgreSQL is unreachable at {SERVER_URL}: {str(error).strip()}"


def require_postgres() -> None:
    reason = unreachable_reason()
    if reason is None:
        return
    if REQUIRED:
        pytest.fail(f"{reason} (TOKENLEDGER_REQUIRE_POSTGRES=1)")
    pytest.skip(reason)


@contextmanager
def fresh_schema() -> Iterator[str]:
    """A store URL on a new, empty schema, dropped afterwards (skips where there is no server)."""
    require_postgres()
    with schema_on(SERVER_URL, prefix="tl_test_") as url:
        yield url


def stored_text(store_url: str) -> bytes:
    """Every byte the schema holds: the events' state as stored, and every row as text."""
    schema = store_url.rsplit("schema=", 1)[1]
    chunks: list[bytes] = []
    with psycopg.connect(SERVER_URL) as connection:
        tables = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchall()
        for (table,) in tables:
            rows = connection.execute(f'SELECT t::text FROM "{schema}"."{table}" t').fetchall()
            chunks += [row[0].encode() for row in rows]
        events = connection.execute(f'SELECT state FROM "{schema}".tokenledger_events').fetchall()
        chunks += [bytes(row[0]) for row in events]
    return b"\n".join(chunks)
