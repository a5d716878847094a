"""``auth/token/tidy``: put the read models right against the log, and record what was done.

Vault's tidy scans its storage under a lock for leftovers of interrupted revocations. Here the
events are the truth and the indexes are derived from them in the same transaction, so tidying
means checking them against a fresh replay, repairing any difference, and recording expiries
that fell due; a ``TidyCompleted`` event keeps the figures for auditors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from eventsourcing.domain import Aggregate

from tokenledger.domain.actor import Actor, AuditedAggregate, AuditedEvent


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


class TidyCompleted(AuditedEvent, Aggregate.Created):
    expired_tokens: int
    rows_removed: int
    rows_added: int
    tables_repaired: list[str]


class TidyRun(AuditedAggregate):
    def __init__(self, expired_tokens: int, rows_removed: int, rows_added: int,
                 tables_repaired: list[str]) -> None:
        self.report = TidyReport(expired_tokens, rows_removed, rows_added, list(tables_repaired))

    @classmethod
    def completed(cls, expired_tokens: int, repair: IndexRepair, now: datetime, actor: Actor) -> TidyRun:
        return cls._create_by(
            actor, TidyCompleted, id=uuid4(), timestamp=now, expired_tokens=expired_tokens,
            rows_removed=repair.rows_removed, rows_added=repair.rows_added, tables_repaired=repair.tables,
        )
