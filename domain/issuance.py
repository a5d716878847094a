"""The rules for issuing a child token, checked in Vault's order, with Vault's messages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from tokenledger.domain import leases, policies, role_policies
from tokenledger.domain.cidrs import cidrs_within, parse_cidrs
from tokenledger.domain.commands import CreateToken
from tokenledger.domain.errors import InvalidRequest
from tokenledger.domain.leases import TtlLimits
from tokenledger.domain.role_settings import RoleSettings, RoleTokenType
from tokenledger.domain.token_view import TokenType, TokenView

_DISPLAY_NAME_UNSAFE = re.compile(r"[^a-zA-Z0-9-]")


@dataclass(frozen=True)
class TokenPlan:
    """Everything a new token will hold, decided before anything is recorded.

    ``period`` and ``explicit_max_ttl`` are the ones in force at creation: the request's, or the
    role's where it sets them, the role's ``token_max_ttl`` capping the explicit max TTL too (see
    ``renewal_terms`` for renewals). ``requested_period`` and ``requested_explicit_max_ttl``, set
    for a token created against a role, are the request's own: what the token records and lookup
    shows, as Vault does (a role token renews with its role's current terms, never with these).
    """

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
    token_type: TokenType
    warnings: list[str] = field(default_factory=list)
    bound_cidrs: tuple[str, ...] = ()
    role_name: str = ""
    entity_alias: str = ""
    requested_period: int | None = None
    requested_explicit_max_ttl: int | None = None

    @property
    def recorded_period(self) -> int:
        """The period the token records: its own, as lookup shows it."""
        return self.period if self.requested_period is None else self.requested_period

    @property
    def recorded_explicit_max_ttl(self) -> int:
        """The explicit max TTL the token records: its own, as lookup shows it."""
        return self.explicit_max_ttl if self.requested_explicit_max_ttl is None else self.requested_explicit_max_ttl


def plan_child_token(
    command: CreateToken,
    parent: TokenView,
    *,
    sudo: bool,
    limits: TtlLimits,
    now: datetime,
    role: RoleSettings | None = None,
) -> TokenPlan:
    """Vault's ``handleCreateCommon``: ``role`` is the one named by ``command.role_name``. Beyond
    Vault, the role's ``token_ttl`` is the TTL when the request gives none, its ``token_max_ttl``
    caps the lifetime, and its ``token_policies`` are the policies when the request names none."""
    _check_parent(parent)
    if command.role_name and role is None:
        raise InvalidRequest(f"unknown role {command.role_name}")
    token_type = _token_type(command, role)
    if command.num_uses < 0:
        raise InvalidRequest("number of uses cannot be negative")
    _check_entity_alias(command, role)
    if command.custom_id and not sudo:
        raise InvalidRequest("root or sudo privileges required to specify token id")
    token_policies = _policies(command, parent, sudo=sudo, role=role)
    if token_type == TokenType.BATCH and policies.ROOT in token_policies:
        raise InvalidRequest("batch tokens cannot be root tokens")
    parent_id = _parent(command, parent, sudo=sudo, role=role)
    bound_cidrs = _bound_cidrs(command, parent, role, orphan=parent_id is None)
    ttl, requested_explicit_max_ttl, requested_period = _durations(command, sudo=sudo)
    if ttl == 0 and role is not None:
        ttl = role.token_ttl
    explicit_max_ttl, period, warnings = _role_terms(
        role, token_type, requested_explicit_max_ttl, requested_period
    )
    # A batch token carries no explicit max TTL, but the role's max TTL still caps its TTL.
    lifetime_cap = role.token_max_ttl if role is not None and token_type == TokenType.BATCH else explicit_max_ttl
    lease = _lease(token_policies, ttl, lifetime_cap, period, limits, now)
    renewable = _renewable(command, role, token_type)
    if lease.ttl == 0:
        if parent.expire_at is not None:
            raise InvalidRequest("expiring root tokens cannot create non-expiring root tokens")
        renewable = False
        bound_cidrs = ()  # Vault does not bind a root token that never expires
    return TokenPlan(
        parent_id=parent_id,
        policies=token_policies,
        meta=command.meta,
        display_name=display_name(command.display_name),
        path=_path(command, role),
        num_uses=_num_uses(command, role, token_type),
        renewable=renewable,
        ttl=lease.ttl,
        explicit_max_ttl=explicit_max_ttl,
        period=period,
        token_type=token_type,
        warnings=[*warnings, *lease.warnings],
        bound_cidrs=bound_cidrs,
        role_name=role.name if role is not None else "",
        entity_alias=command.entity_alias if role is not None else "",
        requested_period=requested_period if role is not None else None,
        requested_explicit_max_ttl=requested_explicit_max_ttl if role is not None else None,
    )


def renewal_terms(
    period: int, explicit_max_ttl: int, role: RoleSettings | None, *, role_name: str = ""
) -> tuple[int, int]:
    """The period and explicit max TTL a renewal applies: a token created against a role takes
    the role's as they are now (even where its own request set others), the role's
    ``token_max_ttl`` capping the explicit max TTL as at creation; any other token keeps its own.
    ``role_name`` is the token's role, if any: Vault will not renew a token whose role has since
    been deleted."""
    if role is not None:
        return role.token_period, _smallest_set(role.token_explicit_max_ttl, role.token_max_ttl)
    if role_name:
        raise InvalidRequest(f'original token role "{role_name}" could not be found, not renewing')
    return period, explicit_max_ttl


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


def _check_parent(parent: TokenView) -> None:
    if parent.is_used_up():
        raise InvalidRequest("parent token lookup failed: no parent found")
    if parent.token_type == TokenType.BATCH:
        raise InvalidRequest("batch tokens cannot create more tokens")
    if parent.num_uses > 0:
        raise InvalidRequest("restricted use token cannot generate child tokens")


def _token_type(command: CreateToken, role: RoleSettings | None) -> TokenType:
    requested = command.token_type
    if role is not None:
        if role.token_type in (RoleTokenType.SERVICE, RoleTokenType.BATCH):
            requested = role.token_type
        elif role.token_type == RoleTokenType.DEFAULT_BATCH:
            requested = requested or TokenType.BATCH
        elif role.token_type not in (RoleTokenType.DEFAULT_SERVICE, "default"):  # Vault's older name
            raise InvalidRequest(
                f'role being used for token creation contains invalid token type "{role.token_type}"'
            )
    if requested in ("", TokenType.SERVICE):
        return TokenType.SERVICE
    if requested == TokenType.BATCH:
        _check_batch_request(command)
        return TokenType.BATCH
    raise InvalidRequest("invalid 'token_type' value")


def _check_batch_request(command: CreateToken) -> None:
    for refused, name in (
        (command.explicit_max_ttl != 0, "explicit_max_ttl"),
        (command.num_uses != 0, "num_uses"),
        (command.period != 0, "period"),
    ):
        if refused:
            raise InvalidRequest(f'batch tokens cannot have "{name}" set')


def _check_entity_alias(command: CreateToken, role: RoleSettings | None) -> None:
    if not command.entity_alias:
        return
    if role is None:
        raise InvalidRequest("'entity_alias' is only allowed in combination with token role")
    if not role_policies.entity_alias_allowed(command.entity_alias, role):
        raise InvalidRequest("invalid 'entity_alias' value")


def _renewable(command: CreateToken, role: RoleSettings | None, token_type: TokenType) -> bool:
    if token_type == TokenType.BATCH or command.renewable is False:
        return False
    return role is None or role.renewable


def _num_uses(command: CreateToken, role: RoleSettings | None, token_type: TokenType) -> int:
    """The lower of the request's and the role's limit, 0 being no limit. A batch token keeps no
    count (Vault drops it when it seals the token)."""
    if token_type == TokenType.BATCH:
        return 0
    limit = role.token_num_uses if role is not None else 0
    if limit and (command.num_uses == 0 or limit < command.num_uses):
        return limit
    return command.num_uses


def _path(command: CreateToken, role: RoleSettings | None) -> str:
    if role is None:
        return command.path
    path = f"auth/token/create/{role.name}"
    return f"{path}/{role.path_suffix}" if role.path_suffix else path


def _policies(
    command: CreateToken, parent: TokenView, *, sudo: bool, role: RoleSettings | None
) -> list[str]:
    requested = command.policies or ()
    if role is not None and not requested and role.token_policies:
        chosen = role_policies.role_token_policies(no_default_policy=command.no_default_policy, role=role)
    elif role is not None and role_policies.restricts_policies(role):
        chosen = role_policies.role_policies(
            requested,
            no_default_policy=command.no_default_policy,
            role=role,
            parent_policies=parent.policies,
        )
    else:
        chosen = _policies_without_role_lists(command, requested, parent, sudo=sudo)
    if command.no_default_policy:
        chosen = [name for name in chosen if name != policies.DEFAULT]
    chosen = policies.sanitize(chosen)
    for name in chosen:
        if name in policies.NOT_ASSIGNABLE:
            raise InvalidRequest(f'cannot assign policy "{name}"')
    if policies.ROOT in chosen and not parent.is_root:
        raise InvalidRequest("root tokens may not be created without parent token being root")
    return chosen


def _policies_without_role_lists(
    command: CreateToken, requested: tuple[str, ...], parent: TokenView, *, sudo: bool
) -> list[str]:
    """No policies asked for (an empty list included): the parent's. Otherwise a subset of the
    parent's unless sudo; ``default`` is added for sudo, or when the parent holds it."""
    parent_policies = policies.sanitize(parent.policies)
    if not requested:
        return list(parent_policies)
    chosen = policies.sanitize(requested)
    if not sudo and not policies.is_subset(chosen, parent_policies):
        raise InvalidRequest("child policies must be subset of parent")
    adds_default = sudo or policies.DEFAULT in parent_policies
    if adds_default and not command.no_default_policy:
        chosen.append(policies.DEFAULT)
    return chosen


def _parent(
    command: CreateToken, parent: TokenView, *, sudo: bool, role: RoleSettings | None
) -> UUID | None:
    if role is not None:
        return None if role.orphan else parent.token_id
    if command.orphan_endpoint:
        return None
    if command.no_parent:
        if not sudo:
            raise InvalidRequest("root or sudo privileges required to create orphan token")
        return None
    return parent.token_id


def _bound_cidrs(
    command: CreateToken, parent: TokenView, role: RoleSettings | None, *, orphan: bool
) -> tuple[str, ...]:
    """The role's blocks where it has some; else those asked for (within the parent's, if it is
    bound); else, for a child made without a role, its parent's."""
    if role is not None and role.token_bound_cidrs:
        return role.token_bound_cidrs
    inherited = parent.bound_cidrs if role is None and not orphan else ()
    if not command.bound_cidrs:
        return inherited
    try:
        requested = parse_cidrs(command.bound_cidrs)
    except InvalidRequest as error:
        raise InvalidRequest(f"error parsing bound_cidrs: {error}") from None
    if inherited and not cidrs_within(requested, inherited):
        raise InvalidRequest("bound_cidrs must lie within the parent token's bound CIDRs")
    return requested


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


def _role_terms(
    role: RoleSettings | None, token_type: TokenType, explicit_max_ttl: int, period: int
) -> tuple[int, int, list[str]]:
    """Where both the request and the role set a period or explicit max TTL, the lesser wins;
    the role's ``token_max_ttl`` lowers the explicit max TTL further, without a warning."""
    warnings: list[str] = []
    if role is None or token_type == TokenType.BATCH:
        return explicit_max_ttl, period, warnings
    explicit_max_ttl = _lesser(explicit_max_ttl, role.token_explicit_max_ttl, "Explicit max TTL", warnings)
    period = _lesser(period, role.token_period, "Period", warnings)
    return _smallest_set(explicit_max_ttl, role.token_max_ttl), period, warnings


def _lesser(requested: int, from_role: int, what: str, warnings: list[str]) -> int:
    """The role's value where the request set none; the lesser, with Vault's warning, where both did."""
    if not from_role:
        return requested
    if not requested:
        return from_role
    lesser = min(requested, from_role)
    warnings.append(f"{what} specified both during creation call and in role; using the lesser value of "
                    f"{lesser} seconds")
    return lesser


def _smallest_set(*durations: int) -> int:
    """The smallest of the durations that are set (non-zero), or 0 when none is."""
    return min((duration for duration in durations if duration), default=0)


def _lease(
    token_policies: list[str],
    ttl: int,
    explicit_max_ttl: int,
    period: int,
    limits: TtlLimits,
    now: datetime,
) -> leases.Lease:
    if ttl == 0 and period == 0 and policies.ROOT in token_policies:
        if explicit_max_ttl == 0:
            return leases.Lease(ttl=0)
        ttl = explicit_max_ttl  # any other token starts from the default TTL, capped with Vault's warning
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
        token_type=TokenType.SERVICE,
    )


def dev_root_plan() -> TokenPlan:
    """The root token a dev server is given a value for (``-dev-root-token-id``): Vault makes it
    through ``auth/token/create`` as an orphan with the root policy, so it looks like a token
    created there (display name ``token``, that path, a lease that never expires), not like the
    initial root."""
    return replace(initial_root_plan(), display_name="token", path="auth/token/create")
