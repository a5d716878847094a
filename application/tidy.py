"""``auth/token/tidy`` as a service: repair the read models, record due expiries, keep the figures."""

from __future__ import annotations

from collections.abc import Callable

from tokenledger.application.ledger import TokenLedger
from tokenledger.domain.actor import Actor
from tokenledger.domain.clock import Clock
from tokenledger.domain.tidy import IndexRepair, TidyReport, TidyRun


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
        run = TidyRun.completed(expired, repair, self._clock.now(), actor)
        self._ledger.save(run)
        return run.report
