"""What can happen to a token. Each event records when; each but an expiry (which the service itself
notices) also records which accessor acted, and from where (``AuditedEvent``).

Event class names and module are part of the stored topic: renaming one breaks old ledgers.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import Aggregate

from tokenledger.domain.actor import AuditedEvent
from tokenledger.domain.token_view import TokenStatus

if TYPE_CHECKING:  # the aggregates, which these events change, are built from them
    from tokenledger.domain.token import RevocableToken, Token


class TokenCreated(AuditedEvent, Aggregate.Created):
    accessor: str
    parent_id: UUID | None
    policies: list[str]
    meta: dict[str, str] | None
    display_name: str
    path: str
    num_uses: int
    renewable: bool
    ttl: int
    expire_at: datetime | None
    explicit_max_ttl: int
    period: int
    token_type: str
    entity_alias: str
    # Added after the first release: events recorded before them read as these defaults.
    namespace: str = ""
    bound_cidrs: list[str] | None = None
    role_name: str = ""


class TokenUsed(AuditedEvent):
    """The token was used: by a request (``path`` and ``operation`` as its policies saw them),
    from ``remote_addr``. Every use of a limited-use token is recorded, with the uses then left;
    a token without a limit (``uses_left`` None) records at most one use an interval."""

    uses_left: int | None
    # Added after the first release: uses recorded before them read as these defaults.
    path: str = ""
    operation: str = ""

    def apply(self, token: Token) -> None:
        token.uses_left = self.uses_left
        token.last_used_time = self.timestamp
        token.last_used_remote_addr = self.remote_addr


class TokenRenewed(AuditedEvent):
    increment: int
    ttl: int
    expire_at: datetime | None

    def apply(self, token: Token) -> None:
        token.ttl = self.ttl
        token.expire_at = self.expire_at
        token.last_renewal_time = self.timestamp


class TokenRevoked(AuditedEvent):
    reason: str

    def apply(self, token: RevocableToken) -> None:
        token.status = TokenStatus.REVOKED


class TokenExpired(Aggregate.Event):
    """The token outlived its TTL; recorded once, by whichever process noticed first."""

    def apply(self, token: RevocableToken) -> None:
        token.status = TokenStatus.EXPIRED


class TokenOrphaned(AuditedEvent):
    former_parent_id: UUID

    def apply(self, token: Token) -> None:
        token.parent_id = None
