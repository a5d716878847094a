"""The recorder a ledger needs: the library's, extended to keep the read models and the hash chain
in the transaction of the events. ``LedgerRecorder`` is what the rest of tokenledger sees of it,
and the code both stores share; ``sqlite_store`` and ``postgres_store`` implement the rest.

So an acknowledged write is visible to every reader at once, and a crash can never leave the
read models behind the log. The recorded position lets a restart catch up events written by
anything else (``tokenledger.projections.replay``).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, StoredEvent

from tokenledger.projections import hash_chain
from tokenledger.projections.dialect import Dialect
from tokenledger.projections.read_model_store import Cursor, ReadModelStore, apply_events

if TYPE_CHECKING:  # PostgreSQL's driver is loaded only by processes that use it
    from tokenledger.projections.replica_reads import ReplicaOptions

LARGE_WRITE_EVENTS = 1000  # an insert this large (a revocation's batch) gets ``Dialect.large_write``


class LedgerRecorder(ApplicationRecorder):
    """Implements ``hash_chain.ChainedRecorder`` and ``tokenledger.application.ports.EventStreams``.

    A recorder puts it first among its bases, then the adapter's hooks for its store
    (``tokenledger.adapters.eventsourcing``), then the library's recorder: the hooks
    call ``inserting`` and ``events_inserted`` in the transaction of every insert of events.
    """

    # -- in the transaction of every insert of events ------------------------------------------

    def inserting(self, cursor: Any, stored_events: Sequence[StoredEvent]) -> AbstractContextManager[None]:
        """The context one insert of events and ``events_inserted`` run in."""
        if len(stored_events) >= LARGE_WRITE_EVENTS:
            return self.dialect().large_write(cursor)
        return nullcontext()

    def events_inserted(self, cursor: Any, stored_events: Sequence[StoredEvent], notification_ids: Sequence[int],
                        saved_events: Sequence[Any] | None) -> None:
        """Chain the events, then write the read-model rows of the saved domain events and move
        the position (an insert without them, such as a snapshot's, moves nothing)."""
        dialect = self.dialect()
        hash_chain.append(cursor, dialect, stored_events, notification_ids, self.chain_head_read())
        if saved_events is not None and notification_ids:
            apply_events(cursor, dialect, saved_events, max(notification_ids))

    # -- the hash chain ------------------------------------------------------------------------

    def chain_head_read(self) -> hash_chain.HeadReader | None:
        """The chain's head as this insert already read it, where the store reads it with the
        insert; ``None``: ``hash_chain.append`` reads it."""
        return None

    def chain_head(self) -> hash_chain.Link | None:
        with self.reading() as cursor:
            return hash_chain.head(cursor, self.dialect())

    def chain_links(self, after: int, stop: int, limit: int) -> list[hash_chain.Link]:
        with self.reading() as cursor:
            return hash_chain.links(cursor, self.dialect(), after, stop, limit)

    def chain_genesis(self) -> hash_chain.Genesis | None:
        with self.reading() as cursor:
            return hash_chain.genesis(cursor, self.dialect())

    # -- what each store says ------------------------------------------------------------------

    @abstractmethod
    def dialect(self) -> Dialect:
        """The store's SQL dialect, its tables qualified by its schema where it has one."""

    @abstractmethod
    def reading(self) -> AbstractContextManager[Cursor]:
        """One read-only transaction."""

    @abstractmethod
    def events_table(self) -> hash_chain.EventsTable:
        """The library's table of events, and its column of notification IDs."""

    @abstractmethod
    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every event of these aggregates, each stream in version order, in one query."""

    @abstractmethod
    def select_stream_ends(self, originator_ids: Sequence[UUID]) -> list[tuple[UUID, int, str]]:
        """The version and topic of the last event of each of these aggregates, in one query."""

    @abstractmethod
    def read_model_store(self, replicas: ReplicaOptions | None = None) -> ReadModelStore:
        """The read models, in the store's own datastore (and, for reads, on ``replicas``)."""

    @abstractmethod
    def import_transaction(self, index: ReadModelStore) -> AbstractContextManager[Cursor]:
        """One write transaction for an import, holding first the lock every save takes (so
        both take their locks in the same order)."""

    @abstractmethod
    def insert_imported(self, cursor: Cursor, stored_events: Sequence[StoredEvent], saved_events: Sequence[Any],
                        first_position: int) -> Sequence[int] | None:
        """Insert one run of an import's consecutive events, with what a save writes beside them,
        on the import's transaction, from ``first_position`` where the store can choose it;
        returns their notification IDs."""
