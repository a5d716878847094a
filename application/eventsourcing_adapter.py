"""What tokenledger needs from the eventsourcing library beyond its plainest use, in one place.

Topics: every stored event names its class by topic (``module:qualname``), and so do snapshots, the
``originator_topic`` of a created event and the recorder topic in settings. Until the code became one
``tokenledger`` package they were written as ``domain.token_events:TokenCreated`` and
``projections.sqlite_store:IndexedSQLiteRecorder``; the library's ``register_topic`` maps those old
package names onto the new ones, and the classes that moved module since onto where they are, so
that ledgers and exports written then still read.
"""

from __future__ import annotations

from types import ModuleType

from eventsourcing.utils import register_topic

import tokenledger.domain
import tokenledger.projections
from tokenledger.domain.setup import LedgerInitialised, LedgerSetup

LEGACY_PACKAGES: dict[str, ModuleType] = {
    "domain": tokenledger.domain,
    "projections": tokenledger.projections,
}

MOVED_CLASSES: dict[str, type] = {
    "domain.ledger:LedgerInitialised": LedgerInitialised,
    "domain.ledger:LedgerSetup": LedgerSetup,
}


def register_legacy_topics() -> None:
    for old_name, package in LEGACY_PACKAGES.items():
        register_topic(old_name, package)
    for old_topic, cls in MOVED_CLASSES.items():
        register_topic(old_topic, cls)


register_legacy_topics()
