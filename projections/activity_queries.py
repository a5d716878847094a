"""The activity queries (``tokenledger.application.activity.ActivityQueries``) over the hourly buckets."""

from __future__ import annotations

from typing import Any

from tokenledger.projections.activity import CREATED, ENDED, HOURS
from tokenledger.projections.read_model_store import ReadModelStore


class SqlActivityQueries:
    def __init__(self, store: ReadModelStore) -> None:
        self._store = store

    def hourly_counts(self, namespace: str, first_hour: int, end_hour: int, role: str | None,
                      creator: str | None) -> list[tuple[int, str, int]]:
        where, params = _filtered("hour >= ? AND hour < ?", [namespace, first_hour, end_hour], role, creator)
        rows = self._store.query(
            f"SELECT hour, kind, SUM(n) AS n FROM {HOURS} WHERE {where} GROUP BY hour, kind ORDER BY hour", params)
        return [(int(row["hour"]), row["kind"], int(row["n"])) for row in rows]

    def live_before(self, namespace: str, hour: int, role: str | None, creator: str | None) -> int:
        where, params = _filtered("hour < ?", [namespace, hour], role, creator)
        rows = self._store.query(
            f"SELECT SUM(CASE WHEN kind = ? THEN n ELSE -n END) AS live FROM {HOURS} "
            f"WHERE {where} AND kind IN (?, ?, ?)", [CREATED, *params, CREATED, *ENDED])
        return int(rows[0]["live"] or 0)


def _filtered(window: str, params: list[Any], role: str | None, creator: str | None) -> tuple[str, list[Any]]:
    """The namespace and window conditions (``params``: the namespace, then the window's), and
    the role's and creator's where given."""
    where = f"namespace = ? AND {window}"
    if role is not None:
        where, params = where + " AND role_name = ?", [*params, role]
    if creator is not None:
        where, params = where + " AND creator_accessor = ?", [*params, creator]
    return where, params
