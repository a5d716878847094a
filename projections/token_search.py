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
    """Each query starts from its most selective source: the creator's descendants or the tokens
    seen at an address, when asked for (``CROSS JOIN`` keeps SQLite to that order; PostgreSQL
    plans for itself), else the registry's indexes. A count with nothing indexed to start from
    reads the whole registry in order (SQLite's ``NOT INDEXED``), not row by row through an index."""

    def __init__(self, store: ReadModelStore) -> None:
        self._store = store

    def search(self, wanted: TokenSearch, after: str | None, limit: int) -> list[RegisteredToken]:
        sql, params = _matching(wanted, "r.*", scan=False)
        rows = self._store.query(sql + " AND r.accessor > ? ORDER BY r.accessor LIMIT ?",
                                 [*params, after or "", limit])
        return [REGISTRY_ROW.read(row) for row in rows]

    def count(self, wanted: TokenSearch) -> int:
        scan = self._store.dialect.name == "sqlite" and not (wanted.role or wanted.creator or wanted.remote_addr)
        sql, params = _matching(wanted, "COUNT(*) AS n", scan=scan)
        return int(self._store.query(sql, params)[0]["n"])


def _matching(wanted: TokenSearch, columns: str, *, scan: bool) -> tuple[str, list[Any]]:
    """``SELECT columns FROM ... WHERE ...`` and its params, for every condition of the search."""
    prefix, params, sources = "", list[Any](), []
    conditions: list[tuple[str, Any]] = []
    if wanted.creator is not None and wanted.descendants:
        prefix, params = _CREATED_BY_DESCENDANTS, [wanted.namespace, wanted.creator, wanted.namespace]
        sources.append("Created c")
        conditions.append(("c.token_id = r.token_id", None))
    elif wanted.creator is not None:
        conditions.append(("r.creator_accessor = ?", wanted.creator))
    if wanted.remote_addr is not None:
        sources.append(f"{ADDRESSES} a")
        conditions += [("a.remote_addr = ?", wanted.remote_addr), ("a.token_id = r.token_id", None)]
    registry = f"{REGISTRY} r" + (" NOT INDEXED" if scan else "")
    sql = f"{prefix}SELECT {columns} FROM {' CROSS JOIN '.join([*sources, registry])} WHERE r.namespace = ?"
    params.append(wanted.namespace)
    for condition, value in conditions + _conditions(wanted):
        sql += f" AND {condition}"
        params += [] if value is None else [value]
    return sql, params


def _conditions(wanted: TokenSearch) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if wanted.role is not None:
        found.append(("r.role_name = ?", wanted.role))
    if wanted.display_name is not None:
        found.append(("LOWER(r.display_name) LIKE ? ESCAPE '!'", f"%{_like(wanted.display_name.lower())}%"))
    if wanted.policy is not None:  # the stored JSON list holds the name as json.dumps writes it
        found.append(("r.policies LIKE ? ESCAPE '!'", f"%{_like(json.dumps(wanted.policy))}%"))
    if wanted.start is not None:
        found.append(("r.created_us >= ?", to_epoch_us(wanted.start)))
    if wanted.end is not None:
        found.append(("r.created_us < ?", to_epoch_us(wanted.end)))
    return found


def _like(text: str) -> str:
    """``text`` matched literally by LIKE (escape character ``!``)."""
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")
