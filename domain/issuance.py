"""The rules for issuing a child token, checked in Vault's order, with Vault's messages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from domain import leases, policies
from domain.commands import CreateToken
from domain.errors import InvalidRequest
from domain.leases import TtlLimits
from domain.token_view import TokenView

_DISPLAY_NAME_UNSAFE = re.compile(r"[^a-zA-Z0-9-]")


@dataclass(frozen=True)
class TokenPlan:
    """Everything a new token will hold, decided before anything is recorded."""

    parent_id: UUID | None
    policies: list[str]
    meta: dict[str, str] | None
    display_name: str
    path: str
    num_uses: int
    renewable: bool
    ttl: int
    explicit_max_ttl: int
    period: int
    token_type: str
    warnings: list[str] = field(default_factory=list)


def plan_child_token(
    command: CreateToken, parent: TokenView, *, sudo: bool, limits: TtlLimits, now: datetime
) -> TokenPlan:
    if parent.is_used_up():
        raise InvalidRequest("parent token lookup failed: no parent found")
    if parent.token_type == "batch":
        raise InvalidRequest("batch tokens cannot create more tokens")
    if parent.num_uses > 0:
        raise InvalidRequest("restricted use token cannot generate child tokens")
    if command.role_name:
        raise InvalidRequest(f"unknown role {command.role_name}")  # no roles exist yet
    token_type = _token_type(command)
    if command.num_uses < 0:
        raise InvalidRequest("number of uses cannot be negative")
    if command.entity_alias:
        raise InvalidRequest("'entity_alias' is only allowed in combination with token role")
    if command.custom_id and not sudo:
        raise InvalidRequest("root or sudo privileges required to specify token id")
    token_policies = _policies(command, parent, sudo=sudo)
    parent_id = _parent(command, parent, sudo=sudo)
    ttl, explicit_max_ttl, period = _durations(command, sudo=sudo)
    lease = _lease(token_policies, ttl, explicit_max_ttl, period, limits, now)
    renewable = command.renewable is not False
    if lease.ttl == 0:
        if parent.expire_at is not None:
            raise InvalidRequest("expiring root tokens cannot create non-expiring root tokens")
        renewable = False
    return TokenPlan(
        parent_id=parent_id,
        policies=token_policies,
        meta=command.meta,
        display_name=display_name(command.display_name),
        path=command.path,
        num_uses=command.num_uses,
        renewable=renewable,
        ttl=lease.ttl,
        explicit_max_ttl=explicit_max_ttl,
        period=period,
        token_type=token_type,
        warnings=lease.warnings,
    )


def display_name(requested: str) -> str:
    if not requested:
        return "token"
    name = _DISPLAY_NAME_UNSAFE.sub("-", "token-" + requested)
    return name[:-1] if name.endswith("-") else name


def check_custom_id(custom_id: str) -> None:
    if custom_id.startswith("hvs."):
        raise InvalidRequest("custom token ID cannot have the 'hvs.' prefix")
    if custom_id.startswith("s."):
        raise InvalidRequest("custom token ID cannot have the 's.' prefix")
    if "." in custom_id:
        raise InvalidRequest("custom token ID cannot have a '.' in the value")


def _token_type(command: CreateToken) -> str:
    if command.token_type in ("", "service"):
        return "service"
    if command.token_type == "batch":
        raise InvalidRequest("batch tokens are not supported yet")
    raise InvalidRequest("invalid 'token_type' value")


def _policies(command: CreateToken, parent: TokenView, *, sudo: bool) -> list[str]:
    parent_policies = policies.sanitize(parent.policies)
    if command.policies is None:
        chosen = list(parent_policies)
    else:
        requested = policies.sanitize(command.policies)
        if not sudo and not policies.is_subset(requested, parent_policies):
            raise InvalidRequest("child policies must be subset of parent")
        adds_default = sudo or policies.DEFAULT in parent_policies
        if adds_default and not command.no_default_policy:
            requested.append(policies.DEFAULT)
        chosen = requested
    if command.no_default_policy:
        chosen = [name for name in chosen if name != policies.DEFAULT]
    chosen = policies.sanitize(chosen)
    for name in chosen:
        if name in policies.NOT_ASSIGNABLE:
            raise InvalidRequest(f'cannot assign policy "{name}"')
    if policies.ROOT in chosen and not parent.is_root:
        raise InvalidRequest("root tokens may not be created without parent token being root")
    return chosen


def _parent(command: CreateToken, parent: TokenView, *, sudo: bool) -> UUID | None:
    if command.orphan_endpoint:
        return None
    if command.no_parent:
        if not sudo:
            raise InvalidRequest("root or sudo privileges required to create orphan token")
        return None
    return parent.token_id


def _durations(command: CreateToken, *, sudo: bool) -> tuple[int, int, int]:
    if command.explicit_max_ttl < 0:
        raise InvalidRequest("explicit_max_ttl must be positive")
    if command.period < 0:
        raise InvalidRequest("period must be positive")
    if command.period > 0 and not sudo:
        raise InvalidRequest("root or sudo privileges required to create periodic token")
    if command.ttl < 0:
        raise InvalidRequest("ttl must be positive")
    ttl = command.ttl
    if ttl == 0:
        if command.lease < 0:
            raise InvalidRequest("lease must be positive")
        ttl = command.lease
    return ttl, command.explicit_max_ttl, command.period


def _lease(
    token_policies: list[str],
    ttl: int,
    explicit_max_ttl: int,
    period: int,
    limits: TtlLimits,
    now: datetime,
) -> leases.Lease:
    if ttl == 0 and period == 0:
        is_root = policies.ROOT in token_policies
        if explicit_max_ttl == 0 and is_root:
            return leases.Lease(ttl=0)
        if explicit_max_ttl > 0:
            ttl = explicit_max_ttl if is_root else min(explicit_max_ttl, limits.default_ttl)
    return leases.calculate(
        limits,
        now=now,
        issued=now,
        requested_ttl=ttl,
        period=period,
        explicit_max_ttl=explicit_max_ttl,
    )


def initial_root_plan() -> TokenPlan:
    """The token a new store starts with: root policy, no parent, never expires."""
    return TokenPlan(
        parent_id=None,
        policies=[policies.ROOT],
        meta=None,
        display_name="root",
        path="auth/token/root",
        num_uses=0,
        renewable=False,
        ttl=0,
        explicit_max_ttl=0,
        period=0,
        token_type="service",
    )
