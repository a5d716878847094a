"""Reads of a SQLite file on one connection per thread, each statement its own snapshot.

A read through the library's pool costs a pool checkout, an explicit ``BEGIN`` and a ``ROLLBACK``
around the one ``SELECT``: more than the query itself for a primary-key lookup. In WAL mode a
lone statement in autocommit mode already reads one consistent snapshot of everything committed
before it, so the read-your-writes guarantee is the same.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class ThreadReader:
    def __init__(self, db_name: str, timeout: float) -> None:
        self._db_name = db_name
        self._timeout = timeout
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    @contextmanager
    def __call__(self) -> Iterator[sqlite3.Cursor]:
        cursor = self._connection().cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self._db_name, uri=True, timeout=self._timeout,
                                         isolation_level=None, check_same_thread=False)
            connection.row_factory = sqlite3.Row
            with self._lock:
                self._opened.append(connection)
            self._local.connection = connection
        return connection

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for connection in opened:
            connection.close()
        self._local = threading.local()
