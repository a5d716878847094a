"""The library's SQLite factory, with connections that keep the ledger's statements prepared.

eventsourcing 9.5.6 opens its SQLite connections with ``cached_statements=True``, which the
``sqlite3`` module reads as a cache of one statement. A save runs about a dozen different
statements (the event, its hash-chain link, the read-model rows, the positions), so each was
parsed and planned again on every save: a tenth of a create's instructions under callgrind.
``LedgerSQLiteFactory`` (named by ``PERSISTENCE_MODULE``) puts a pool whose connections cache
``CACHED_STATEMENTS`` statements in place of the one the library's factory made, as
``LedgerPostgresFactory`` does for PostgreSQL.
"""

from __future__ import annotations

import sqlite3

from eventsourcing.persistence import InterfaceError
from eventsourcing.sqlite import SQLITE3_DEFAULT_LOCK_TIMEOUT, SQLiteConnection, SQLiteConnectionPool, SQLiteFactory
from eventsourcing.utils import Environment

CACHED_STATEMENTS = 256  # sqlite3's default is 128; the ledger's writes and reads use fewer than 100


class StatementCachingPool(SQLiteConnectionPool):
    """The library's pool, but for the statement cache of the connections it makes: the
    connection ``ConnectionPool._create_connection`` (its declared way to make one) returns is
    the library's own, in WAL mode for a file, auto-committing, rows as ``sqlite3.Row``."""

    def _create_connection(self) -> SQLiteConnection:
        try:
            connection = sqlite3.connect(database=self.db_name, uri=True, check_same_thread=False,
                                         isolation_level=None, cached_statements=CACHED_STATEMENTS,
                                         timeout=self.lock_timeout or SQLITE3_DEFAULT_LOCK_TIMEOUT)
        except (sqlite3.Error, TypeError) as error:
            raise InterfaceError(error) from error
        if not self.is_sqlite_memory_mode and not self.is_journal_mode_wal:
            self._use_wal(connection)
        connection.row_factory = sqlite3.Row
        return SQLiteConnection(sqlite_conn=connection, max_age=self.max_age)

    def _use_wal(self, connection: sqlite3.Connection) -> None:
        (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
        if mode.lower() != "wal":
            connection.execute("PRAGMA journal_mode=WAL")
            self.journal_mode_was_changed_to_wal = True
        self.is_journal_mode_wal = True


class LedgerSQLiteFactory(SQLiteFactory):
    def __init__(self, env: Environment) -> None:
        super().__init__(env)
        made = self.datastore.pool
        self.datastore.pool = StatementCachingPool(
            db_name=made.db_name,
            lock_timeout=made.lock_timeout,
            pool_size=made.pool_size,
            max_overflow=made.max_overflow,
            pool_timeout=made.pool_timeout,
            max_age=made.max_age,
            pre_ping=made.pre_ping,
        )
        made.close()
