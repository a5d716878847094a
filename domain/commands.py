"""Commands: what callers ask the ledger to do, already parsed into plain values."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CreateToken:
    """``POST auth/token/create`` and ``create-orphan``; durations are in seconds, 0 = not given."""

    custom_id: str = ""
    policies: tuple[str, ...] | None = None
    meta: dict[str, str] | None = None
    no_parent: bool = False
    no_default_policy: bool = False
    renewable: bool | None = None
    ttl: int = 0
    lease: int = 0
    explicit_max_ttl: int = 0
    display_name: str = ""
    num_uses: int = 0
    period: int = 0
    token_type: str = ""
    entity_alias: str = ""
    role_name: str = ""
    orphan_endpoint: bool = False

    @property
    def path(self) -> str:
        return "auth/token/create-orphan" if self.orphan_endpoint else "auth/token/create"
