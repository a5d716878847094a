"""The service layer: one method per command or query, each a short transaction over the ledger."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError, RecordConflictError

from domain.actor import SYSTEM, Actor
from domain.caller import Caller
from domain.clock import Clock
from domain.commands import CreateToken
from domain.errors import ConcurrentUpdate, InvalidRequest, PermissionDenied
from domain.issuance import TokenPlan, check_custom_id, initial_root_plan, plan_child_token
from domain.leases import Lease, TtlLimits
from domain import policies
from domain.ledger import LEDGER_SETUP_ID, LedgerInitialised, LedgerSetup, TokenLedger
from domain.ports import TokenIndex
from domain.revocation import SubtreeRevoker
from domain.token import Token
from domain.token_secrets import TokenHasher, new_accessor, new_service_token
from domain.token_view import TokenView

POLICY_DENIED = "1 error occurred:\n\t* permission denied\n\n"
MAX_ATTEMPTS = 20
EXPIRY_BATCH = 500


@dataclass(frozen=True)
class IssuedToken:
    client_token: str
    view: TokenView
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Renewal:
    view: TokenView
    lease: Lease


class TokenService:
    def __init__(
        self,
        ledger: TokenLedger,
        index: TokenIndex,
        hasher: TokenHasher,
        clock: Clock,
        limits: TtlLimits,
    ) -> None:
        self._ledger = ledger
        self._index = index
        self._hasher = hasher
        self._clock = clock
        self._limits = limits
        self._revoker = SubtreeRevoker(ledger, index)

    # -- setting up a store --------------------------------------------------------------

    def initialise(self, root_token: str = "") -> str | None:
        """Issue the first root token, once per store; None if the store was initialised before."""
        if self._ledger.is_initialised():
            return None
        raw = root_token or new_service_token()
        now = self._clock.now()
        token = Token.issue(self._hasher.token_id(raw), new_accessor(), initial_root_plan(), now, SYSTEM)
        setup = LedgerSetup._create(
            LedgerInitialised, id=LEDGER_SETUP_ID, timestamp=now, root_accessor=token.accessor
        )
        try:
            self._ledger.save(token, setup)
        except IntegrityError:
            return None
        return raw

    # -- authentication ------------------------------------------------------------------

    def authenticate(self, raw_token: str | None, remote_addr: str) -> Caller:
        """The live token behind a request, with one of its uses spent if it has a limit."""
        if not raw_token:
            raise PermissionDenied()
        view = self._live_view(raw_token)
        if view is None:
            raise PermissionDenied()
        actor = Actor(view.accessor, remote_addr)
        if view.uses_left is not None:
            view = self._spend_use(view.token_id, actor)
        return Caller(view=view, raw_token=raw_token, actor=actor)

    def settle(self, caller: Caller) -> None:
        """After the request: a token whose last use it was is revoked, with its subtree."""
        if caller.view.uses_left == 0:
            self._revoker.revoke(
                caller.view.token_id, now=self._clock.now(), actor=caller.actor,
                reason="use limit reached",
            )

    def _spend_use(self, token_id: UUID, actor: Actor) -> TokenView:
        for _ in range(MAX_ATTEMPTS):
            token = self._load(token_id)
            if token is None:
                raise PermissionDenied()
            token.use(self._clock.now(), actor)
            try:
                self._ledger.save(token)
            except RecordConflictError:
                continue
            return token.view()
        raise ConcurrentUpdate("the token is in heavy concurrent use, try again")

    # -- log positions (read-your-writes across processes) ------------------------------

    def take_written_position(self) -> int | None:
        """Where in the log this thread's writes since the last call ended, if it wrote any."""
        return self._ledger.take_last_saved_position()

    def indexed_position(self) -> int:
        """How far into the log this process's read models have got."""
        return self._index.position()

    # -- queries -------------------------------------------------------------------------

    def lookup(self, raw_token: str) -> TokenView:
        if not raw_token:
            raise InvalidRequest("missing token ID")
        view = self._live_view(raw_token)
        if view is None:
            raise PermissionDenied("bad token")
        return view

    def lookup_accessor(self, accessor: str) -> TokenView:
        return self._view_for_accessor(accessor)

    def list_accessors(self, caller: Caller, after: str | None = None, limit: int | None = None) -> list[str]:
        self._require_sudo(caller)
        return self._index.accessors(after=after, limit=limit)

    # -- creation ------------------------------------------------------------------------

    def create(self, caller: Caller, command: CreateToken) -> IssuedToken:
        now = self._clock.now()
        plan = plan_child_token(command, caller.view, sudo=caller.is_sudo, limits=self._limits, now=now)
        if command.custom_id:
            check_custom_id(command.custom_id)
        raw = command.custom_id or new_service_token()
        token_id = self._hasher.token_id(raw)
        token = self._save_new(token_id, plan, now, caller.actor, custom=bool(command.custom_id))
        if plan.parent_id is not None and self._index.find(plan.parent_id) is None:
            self._revoker.revoke(token_id, now=self._clock.now(), actor=caller.actor,
                                 reason="parent revoked during creation")
            raise InvalidRequest("parent token not found")
        warnings = [*plan.warnings, *_missing_policy_warnings(plan.policies)]
        return IssuedToken(client_token=raw, view=token.view(), warnings=warnings)

    def _save_new(self, token_id: UUID, plan: TokenPlan, now: datetime, actor: Actor, *, custom: bool) -> Token:
        for _ in range(MAX_ATTEMPTS):
            token = Token.issue(token_id, new_accessor(), plan, now, actor)
            try:
                self._ledger.save(token)
            except IntegrityError:
                if self._exists(token_id):
                    if custom:
                        raise InvalidRequest("cannot create a token with a duplicate ID") from None
                    raise
                continue  # two accessors collided: draw another
            return token
        raise ConcurrentUpdate("could not allocate a unique accessor, try again")

    # -- renewal -------------------------------------------------------------------------

    def renew(self, caller: Caller, raw_token: str, increment: int) -> Renewal:
        if not raw_token:
            raise InvalidRequest("missing token ID")
        view = self._live_view(raw_token)
        if view is None:
            raise InvalidRequest("token not found")
        return self._renew(view.token_id, increment, caller.actor)

    def renew_self(self, caller: Caller, increment: int) -> Renewal:
        return self._renew(caller.view.token_id, increment, caller.actor)

    def renew_accessor(self, caller: Caller, accessor: str, increment: int) -> Renewal:
        view = self._view_for_accessor(accessor)
        return self._renew(view.token_id, increment, caller.actor)

    def _renew(self, token_id: UUID, increment: int, actor: Actor) -> Renewal:
        if increment < 0:
            raise InvalidRequest("increment must be positive")
        for _ in range(MAX_ATTEMPTS):
            token = self._load(token_id)
            if token is None or not token.is_live or token.view().has_expired(self._clock.now()):
                raise InvalidRequest("token not found")
            lease = token.renew(increment, self._clock.now(), actor, self._limits)
            try:
                self._ledger.save(token)
            except RecordConflictError:
                continue
            return Renewal(view=token.view(), lease=lease)
        raise ConcurrentUpdate("the token is in heavy concurrent use, try again")

    # -- revocation ----------------------------------------------------------------------

    def revoke(self, caller: Caller, raw_token: str) -> None:
        """Revoke a token and its subtree; an unknown token is silently ignored, as Vault does."""
        if not raw_token:
            raise InvalidRequest("missing token ID")
        self._revoke_tree(self._hasher.token_id(raw_token), caller.actor, "revoked")

    def revoke_self(self, caller: Caller) -> None:
        self._revoke_tree(caller.view.token_id, caller.actor, "revoked by itself")

    def revoke_accessor(self, caller: Caller, accessor: str) -> list[str]:
        """Returns Vault's warning when no token holds the accessor."""
        if not accessor:
            raise InvalidRequest("missing accessor")
        token_id = self._index.token_id_for_accessor(accessor)
        if token_id is None:
            return ["No token found with this accessor"]
        self._revoke_tree(token_id, caller.actor, "revoked by accessor")
        return []

    def revoke_orphan(self, caller: Caller, raw_token: str) -> None:
        """Revoke only this token; its children live on as orphans."""
        self._require_sudo(caller)
        if not raw_token:
            raise InvalidRequest("missing token ID")
        view = self._live_view(raw_token)
        if view is None:
            raise InvalidRequest("token to revoke not found")
        self._orphan_children_then_revoke(view.token_id, caller.actor)

    def expire_due(self, limit: int = EXPIRY_BATCH) -> int:
        """Record the expiry of tokens whose TTL has passed, revoking their subtrees."""
        now = self._clock.now()
        expired = self._index.expired(now, limit)
        for token_id in expired:
            self._revoker.revoke(
                token_id, now=now, actor=SYSTEM, reason="expired",
                descendant_reason="parent expired", root_action=lambda token: token.expire(now),
            )
        return len(expired)

    def _revoke_tree(self, token_id: UUID, actor: Actor, reason: str) -> None:
        self._revoker.revoke(token_id, now=self._clock.now(), actor=actor, reason=reason)

    def _orphan_children_then_revoke(self, token_id: UUID, actor: Actor) -> None:
        now = self._clock.now()
        orphan = lambda child: child.orphan(now, actor)  # noqa: E731
        self._revoker.apply(self._index.children_of([token_id]), orphan)
        self._revoker.apply([token_id], lambda token: token.revoke(now, actor, "revoked, children orphaned"))
        self._revoker.apply(self._index.children_of([token_id]), orphan)

    # -- helpers -------------------------------------------------------------------------

    def _live_view(self, raw_token: str) -> TokenView | None:
        view = self._index.find(self._hasher.token_id(raw_token))
        if view is None or view.has_expired(self._clock.now()):
            return None
        return view

    def _view_for_accessor(self, accessor: str) -> TokenView:
        if not accessor:
            raise InvalidRequest("missing accessor")
        token_id = self._index.token_id_for_accessor(accessor)
        view = self._index.find(token_id) if token_id else None
        if view is None or view.has_expired(self._clock.now()):
            raise InvalidRequest("invalid accessor")
        return view

    def _require_sudo(self, caller: Caller) -> None:
        if not caller.is_sudo:
            raise PermissionDenied(POLICY_DENIED)

    def _load(self, token_id: UUID) -> Token | None:
        token: Token | None = self._ledger.get_or_none(token_id)
        return token

    def _exists(self, token_id: UUID) -> bool:
        return bool(list(self._ledger.events.get(token_id, limit=1)))


def _missing_policy_warnings(names: list[str]) -> list[str]:
    """No policy store exists yet, so every policy but the built-in ones is missing."""
    return [f'Policy "{name}" does not exist' for name in names if name not in policies.BUILT_IN]
