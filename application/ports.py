"""What the service layer needs from the read models and the ledger's recorder; ``projections``
provides it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from tokenledger.domain.role_settings import RoleSettings
from tokenledger.domain.token_view import TokenStatus, TokenView


class TokenQueries(Protocol):
    def find(self, token_id: UUID) -> TokenView | None:
        """The live token with this ID, or None."""

    def token_id_for_accessor(self, accessor: str) -> UUID | None:
        """The live token holding this accessor, or None."""

    def children_of(self, parent_ids: Sequence[UUID]) -> list[UUID]:
        """IDs of the live tokens whose parent is one of ``parent_ids``."""

    def accessors(self, after: str | None = None, limit: int | None = None, namespace: str = "") -> list[str]:
        """Live accessors of the namespace in ascending order, starting after ``after``."""

    def created_under(self, namespace: str, path: str) -> list[UUID]:
        """IDs of the namespace's live tokens created at ``path`` or a path below it."""

    def expired(self, now: datetime, limit: int) -> list[UUID]:
        """IDs of live tokens whose expiry time has passed, soonest first."""

    def position(self) -> int:
        """The log position of the last event the read models reflect."""


class PolicyQueries(Protocol):
    def policy_texts(self, namespace: str, names: Sequence[str]) -> dict[str, str]:
        """The text of each named policy that exists in the namespace."""

    def policy_names(self, namespace: str) -> list[str]:
        """Every policy written in the namespace, in name order."""


class RoleLookup(Protocol):
    def settings(self, namespace: str, name: str) -> RoleSettings | None:
        """The role as it is now, or None if there is no such role in the namespace."""


class RoleQueries(Protocol):
    def role_names(self, namespace: str) -> list[str]:
        """Every role of the namespace, in name order."""


@dataclass(frozen=True)
class TokenRecord:
    """What the audit's read models keep of every token: where it is, who made it under what,
    and when it was made and expires."""

    token_id: UUID
    accessor: str
    namespace: str
    parent_id: UUID | None
    creator_accessor: str
    role_name: str
    display_name: str
    policies: tuple[str, ...]
    path: str
    created_at: datetime
    expire_at: datetime | None


@dataclass(frozen=True)
class RegisteredToken(TokenRecord):
    """A token as the audit registry keeps it, ended or not."""

    status: TokenStatus
    ended_at: datetime | None
    orphaned_at: datetime | None = None  # since then it has had no parent; parent_id is the one before


class AuditQueries(Protocol):
    def token_record(self, namespace: str, accessor: str) -> RegisteredToken | None:
        """The token that held the accessor, live or ended."""

    def event_count(self, aggregate_id: UUID) -> int:
        """How many events the aggregate has."""

    def version_at(self, aggregate_id: UUID, instant: datetime) -> int | None:
        """The aggregate's version as of the instant, or None if it did not exist yet."""

    def created_by(self, namespace: str, accessor: str, descendants: bool, after: str | None,
                   limit: int) -> list[RegisteredToken]:
        """Tokens created by the accessor's token (and their creations), in accessor order."""

    def count_created_by(self, namespace: str, accessor: str, descendants: bool) -> int:
        """How many tokens ``created_by`` lists in all."""

    def created_against_role(self, namespace: str, role: str, start: datetime | None,
                             end: datetime | None, after: str | None, limit: int) -> list[RegisteredToken]:
        """Tokens created against the role in [start, end), in accessor order."""

    def count_created_against_role(self, namespace: str, role: str, start: datetime | None,
                                   end: datetime | None) -> int:
        """How many tokens ``created_against_role`` lists in all."""

    def live_tokens(self, namespace: str, after: str | None, limit: int) -> list[RegisteredToken]:
        """The namespace's live tokens, in accessor order."""


@runtime_checkable
class EventStreams(Protocol):
    """Reads of many streams in one query, which the ledger uses where its recorder offers them
    (``tokenledger.projections.ledger_recorder.LedgerRecorder`` does; the library's do not)."""

    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every event of these aggregates, each stream in version order."""

    def select_stream_ends(self, originator_ids: Sequence[UUID]) -> list[tuple[UUID, int, str]]:
        """The version and topic of the last event of each of these aggregates."""
