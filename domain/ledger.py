"""The event-sourced application: one atomic save for every command, read models kept in step.

``TokenLedger`` hands the domain events of each save to the recorder, so a recorder that keeps
read models (see ``projections``) can write them in the same transaction as the events.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

import threading

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Recording
from eventsourcing.utils import EnvType

LEDGER_SETUP_ID: UUID = uuid5(NAMESPACE_URL, "/tokenledger/setup")


class LedgerInitialised(Aggregate.Created):
    root_accessor: str


class LedgerSetup(Aggregate):
    """Exists once per store: saving it with the first root token makes initialisation atomic."""

    def __init__(self, root_accessor: str) -> None:
        self.root_accessor = root_accessor


class TokenLedger(Application[UUID]):
    """Also remembers, per thread, the log position of the last save: a client shown it can ask
    any other process to answer only once it has caught up that far (read-your-writes)."""

    name = "TokenLedger"

    def __init__(self, env: EnvType | None = None) -> None:
        super().__init__(env)
        self._this_thread = threading.local()

    def _record(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        processing_event.saved_kwargs["saved_events"] = processing_event.events
        recordings = super()._record(processing_event)
        if recordings:
            self._this_thread.position = max(r.notification.id for r in recordings)
        return recordings

    def take_last_saved_position(self) -> int | None:
        """The position of this thread's last save since the previous call, if any."""
        position: int | None = getattr(self._this_thread, "position", None)
        self._this_thread.position = None
        return position

    def is_initialised(self) -> bool:
        return bool(list(self.events.get(LEDGER_SETUP_ID, limit=1)))
