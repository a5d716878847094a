"""The store's one-time initialisation, recorded with its first root token."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

LEDGER_SETUP_ID: UUID = uuid5(NAMESPACE_URL, "/tokenledger/setup")


class LedgerInitialised(Aggregate.Created):
    root_accessor: str


class LedgerSetup(Aggregate):
    """Exists once per store: saving it with the first root token makes initialisation atomic."""

    def __init__(self, root_accessor: str) -> None:
        self.root_accessor = root_accessor
