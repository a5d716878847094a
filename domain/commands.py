"""Commands: what callers ask the ledger to do, already parsed into plain values."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CreateToken:
    """``POST auth/token/create``, ``create-orphan`` and ``create/<role_name>``; durations are in
    seconds, 0 = not given. ``bound_cidrs`` has no field in Vault's create call: it comes from a
    role, or is inherited from the parent, unless a caller of the domain asks for it."""

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
    bound_cidrs: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return "auth/token/create-orphan" if self.orphan_endpoint else "auth/token/create"
