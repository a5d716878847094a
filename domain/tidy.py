"""``auth/token/tidy``: put the read models right against the log, and record what was done.

Vault's tidy scans its storage under a lock for leftovers of interrupted revocations. Here the
events are the truth and the indexes are derived from them in the same transaction, so tidying
means checking them against a fresh replay, repairing any difference, and recording expiries
that fell due; a ``TidyCompleted`` event keeps the figures for auditors.
"""

from __future__ import annotations

from dataclasses import dataclass

from eventsourcing.domain import Aggregate


@dataclass(frozen=True)
class IndexRepair:
    rows_removed: int
    rows_added: int
    tables: list[str]


@dataclass(frozen=True)
class TidyReport:
    expired_tokens: int
    rows_removed: int
    rows_added: int
    tables_repaired: list[str]


class TidyCompleted(Aggregate.Created):
    expired_tokens: int
    rows_removed: int
    rows_added: int
    tables_repaired: list[str]
    actor_accessor: str
    remote_addr: str


class TidyRun(Aggregate):
    def __init__(self, expired_tokens: int, rows_removed: int, rows_added: int,
                 tables_repaired: list[str]) -> None:
        self.report = TidyReport(expired_tokens, rows_removed, rows_added, list(tables_repaired))
