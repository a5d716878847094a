"""The cross-token search (``tokenledger.application.token_search.TokenSearchQueries``) over the
token registry and the addresses tokens were seen at."""

from __future__ import annotations

import json
from typing import Any

from tokenledger.application.ports import RegisteredToken
from tokenledger.application.token_search import TokenSearch
from tokenledger.domain.clock import to_epoch_us
from tokenledger.projections.activity import ADDRESSES
from tokenledger.projections.audit_queries import _CREATED_BY_DESCENDANTS
from tokenledger.projections.audit_registry import REGISTRY, REGISTRY_ROW
from tokenledger.projections.read_model_store import ReadModelStore


class SqlTokenSearch:
    def __init__(self, store: ReadModelStore) -> None:
        self._store = store

    def search(self, wanted: TokenSearch, after: str | None, limit: int) -> list[RegisteredToken]:
        sql, params = _matching(wanted, "r.*")
        rows = self._store.query(sql + " AND r.accessor > ? ORDER BY r.accessor LIMIT ?",
                                 [*params, after or "", limit])
        return [REGISTRY_ROW.read(row) for row in rows]

    def count(self, wanted: TokenSearch) -> int:
        sql, params = _matching(wanted, "COUNT(*) AS n")
        return int(self._store.query(sql, params)[0]["n"])


def _matching(wanted: TokenSearch, columns: str) -> tuple[str, list[Any]]:
    if wanted.creator is not None and wanted.descendants:
        sql = (_CREATED_BY_DESCENDANTS + f"SELECT {columns} FROM {REGISTRY} r "
               "JOIN Created c ON c.token_id = r.token_id WHERE r.namespace = ?")
        params: list[Any] = [wanted.namespace, wanted.creator, wanted.namespace, wanted.namespace]
    else:
        sql, params = f"SELECT {columns} FROM {REGISTRY} r WHERE r.namespace = ?", [wanted.namespace]
        if wanted.creator is not None:
            sql, params = sql + " AND r.creator_accessor = ?", [*params, wanted.creator]
    for condition, value in _conditions(wanted):
        sql, params = f"{sql} AND {condition}", [*params, value]
    return sql, params


def _conditions(wanted: TokenSearch) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if wanted.role is not None:
        found.append(("r.role_name = ?", wanted.role))
    if wanted.display_name is not None:
        found.append(("LOWER(r.display_name) LIKE ? ESCAPE '!'", f"%{_like(wanted.display_name.lower())}%"))
    if wanted.policy is not None:  # the stored JSON list holds the name as json.dumps writes it
        found.append(("r.policies LIKE ? ESCAPE '!'", f"%{_like(json.dumps(wanted.policy))}%"))
    if wanted.remote_addr is not None:
        found.append((f"r.token_id IN (SELECT token_id FROM {ADDRESSES} WHERE remote_addr = ?)", wanted.remote_addr))
    if wanted.start is not None:
        found.append(("r.created_us >= ?", to_epoch_us(wanted.start)))
    if wanted.end is not None:
        found.append(("r.created_us < ?", to_epoch_us(wanted.end)))
    return found


def _like(text: str) -> str:
    """``text`` matched literally by LIKE (escape character ``!``)."""
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")
