"""Everything tokenledger takes from the eventsourcing library beyond its documented use, in one place.

The library's private API (names with a leading underscore, and behaviour its documentation does
not promise) is used here and nowhere else; the rest of the code calls the names below. Only the
exact pin ``eventsourcing==9.5.6`` guarantees it: ``tests/integration/test_eventsourcing_adapter.py``
checks every assumption this module makes against the installed library, so an upgrade that
breaks one fails there, naming it.

- Topics: every stored event names its class by topic (``module:qualname``), and so do snapshots,
  the ``originator_topic`` of a created event and the recorder topic in settings. Until the code
  became one ``tokenledger`` package they were written as ``domain.token_events:TokenCreated`` and
  ``projections.sqlite_store:IndexedSQLiteRecorder``; the library's ``register_topic`` maps those
  old package names onto the new ones, and the classes that moved module since onto where they
  are, so that ledgers and exports written then still read.
- Aggregates: ``create_aggregate`` (the first event of an aggregate of a chosen class),
  ``aggregate_at`` (an aggregate known by its ID and version alone), ``event_from_state`` (an
  event rebuilt as the library's mapper rebuilds one).
- The application: ``ProjectingApplication`` saves without the library's runtime Protocol checks
  and hands each save's domain events to its recorder.
- Recorders: ``SQLiteRecorderHooks`` and ``PostgresRecorderHooks`` run ``events_inserted`` in the
  transaction of every insert of events, and give an import the library's own insert path;
  ``sqlite_database`` tells where a SQLite datastore's connections go.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import BaseAggregate, CanInitAggregate
from eventsourcing.persistence import Recording, StoredEvent
from eventsourcing.sqlite import SQLITE3_DEFAULT_LOCK_TIMEOUT, SQLiteDatastore
from eventsourcing.utils import register_topic

import tokenledger.domain
import tokenledger.projections
from tokenledger.domain.setup import LedgerInitialised, LedgerSetup

if TYPE_CHECKING:
    from eventsourcing.postgres import PostgresApplicationRecorder as _PostgresRecorder
    from eventsourcing.sqlite import SQLiteApplicationRecorder as _SQLiteRecorder
    from eventsourcing.sqlite import SQLiteCursor
    from psycopg import Cursor
    from psycopg.rows import DictRow
else:
    # Each hooks class is a mixin, typed as the library recorder it goes before among a recorder's
    # bases. The PostgreSQL one is imported for type checking only: this module is loaded by every
    # process, PostgreSQL's driver only by those that use it.
    _PostgresRecorder = _SQLiteRecorder = object

A = TypeVar("A", bound=BaseAggregate[Any])


# -- topics --------------------------------------------------------------------------------------

LEGACY_PACKAGES: dict[str, ModuleType] = {
    "domain": tokenledger.domain,
    "projections": tokenledger.projections,
}

MOVED_CLASSES: dict[str, type] = {
    "domain.ledger:LedgerInitialised": LedgerInitialised,
    "domain.ledger:LedgerSetup": LedgerSetup,
}


def topic_prefixes(package: ModuleType) -> tuple[str, ...]:
    """How the topics of ``package``'s modules begin: with its name, or with an old name of it."""
    return (f"{package.__name__}.", *(f"{old}." for old, renamed in LEGACY_PACKAGES.items() if renamed is package))


def register_legacy_topics() -> None:
    for old_name, package in LEGACY_PACKAGES.items():
        register_topic(old_name, package)
    for old_topic, cls in MOVED_CLASSES.items():
        register_topic(old_topic, cls)


register_legacy_topics()


# -- aggregates ----------------------------------------------------------------------------------


def create_aggregate(cls: type[A], event_class: type[CanInitAggregate[Any]], **fields: Any) -> A:
    """A new aggregate of ``cls``, made by its first event, ``event_class`` with these ``fields``
    (``id`` and ``timestamp`` among them), which is pending until the aggregate is saved."""
    return cls._create(event_class, **fields)


def aggregate_at(cls: type[A], aggregate_id: UUID, version: int) -> A:
    """An aggregate of ``cls`` known only by its ID and version: none of its events is replayed
    and none is pending, so an event it triggers is its next one. ``__init__`` is not called: the
    caller sets whatever state its commands need."""
    aggregate = cls.__new__(cls)
    aggregate._id, aggregate._version, aggregate._pending_events = aggregate_id, version, []
    return aggregate


def event_from_state(cls: type[Any], state: dict[str, Any]) -> Any:
    """An event of ``cls`` whose attributes are exactly ``state``, made as the library's mapper
    makes one from a stored event: without ``__init__``, so a field ``state`` lacks reads as the
    class's default."""
    event = object.__new__(cls)
    object.__setattr__(event, "__dict__", state)
    return event


