"""The audit queries (``tokenledger.application.ports.AuditQueries``) over the registry and event-time read models."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from tokenledger.application.ports import RegisteredToken
from tokenledger.domain.clock import to_epoch_us
from tokenledger.projections.audit_registry import REGISTRY_ROW
from tokenledger.projections.read_model_store import ReadModelStore

# Tokens created by one accessor's token, then by those, and so on: followed by creator, so
# orphans a token created are found too.
_CREATED_BY_DESCENDANTS = (
    "WITH RECURSIVE Created(token_id, accessor) AS ("
    " SELECT token_id, accessor FROM token_registry WHERE namespace = ? AND creator_accessor = ?"
    " UNION SELECT r.token_id, r.accessor FROM token_registry r"
    " JOIN Created c ON r.creator_accessor = c.accessor WHERE r.namespace = ?) "
)


class SqlAuditQueries:
    def __init__(self, store: ReadModelStore) -> None:
        self._store = store

    def token_record(self, namespace: str, accessor: str) -> RegisteredToken | None:
        rows = self._store.query(
            "SELECT * FROM token_registry WHERE namespace = ? AND accessor = ? ORDER BY created_us DESC LIMIT 1",
            [namespace, accessor])
        return REGISTRY_ROW.read(rows[0]) if rows else None

    def event_count(self, aggregate_id: UUID) -> int:
        rows = self._store.query("SELECT COUNT(*) AS n FROM event_times WHERE aggregate_id = ?", [aggregate_id.hex])
        return int(rows[0]["n"])

    def version_at(self, aggregate_id: UUID, instant: datetime) -> int | None:
        rows = self._store.query(
            "SELECT MAX(version) AS v FROM event_times WHERE aggregate_id = ? AND timestamp_us <= ?",
            [aggregate_id.hex, to_epoch_us(instant)])
        return None if rows[0]["v"] is None else int(rows[0]["v"])

    def created_by(self, namespace: str, accessor: str, descendants: bool, after: str | None,
                   limit: int) -> list[RegisteredToken]:
        sql, params = self._created_by(namespace, accessor, descendants, "r.*")
        sql += " AND r.accessor > ? ORDER BY r.accessor LIMIT ?"
        return [REGISTRY_ROW.read(row) for row in self._store.query(sql, [*params, after or "", limit])]

    def count_created_by(self, namespace: str, accessor: str, descendants: bool) -> int:
        sql, params = self._created_by(namespace, accessor, descendants, "COUNT(*) AS n")
        return int(self._store.query(sql, params)[0]["n"])

    def created_against_role(self, namespace: str, role: str, start: datetime | None,
                             end: datetime | None, after: str | None, limit: int) -> list[RegisteredToken]:
        sql, params = _in_role("*", namespace, role, start, end)
        rows = self._store.query(sql + " AND accessor > ? ORDER BY accessor LIMIT ?", [*params, after or "", limit])
        return [REGISTRY_ROW.read(row) for row in rows]

    def count_created_against_role(self, namespace: str, role: str, start: datetime | None,
                                   end: datetime | None) -> int:
        sql, params = _in_role("COUNT(*) AS n", namespace, role, start, end)
        return int(self._store.query(sql, params)[0]["n"])

    def live_tokens(self, namespace: str, after: str | None, limit: int) -> list[RegisteredToken]:
        rows = self._store.query(
            "SELECT r.* FROM accessor_index a JOIN token_registry r ON r.token_id = a.token_id "
            "WHERE a.namespace = ? AND a.accessor > ? ORDER BY a.accessor LIMIT ?",
            [namespace, after or "", limit])
        return [REGISTRY_ROW.read(row) for row in rows]

    def _created_by(self, namespace: str, accessor: str, descendants: bool,
                    columns: str) -> tuple[str, list[Any]]:
        if descendants:
            return (_CREATED_BY_DESCENDANTS + f"SELECT {columns} FROM token_registry r "
                    "JOIN Created c ON c.token_id = r.token_id WHERE 1 = 1", [namespace, accessor, namespace])
        return (f"SELECT {columns} FROM token_registry r WHERE r.namespace = ? AND r.creator_accessor = ?",
                [namespace, accessor])


def _in_role(columns: str, namespace: str, role: str, start: datetime | None,
             end: datetime | None) -> tuple[str, list[Any]]:
    sql = f"SELECT {columns} FROM token_registry WHERE namespace = ? AND role_name = ?"
    params: list[Any] = [namespace, role]
    if start is not None:
        sql, params = sql + " AND created_us >= ?", [*params, to_epoch_us(start)]
    if end is not None:
        sql, params = sql + " AND created_us < ?", [*params, to_epoch_us(end)]
    return sql, params

