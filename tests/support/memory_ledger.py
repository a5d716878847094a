"""The whole runtime with no database: ``TokenLedger`` on the eventsourcing library's in-memory
persistence (``eventsourcing.popo``), whose recorder keeps ``InMemoryReadModels`` in step with each
save as the SQL recorders keep their tables, and the services wired over them as ``bootstrap``
wires them over a store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory

from tests.support.fakes import InMemoryAuditQueries, InMemoryReadModels
from tests.support.hygiene_fakes import InMemoryHygieneQueries
from tokenledger.application.ledger import TokenLedger
from tokenledger.domain.clock import Clock, SystemClock
from tokenledger.domain.tidy import IndexRepair
from tokenledger.projections import registry
from tokenledger.wiring.bootstrap import Runtime, assemble
from tokenledger.wiring.settings import Settings

NO_STORE = "/dev/null/the-unit-tier-has-no-store.db"  # opening it fails at once, with this name in the error
MEMORY_SETTINGS = Settings(store=NO_STORE, index_wait_seconds=0.2)


class InMemoryRecorder(POPOApplicationRecorder):
    """Writes each save's read-model rows under the same lock as its events, and undoes them
    if the events cannot be recorded: what the SQL recorders do in one transaction. Also answers
    the two reads the SQL recorders offer the ledger (``select_events_of``, ``select_stream_ends``),
    so the ledger takes the same paths as on a real store."""

    def __init__(self) -> None:
        super().__init__()
        self.read_models = InMemoryReadModels()
        self._database_lock = self.read_models.lock

    def _insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        saved_events = kwargs.get("saved_events")
        with self.read_models.writes() as writes:
            self._assert_uniqueness(stored_events, **kwargs)
            for statement, params in registry.writes_for(saved_events or ()):
                writes.run(statement, params)
            notification_ids = self._update_table(stored_events, **kwargs)
            if saved_events is not None and notification_ids:
                self.read_models.move_to(max(notification_ids))
            return notification_ids

    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        with self._database_lock:
            return [event for originator_id in originator_ids for event in self.select_events(originator_id)]

    def select_stream_ends(self, originator_ids: Sequence[UUID]) -> list[tuple[UUID, int, str]]:
        with self._database_lock:
            ends = ((originator_id, self.select_events(originator_id, desc=True, limit=1))
                    for originator_id in dict.fromkeys(originator_ids))
            return [(originator_id, last[0].originator_version, last[0].topic) for originator_id, last in ends if last]


class InMemoryFactory(POPOFactory):
    """The library's in-memory persistence, with ``InMemoryRecorder`` as the application's recorder."""

    def application_recorder(self) -> ApplicationRecorder:
        return InMemoryRecorder()


def memory_ledger(settings: Settings = MEMORY_SETTINGS) -> TokenLedger:
    """A ``TokenLedger`` in memory, encrypting events as ``settings`` say (the library's other
    settings for the store do not apply)."""
    cipher = {name: value for name, value in settings.eventsourcing_env().items() if "CIPHER" in name}
    return TokenLedger(env={**cipher, "PERSISTENCE_MODULE": f"{__name__}:{InMemoryFactory.__name__}"})


def memory_runtime(settings: Settings = MEMORY_SETTINGS, clock: Clock | None = None) -> Runtime:
    """``bootstrap`` over an in-memory ledger and read models (``Runtime.read_models`` is the
    ``InMemoryReadModels``, which has no SQL)."""
    ledger = memory_ledger(settings)
    recorder = ledger.recorder
    assert isinstance(recorder, InMemoryRecorder)
    read_models = recorder.read_models
    return assemble(settings, ledger, read_models, InMemoryAuditQueries(read_models),  # type: ignore[arg-type]
                    lambda: repair(ledger, read_models), clock or SystemClock(),
                    InMemoryHygieneQueries(read_models))


def replayed(ledger: TokenLedger) -> InMemoryReadModels:
    """Fresh read models, filled from the whole log."""
    fresh = InMemoryReadModels()
    notifications = ledger.recorder.select_notifications(start=None, limit=1 << 62)
    if notifications:
        fresh.apply([(n.id, ledger.mapper.to_domain_event(n)) for n in notifications], notifications[-1].id)
    return fresh


def repair(ledger: TokenLedger, read_models: InMemoryReadModels) -> IndexRepair:
    """``projections.replay.repair`` in memory: each table that differs from a fresh replay of
    the log is rewritten from it, and the rows removed and added are counted."""
    with read_models.lock:
        fresh = replayed(ledger)
        removed, added, tables = 0, 0, []
        for table in registry.tables():
            live, rebuilt = read_models.tables[table], fresh.tables[table]
            live_rows, rebuilt_rows = _row_set(live.rows.values()), _row_set(rebuilt.rows.values())
            if live_rows == rebuilt_rows:
                continue
            removed, added = removed + len(live_rows - rebuilt_rows), added + len(rebuilt_rows - live_rows)
            tables.append(table)
            read_models.tables[table] = rebuilt
        return IndexRepair(rows_removed=removed, rows_added=added, tables=tables)


def _row_set(rows: Any) -> set[frozenset[tuple[str, Any]]]:
    return {frozenset(row.items()) for row in rows}
