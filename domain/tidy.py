"""``auth/token/tidy``: put the read models right against the log, and record what was done.

Vault's tidy scans its storage under a lock for leftovers of interrupted revocations. Here the
events are the truth and the indexes are derived from them in the same transaction, so tidying
means checking them against a fresh replay, repairing any difference, and recording expiries
that fell due; a ``TidyCompleted`` event keeps the figures for auditors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import uuid4

from eventsourcing.domain import Aggregate

from domain.actor import Actor
from domain.clock import Clock
from domain.ledger import TokenLedger


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


class TidyService:
    def __init__(self, ledger: TokenLedger, repair_indexes: Callable[[], IndexRepair],
                 expire_due: Callable[[], int], clock: Clock) -> None:
        self._ledger = ledger
        self._repair_indexes = repair_indexes
        self._expire_due = expire_due
        self._clock = clock

    def tidy(self, actor: Actor) -> TidyReport:
        repair = self._repair_indexes()
        expired = 0
        while (batch := self._expire_due()) > 0:
            expired += batch
        run: TidyRun = TidyRun._create(
            TidyCompleted, id=uuid4(), timestamp=self._clock.now(), expired_tokens=expired,
            rows_removed=repair.rows_removed, rows_added=repair.rows_added,
            tables_repaired=repair.tables, actor_accessor=actor.accessor, remote_addr=actor.remote_addr,
        )
        self._ledger.save(run)
        return run.report
