"""The hygiene reports' queries over the in-memory read models, mirroring
``tokenledger.projections.hygiene_queries.SqlHygieneQueries`` in Python (the SQL ones run on both
real stores in tests/integration/test_hygiene_reports.py, which checks they answer alike)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

from tests.support.fakes import InMemoryReadModels
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
from tokenledger.projections.hygiene import ROW


class InMemoryHygieneQueries:
    def __init__(self, read_models: InMemoryReadModels) -> None:
        self._read_models = read_models

    def tokens(self, namespace: str, chosen: TokenFilter, after: str | None, limit: int) -> list[HygieneToken]:
        chosen_rows = [row for row in self._chosen(namespace, chosen) if row.accessor > (after or "")]
        return sorted(chosen_rows, key=lambda row: row.accessor)[:limit]

    def count_tokens(self, namespace: str, chosen: TokenFilter) -> int:
        return len(self._chosen(namespace, chosen))

    def group_counts(self, namespace: str, by: str, after: str | None, limit: int) -> list[GroupCount]:
        counts = self._groups(namespace, by)
        keys = sorted(key for key in counts if after is None or key > after)
        return [GroupCount(key, counts[key]) for key in keys[:limit]]

    def count_groups(self, namespace: str, by: str) -> int:
        return len(self._groups(namespace, by))

    def _groups(self, namespace: str, by: str) -> Counter[str]:
        if by == "policy":
            return Counter(row["policy"] for row in self._read_models.rows("token_live_policies")
                           if row["namespace"] == namespace)
        column = {"role": "role_name", "creator": "creator_accessor"}[by]
        return Counter(row[column] for row in self._read_models.rows("token_hygiene")
                       if row["namespace"] == namespace)

    def _chosen(self, namespace: str, chosen: TokenFilter) -> list[HygieneToken]:
        addresses = Counter(row["token_id"] for row in self._read_models.rows("token_addresses"))
        roots = {row["accessor"] for row in self._read_models.rows("root_accessors")}
        tokens = [replace(ROW.read(row), addresses=addresses[row["token_id"]])
                  for row in self._read_models.rows("token_hygiene") if row["namespace"] == namespace]
        return [token for token in tokens if _keeps(token, chosen, roots)]


def _keeps(token: HygieneToken, chosen: TokenFilter, roots: set[str]) -> bool:
    by_root = token.creator_accessor in roots
    tests: dict[str, Any] = {
        UNUSED: lambda: chosen.since is not None and token.active_at < chosen.since,
        ROOT_CHILDREN: lambda: token.parent_id is not None and by_root,
        ORPHANS: lambda: token.parent_id is None and token.creator_accessor != "" and not by_root,
        LONG_LIVED: lambda: bool(token.lifetime_reasons(chosen.ttl_over)),
        ADDRESSES: lambda: token.addresses > chosen.more_than,
    }
    return bool(tests[chosen.report]())
