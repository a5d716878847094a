"""The Token aggregate: decides what may happen to one token and records it as events."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from tokenledger.adapters.eventsourcing import aggregate_at
from tokenledger.domain import leases
from tokenledger.domain.actor import Actor, AuditedAggregate
from tokenledger.domain.errors import InvalidRequest, PermissionDenied
from tokenledger.domain.issuance import TokenPlan
from tokenledger.domain.leases import Lease, TtlLimits
from tokenledger.domain.token_events import (
    TokenCreated,
    TokenExpired,
    TokenOrphaned,
    TokenRenewed,
    TokenRevoked,
    TokenUsed,
)
from tokenledger.domain.token_view import TokenStatus, TokenType, TokenView

INITIAL_ROOT_PATH = "auth/token/root"
_ENDED_BY: dict[type, TokenStatus] = {TokenRevoked: TokenStatus.REVOKED, TokenExpired: TokenStatus.EXPIRED}


class RevocableToken(AuditedAggregate):
    """A token as a cascade of revocations needs it: its ID, its version and whether it is live,
    all known from the last event of its stream, so none of its state is replayed. ``Token``, the
    whole token, inherits ``is_live`` and ``revoke`` from it: both forms decide alike.

    Nothing follows a token's ``TokenRevoked`` or ``TokenExpired`` (every command of ``Token``
    refuses an ended token), so the token is live exactly when its last event is neither.
    """

    status: TokenStatus

    @classmethod
    def at(cls, token_id: UUID, version: int, last_event: type) -> RevocableToken:
        """The token whose stream ends with an event of class ``last_event`` at ``version``
        (its times are not read: revoking it needs none)."""
        token = aggregate_at(cls, token_id, version)
        token.status = _ENDED_BY.get(last_event, TokenStatus.LIVE)
        return token

    @property
    def is_live(self) -> bool:
        return self.status == TokenStatus.LIVE

    def revoke(self, now: datetime, actor: Actor, reason: str) -> None:
        if self.is_live:
            self._trigger_by(actor, TokenRevoked, timestamp=now, reason=reason)


class Token(RevocableToken):
    # Class defaults: a snapshot taken before these attributes existed restores without them.
    last_used_time: datetime | None = None
    last_used_remote_addr: str = ""

    def __init__(
        self,
        accessor: str,
        parent_id: UUID | None,
        policies: list[str],
        meta: dict[str, str] | None,
        display_name: str,
        path: str,
        num_uses: int,
        renewable: bool,
        ttl: int,
        expire_at: datetime | None,
        explicit_max_ttl: int,
        period: int,
        token_type: str,
        entity_alias: str,
        namespace: str = "",
        bound_cidrs: list[str] | None = None,
        role_name: str = "",
    ) -> None:
        self.accessor = accessor
        self.parent_id = parent_id
        self.policies = policies
        self.meta = meta
        self.display_name = display_name
        self.path = path
        self.num_uses = num_uses
        self.uses_left: int | None = num_uses or None
        self.renewable = renewable
        self.creation_ttl = ttl
        self.ttl = ttl
        self.expire_at = expire_at
        self.explicit_max_ttl = explicit_max_ttl
        self.period = period
        self.token_type = TokenType(token_type)
        self.entity_alias = entity_alias
        self.namespace = namespace
        self.bound_cidrs = list(bound_cidrs or ())
        self.role_name = role_name
        self.last_renewal_time: datetime | None = None
        self.status = TokenStatus.LIVE

    @classmethod
    def issue(
        cls, token_id: UUID, accessor: str, plan: TokenPlan, now: datetime, actor: Actor,
        namespace: str = "",
    ) -> Token:
        return cls._create_by(
            actor,
            TokenCreated,
            id=token_id,
            timestamp=now,
            accessor=accessor,
            parent_id=plan.parent_id,
            policies=plan.policies,
            meta=plan.meta,
            display_name=plan.display_name,
            path=plan.path,
            num_uses=plan.num_uses,
            renewable=plan.renewable,
            ttl=plan.ttl,
            expire_at=Lease(plan.ttl).expires_at(now),
            explicit_max_ttl=plan.recorded_explicit_max_ttl,
            period=plan.recorded_period,
            token_type=plan.token_type,
            entity_alias=plan.entity_alias,
            namespace=namespace,
            bound_cidrs=list(plan.bound_cidrs),
            role_name=plan.role_name,
        )

    def use(self, now: datetime, actor: Actor, path: str = "", operation: str = "") -> None:
        """Spend one use of a limited-use token (the last use leaves it pending revocation), or
        record a use of a token without a limit."""
        if not self.is_live or (self.expire_at is not None and now >= self.expire_at):
            raise PermissionDenied()
        if self.uses_left is not None and self.uses_left <= 0:
            raise PermissionDenied()
        uses_left = None if self.uses_left is None else self.uses_left - 1
        self._trigger_by(actor, TokenUsed, timestamp=now, uses_left=uses_left, path=path, operation=operation)

    def renew(self, increment: int, now: datetime, actor: Actor, limits: TtlLimits, *,
              period: int | None = None, explicit_max_ttl: int | None = None) -> Lease:
        """``period`` and ``explicit_max_ttl``, where given, replace the token's own: a role's
        current terms apply to its tokens at their next renewal."""
        if not self.is_live or self.uses_left == 0:
            raise InvalidRequest("token not found")
        if self.token_type == TokenType.BATCH:
            raise InvalidRequest("batch tokens cannot be renewed")
        if self.path == INITIAL_ROOT_PATH and self.expire_at is None:
            raise InvalidRequest("invalid lease ID")
        if not self.renewable or self.expire_at is None:
            raise InvalidRequest("lease is not renewable")
        if now >= self.expire_at:
            raise InvalidRequest("lease expired")
        lease = leases.calculate(
            limits,
            now=now,
            issued=self.created_on,
            requested_ttl=increment if increment > 0 else self.ttl,
            period=self.period if period is None else period,
            explicit_max_ttl=self.explicit_max_ttl if explicit_max_ttl is None else explicit_max_ttl,
        )
        self._trigger_by(actor, TokenRenewed, timestamp=now, increment=increment, ttl=lease.ttl,
                         expire_at=lease.expires_at(now))
        return lease

    def expire(self, now: datetime) -> None:
        if self.is_live:
            self.trigger_event(TokenExpired, timestamp=now)

    def orphan(self, now: datetime, actor: Actor) -> None:
        if self.is_live and self.parent_id is not None:
            self._trigger_by(actor, TokenOrphaned, timestamp=now, former_parent_id=self.parent_id)

    def view(self) -> TokenView:
        return TokenView(
            token_id=self.id,
            accessor=self.accessor,
            parent_id=self.parent_id,
            policies=tuple(self.policies),
            meta=self.meta,
            display_name=self.display_name,
            path=self.path,
            num_uses=self.num_uses,
            uses_left=self.uses_left,
            renewable=self.renewable,
            issue_time=self.created_on,
            creation_ttl=self.creation_ttl,
            ttl=self.ttl,
            expire_at=self.expire_at,
            explicit_max_ttl=self.explicit_max_ttl,
            period=self.period,
            token_type=TokenType(self.token_type),  # a snapshot restores it as a plain str
            entity_alias=self.entity_alias,
            last_renewal_time=self.last_renewal_time,
            namespace=self.namespace,
            bound_cidrs=tuple(self.bound_cidrs),
            role_name=self.role_name,
            status=TokenStatus(self.status),
            last_used_time=self.last_used_time,
            last_used_remote_addr=self.last_used_remote_addr,
        )