# -- the application -----------------------------------------------------------------------------


class ProjectingApplication(Application[UUID]):
    """An ``Application`` whose ``save`` hands the domain events it saves to the recorder (the
    ``saved_events`` keyword of ``insert_events``), so a recorder can write what they imply in the
    same transaction, and tells ``recorded`` of every save that appended events."""

    def save(self, *aggregates: BaseAggregate[UUID], **kwargs: Any) -> list[Recording[UUID]]:  # type: ignore[override]
        """``Application.save`` for aggregates only, without its runtime-checked Protocol
        ``isinstance`` calls, which were a third of the time of a 30,000-token revoke."""
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        for aggregate in aggregates:
            processing_event.events.extend(aggregate.collect_events())
            processing_event.aggregates[aggregate.id] = aggregate
        processing_event.saved_kwargs.update(kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        return recordings

    def _record(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        processing_event.saved_kwargs["saved_events"] = processing_event.events
        recordings = super()._record(processing_event)
        if recordings:
            self.recorded(recordings)
        return recordings

    def recorded(self, recordings: list[Recording[UUID]]) -> None:
        """Called after each save that appended events, before any snapshot is taken."""


# -- recorders -----------------------------------------------------------------------------------


class _SameTransaction:
    """What the hooks call on the recorder they are mixed into
    (``tokenledger.projections.ledger_recorder.LedgerRecorder`` defines both)."""

    def inserting(self, cursor: Any, stored_events: Sequence[StoredEvent]) -> AbstractContextManager[None]:
        """The context one insert of events and ``events_inserted`` run in."""
        raise NotImplementedError(f"{type(self).__name__} must come after a recorder that defines inserting")

    def events_inserted(self, cursor: Any, stored_events: Sequence[StoredEvent], notification_ids: Sequence[int],
                        saved_events: Sequence[Any] | None) -> None:
        """Write what the inserted events imply, on the insert's transaction, after them."""
        raise NotImplementedError(f"{type(self).__name__} must come after a recorder that defines events_inserted")


class SQLiteRecorderHooks(_SameTransaction, _SQLiteRecorder):
    """Mixed in before ``SQLiteApplicationRecorder``: the library's insert of events, extended."""

    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> Sequence[int] | None:
        with self.inserting(c, stored_events):
            notification_ids = super()._insert_events(c, stored_events, **kwargs)
            self.events_inserted(c, stored_events, notification_ids or (), kwargs.get("saved_events"))
        return notification_ids

    def insert_on(self, cursor: Any, stored_events: Sequence[StoredEvent],
                  saved_events: Sequence[Any] | None) -> Sequence[int] | None:
        """Insert the events on the caller's transaction, as a save inserts them."""
        return self._insert_events(cursor, stored_events, saved_events=saved_events)


class PostgresRecorderHooks(_SameTransaction, _PostgresRecorder):
    """Mixed in before ``PostgresApplicationRecorder``: the library's insert of events, extended.
    The library locks the events table in every insert (``LOCK TABLE ... IN EXCLUSIVE MODE``), so
    notification IDs commit in order."""

    def _fetch_ids_after_insert_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent],
                                       **kwargs: Any) -> Sequence[int] | None:
        with self.inserting(curs, stored_events):
            notification_ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
            self.events_inserted(curs, stored_events, notification_ids or (), kwargs.get("saved_events"))
        return notification_ids

    def insert_on(self, cursor: Any, stored_events: Sequence[StoredEvent],
                  saved_events: Sequence[Any] | None) -> Sequence[int] | None:
        """Insert the events on the caller's transaction, as a save inserts them."""
        self._insert_stored_events(cursor, stored_events)
        return self._fetch_ids_after_insert_events(cursor, stored_events, saved_events=saved_events)

    def lock_events_table(self, cursor: Any) -> None:
        """Take the lock every insert of events takes, on the caller's transaction."""
        self._lock_table(cursor)


@dataclass(frozen=True)
class SQLiteDatabase:
    """The database a SQLite datastore opens, as its connections open it."""

    name: str  # a file name or an SQLite URI
    lock_timeout: float  # seconds a connection waits for a lock
    in_memory: bool


def sqlite_database(datastore: SQLiteDatastore) -> SQLiteDatabase:
    pool = datastore.pool
    return SQLiteDatabase(name=pool.db_name, lock_timeout=pool.lock_timeout or SQLITE3_DEFAULT_LOCK_TIMEOUT,
                          in_memory=pool.is_sqlite_memory_mode)
