"""A token as readers see it: what lookup answers, and what authentication decides on; and the
two words it is described by, its type and its status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class TokenType(StrEnum):
    """A service token is recorded and looked up; a batch token carries itself, sealed."""

    SERVICE = "service"
    BATCH = "batch"


class TokenStatus(StrEnum):
    """Where a token stands. ``USED_UP``: live, but its last use is spent (it is revoked once the
    request that spent it is served). Stored and answered as the values, so each is a ``str``."""

    LIVE = "live"
    REVOKED = "revoked"
    EXPIRED = "expired"
    USED_UP = "used up"

    @property
    def ended(self) -> bool:
        return self is not TokenStatus.LIVE


@dataclass(frozen=True)
class TokenView:
    """One token, as lookup answers it, authentication decides on it, and the audit shows it as of
    a past instant. ``status`` is live for every token lookup and authentication can find; only a
    view of the past may be otherwise."""

    token_id: UUID
    accessor: str
    parent_id: UUID | None
    policies: tuple[str, ...]
    meta: dict[str, str] | None
    display_name: str
    path: str
    num_uses: int
    uses_left: int | None
    renewable: bool
    issue_time: datetime
    creation_ttl: int
    ttl: int
    expire_at: datetime | None
    explicit_max_ttl: int
    period: int
    token_type: TokenType
    entity_alias: str
    last_renewal_time: datetime | None
    namespace: str = ""
    bound_cidrs: tuple[str, ...] = ()
    role_name: str = ""
    status: TokenStatus = TokenStatus.LIVE
    # The last recorded use (``TokenUsed``), not necessarily the last request: see ``usage``.
    last_used_time: datetime | None = None
    last_used_remote_addr: str = ""

    @property
    def is_root(self) -> bool:
        return "root" in self.policies

    @property
    def orphan(self) -> bool:
        return self.parent_id is None

    def has_expired(self, now: datetime) -> bool:
        return self.expire_at is not None and now >= self.expire_at

    def is_used_up(self) -> bool:
        return self.uses_left is not None and self.uses_left <= 0

    def seconds_left(self, now: datetime) -> int:
        if self.expire_at is None:
            return 0
        return max(0, int((self.expire_at - now).total_seconds()))
