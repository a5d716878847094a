"""The event-sourced application: one atomic save for every command, read models kept in step.

``TokenLedger`` hands the domain events of each save to the recorder, so a recorder that keeps
read models (see ``projections``) can write them in the same transaction as the events.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Recording

LEDGER_SETUP_ID: UUID = uuid5(NAMESPACE_URL, "/tokenledger/setup")


class LedgerInitialised(Aggregate.Created):
    root_accessor: str


class LedgerSetup(Aggregate):
    """Exists once per store: saving it with the first root token makes initialisation atomic."""

    def __init__(self, root_accessor: str) -> None:
        self.root_accessor = root_accessor


class TokenLedger(Application[UUID]):
    name = "TokenLedger"

    def _record(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        processing_event.saved_kwargs["saved_events"] = processing_event.events
        return super()._record(processing_event)

    def is_initialised(self) -> bool:
        return bool(list(self.events.get(LEDGER_SETUP_ID, limit=1)))
