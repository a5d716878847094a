"""The hygiene reports' queries (``tokenledger.application.hygiene.HygieneQueries``) over the read
models of ``tokenledger.projections.hygiene``: one indexed statement a page, one for its total."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tokenledger.application.hygiene import (
    ADDRESSES,
    LONG_LIVED,
    ORPHANS,
    ROOT_CHILDREN,
    UNUSED,
    GroupCount,
    HygieneToken,
    TokenFilter,
)
from tokenledger.domain.clock import to_epoch_us
from tokenledger.projections.activity import ADDRESSES as SEEN_AT
from tokenledger.projections.hygiene import ROW
from tokenledger.projections.read_model_store import ReadModelStore

_ROOT_CREATOR = "h.creator_accessor IN (SELECT accessor FROM root_accessors)"
_CONDITIONS = {
    UNUSED: "h.active_at_us < ?",
    ROOT_CHILDREN: f"h.parent_id IS NOT NULL AND {_ROOT_CREATOR}",
    ORPHANS: f"h.parent_id IS NULL AND h.creator_accessor <> '' AND NOT {_ROOT_CREATOR}",
    LONG_LIVED: "(h.expire_at_us IS NULL OR (h.period > 0 AND h.explicit_max_ttl = 0))",
    ADDRESSES: f"(SELECT COUNT(*) FROM {SEEN_AT} a WHERE a.token_id = h.token_id) > ?",
}
_ADDRESS_COUNT = f"(SELECT COUNT(*) FROM {SEEN_AT} n WHERE n.token_id = h.token_id) AS address_count"
# dimension -> (table, column)
_GROUPS = {"role": ("token_hygiene", "role_name"), "creator": ("token_hygiene", "creator_accessor"),
           "policy": ("token_live_policies", "policy")}


class SqlHygieneQueries:
    def __init__(self, store: ReadModelStore) -> None:
        self._store = store

    def tokens(self, namespace: str, chosen: TokenFilter, after: str | None, limit: int) -> list[HygieneToken]:
        where, params = _where(namespace, chosen)
        sql = (f"SELECT h.*, {_ADDRESS_COUNT} FROM token_hygiene h WHERE {where} AND h.accessor > ? "
               "ORDER BY h.accessor LIMIT ?")
        rows = self._store.query(sql, [*params, after or "", limit])
        return [replace(ROW.read(row), addresses=int(row["address_count"])) for row in rows]

    def count_tokens(self, namespace: str, chosen: TokenFilter) -> int:
        where, params = _where(namespace, chosen)
        return int(self._store.query(f"SELECT COUNT(*) AS n FROM token_hygiene h WHERE {where}", params)[0]["n"])

    def group_counts(self, namespace: str, by: str, after: str | None, limit: int) -> list[GroupCount]:
        table, column = _GROUPS[by]
        sql, params = f"SELECT {column} AS k, COUNT(*) AS n FROM {table} WHERE namespace = ?", [namespace]
        if after is not None:
            sql, params = sql + f" AND {column} > ?", [*params, after]
        rows = self._store.query(sql + f" GROUP BY {column} ORDER BY {column} LIMIT ?", [*params, limit])
        return [GroupCount(row["k"], int(row["n"])) for row in rows]

    def count_groups(self, namespace: str, by: str) -> int:
        table, column = _GROUPS[by]
        rows = self._store.query(f"SELECT COUNT(DISTINCT {column}) AS n FROM {table} WHERE namespace = ?",
                                 [namespace])
        return int(rows[0]["n"])


def _where(namespace: str, chosen: TokenFilter) -> tuple[str, list[Any]]:
    condition, params = _CONDITIONS[chosen.report], list[Any]()
    if chosen.report == UNUSED:
        assert chosen.since is not None
        params.append(to_epoch_us(chosen.since))
    elif chosen.report == ADDRESSES:
        params.append(chosen.more_than)
    elif chosen.report == LONG_LIVED and chosen.ttl_over is not None:
        condition = condition[:-1] + " OR h.ttl > ?)"
        params.append(chosen.ttl_over)
    return f"h.namespace = ? AND {condition}", [namespace, *params]
