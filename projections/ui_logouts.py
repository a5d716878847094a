"""Audit page sessions ended by a logout, kept in the store so that every worker and every
server on it refuses the session's cookie afterwards, across restarts.

Not a read model (no event implies it, and rebuilds leave it alone): a row per logout, kept only
until the session would have expired anyway, so the table stays as small as the logouts of one
session lifetime. A page load reads one row by its primary key.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tokenledger.domain.clock import to_epoch_us

if TYPE_CHECKING:
    from tokenledger.projections.read_model_store import ReadModelStore

TABLE = "ui_session_logouts"
CREATE_TABLE = f"CREATE TABLE IF NOT EXISTS {TABLE} (session_id TEXT PRIMARY KEY, until_us BIGINT NOT NULL)"


class SessionLogouts:
    def __init__(self, index: ReadModelStore) -> None:
        self._index = index

    def record(self, session_id: str, until: datetime, now: datetime) -> None:
        """End the session for good (its cookie is refused until ``until``, when it expires),
        and forget the logouts of sessions that have expired since."""
        sql = self._index.dialect.sql
        with self._index.transaction(commit=True) as cursor:
            cursor.execute(sql(f"INSERT INTO {TABLE} (session_id, until_us) VALUES (?, ?) "
                               "ON CONFLICT (session_id) DO NOTHING"), (session_id, to_epoch_us(until)))
            cursor.execute(sql(f"DELETE FROM {TABLE} WHERE until_us < ?"), (to_epoch_us(now),))

    def ended(self, session_id: str) -> bool:
        return bool(self._index.query(f"SELECT 1 AS ended FROM {TABLE} WHERE session_id = ?", [session_id]))
