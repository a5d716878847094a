"""A token as readers see it: what lookup answers, and what authentication decides on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class TokenView:
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
    token_type: str
    entity_alias: str
    last_renewal_time: datetime | None
    namespace: str = ""
    bound_cidrs: tuple[str, ...] = ()
    role_name: str = ""

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
