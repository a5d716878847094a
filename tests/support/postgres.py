"""Where the tests find PostgreSQL, and a fresh schema per test so tests never see each other."""

from __future__ import annotations

import os
import queue
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

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
    """A store URL on a new, empty schema, dropped afterwards (skips where there is no server).
    The drop (a tenth of a second, mostly the server's) runs in the background while the next
    test runs; ``drop_pending_schemas`` waits for every drop at the end of the session."""
    require_postgres()
    schema = "tl_test_" + uuid.uuid4().hex[:12]
    with psycopg.connect(SERVER_URL, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{SERVER_URL}?schema={schema}"
    finally:
        _dropper().drop(schema)


_connect = psycopg.connect  # the unit tier replaces psycopg.connect while its tests run; not for the dropper


class _SchemaDropper(threading.Thread):
    """Drops schemas on a connection of its own (drops of the last integration tests may still be
    under way while the unit tier runs); a connection a test severs is opened again, the drop retried."""

    def __init__(self) -> None:
        super().__init__(name="schema-dropper", daemon=True)
        self.schemas: queue.Queue[str] = queue.Queue()
        self.failures: list[str] = []
        self.connection: psycopg.Connection[tuple[object, ...]] | None = None

    def drop(self, schema: str) -> None:
        self.schemas.put(schema)

    def run(self) -> None:
        while True:
            schema = self.schemas.get()
            try:
                self._drop(schema)
            except BaseException as error:  # reported by drop_pending_schemas; the thread goes on
                self.failures.append(f"{schema}: {error}")
            finally:
                self.schemas.task_done()

    def _drop(self, schema: str) -> None:
        for attempt in range(3):
            try:
                if self.connection is None or self.connection.closed:
                    self.connection = _connect(SERVER_URL, autocommit=True)
                self.connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
                return
            except psycopg.OperationalError:  # severed (tests terminate other backends): reconnect
                self.connection = None
                if attempt == 2:
                    raise


_started: list[_SchemaDropper] = []
_lock = threading.Lock()


def _dropper() -> _SchemaDropper:
    with _lock:
        if not _started:
            _started.append(_SchemaDropper())
            _started[0].start()
        return _started[0]


def drop_pending_schemas() -> list[str]:
    """Waits until every schema handed to the background is dropped; the drops that failed."""
    if not _started:
        return []
    dropper = _started[0]
    dropper.schemas.join()
    if dropper.connection is not None:
        dropper.connection.close()
    return list(dropper.failures)


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
