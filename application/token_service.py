"""The service layer: one method per command or query, each a short transaction over the ledger."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from tokenledger.adapters.eventsourcing import create_aggregate
from tokenledger.application.ledger import TokenLedger
from tokenledger.application.policy_service import PolicyService
from tokenledger.application.ports import RoleLookup, TokenQueries
from tokenledger.application.retry import retry_on_conflict
from tokenledger.application.revocation import SubtreeRevoker
from tokenledger.application.token_resolver import TokenResolver
from tokenledger.application.usage import DEFAULT_USAGE_INTERVAL, UsageRecorder
from tokenledger.domain.actor import SYSTEM, Actor
from tokenledger.domain.batch_tokens import BatchTokenCodec, BatchTokenRecord
from tokenledger.domain.caller import Caller
from tokenledger.domain.cidrs import address_allowed
from tokenledger.domain.clock import Clock
from tokenledger.domain.commands import CreateToken
from tokenledger.domain.errors import InvalidRequest, PermissionDenied, multierror
from tokenledger.domain.issuance import (
    TokenPlan,
    check_custom_id,
    dev_root_plan,
    initial_root_plan,
    plan_child_token,
    renewal_terms,
)
from tokenledger.domain.leases import Lease, TtlLimits
from tokenledger.domain.namespaces import policy_path, token_value_in
from tokenledger.domain.setup import LEDGER_SETUP_ID, LedgerInitialised, LedgerSetup
from tokenledger.domain.token import Token
from tokenledger.domain.token_secrets import TokenHasher, new_accessor, new_service_token
from tokenledger.domain.token_view import TokenType, TokenView

POLICY_DENIED = multierror("permission denied")
MISSING_ACCESSOR = multierror("missing accessor")
INVALID_ACCESSOR = multierror("invalid accessor")
REVOKE_ORPHAN_NOT_SUDO = "root or sudo privileges required to revoke and orphan"
HEAVY_USE = "the token is in heavy concurrent use, try again"
EXPIRY_BATCH = 500


@dataclass(frozen=True)
class Access:
    """What a request asks to do, for the caller's policies to decide: the Vault path (without
    the namespace), the ACL operation, the namespace the request addresses, and whether the
    path is one of Vault's root paths."""

    path: str
    operation: str
    namespace: str = ""
    needs_sudo: bool = False  # one of Vault's root paths: the ACL must grant sudo too
    recorded_path: str | None = None  # the path as a use records it, where ``path`` holds a token

    @property
    def ledger_path(self) -> str:
        """The path a use of the caller's token writes into the ledger: never a raw token."""
        return self.path if self.recorded_path is None else self.recorded_path


@dataclass(frozen=True)
class IssuedToken:
    """A token just issued: its value, which is kept nowhere and so is known only here, its view,
    and the warnings its issuance gave."""

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
        index: TokenQueries,
        hasher: TokenHasher,
        clock: Clock,
        limits: TtlLimits,
        *,
        policies: PolicyService,
        roles: RoleLookup,
        batch: BatchTokenCodec,
        usage_interval: float = DEFAULT_USAGE_INTERVAL,
    ) -> None:
        self._ledger = ledger
        self._index = index
        self._hasher = hasher
        self._clock = clock
        self._limits = limits
        self._policies = policies
        self._roles = roles
        self._batch = batch
        self._tokens = TokenResolver(index, hasher, batch, clock)
        self._revoker = SubtreeRevoker(ledger, index)
        self._usage = UsageRecorder(ledger, clock, usage_interval)

    # -- setting up a store --------------------------------------------------------------

    def initialise(self, root_token: str = "", *, dev: bool = False) -> str | None:
        """Issue the first root token, once per store; None if the store was initialised before.
        ``dev``: the root token a dev server was given the value of, shaped as Vault's dev server
        shapes it (created at ``auth/token/create``), where otherwise it is the initial root."""
        if self._ledger.is_initialised():
            return None
        raw = root_token or new_service_token()
        now = self._clock.now()
        plan = dev_root_plan() if dev else initial_root_plan()
        token = Token.issue(self._hasher.token_id(raw), new_accessor(), plan, now, SYSTEM)
        setup = create_aggregate(
            LedgerSetup, LedgerInitialised, id=LEDGER_SETUP_ID, timestamp=now, root_accessor=token.accessor
        )
        try:
            self._ledger.save(token, setup)
        except IntegrityError:
            return None
        return raw

    # -- authentication ------------------------------------------------------------------

    def authenticate(self, raw_token: str | None, remote_addr: str, access: Access | None = None) -> Caller:
        """The live token behind a request, allowed by its policies to do what ``access`` asks,
        with one of its uses spent if it has a limit (a refused request spends none).

        Without ``access`` (an in-process caller that did its own authorisation) no policy is
        checked, and only a root token holds sudo.
        """
        return self.spend_use(self.admit(raw_token, remote_addr, access), access)

    def record_use(self, caller: Caller, access: Access) -> None:
        """After a request served without error: its use of a token without a use limit is
        recorded, if one is due (``tokenledger.application.usage``); never fails the request."""
        if caller.view.uses_left is None:
            self._usage.record(caller.view, caller.actor, access.ledger_path, access.operation)

    def admit(self, raw_token: str | None, remote_addr: str, access: Access | None = None) -> Caller:
        """``authenticate`` without spending a use: for a request that may still be refused
        before it is served (``spend_use`` then, once it will be)."""
        caller = self.identify(raw_token, remote_addr, None if access is None else access.namespace)
        return caller if access is None else self.authorise(caller, access)

    def identify(self, raw_token: str | None, remote_addr: str, namespace: str | None = None) -> Caller:
        """The live token behind a request, before its policies are asked (only a root token
        holds sudo yet); ``namespace`` is the one the request addresses, by default the token's."""
        if not raw_token:
            raise PermissionDenied()
        view = self._tokens.live(raw_token)
        if view is None or not address_allowed(view.bound_cidrs, remote_addr):
            raise PermissionDenied()
        return Caller(view=view, raw_token=raw_token, actor=Actor(view.accessor, remote_addr),
                      namespace=view.namespace if namespace is None else namespace, sudo=view.is_root)

    def authorise(self, caller: Caller, access: Access) -> Caller:
        """The caller, with whether it holds sudo on the path, if its policies allow what
        ``access`` asks; a path Vault calls a root path also needs sudo."""
        sudo = self._authorise(caller.view, access)
        if access.needs_sudo and not sudo:
            raise PermissionDenied(POLICY_DENIED)
        return replace(caller, sudo=sudo)

    def spend_refused_use(self, caller: Caller, access: Access | None = None) -> None:
        """A request the caller's policies refused spends a use all the same, as in Vault (its
        last use revokes the token); a token already gone changes nothing."""
        try:
            caller = self.spend_use(caller, access)
        except PermissionDenied:
            return
        self.settle(caller)

    def spend_use(self, caller: Caller, access: Access | None = None) -> Caller:
        """The caller with one use of its token spent (and recorded), if the token has a limit."""
        if caller.view.uses_left is None:
            return caller
        path, operation = (access.ledger_path, access.operation) if access is not None else ("", "")
        return replace(caller, view=self._spend_use(caller.view.token_id, caller.actor, path, operation))

    def _authorise(self, view: TokenView, access: Access) -> bool:
        """Whether the token holds sudo on the path; raises if its policies refuse the request."""
        path = policy_path(view.namespace, access.namespace, access.path)
        if path is None:
            raise PermissionDenied()
        decision = self._policies.decide(view.namespace, view.policies, path, access.operation)
        if not decision.allowed:
            raise PermissionDenied(POLICY_DENIED)
        return decision.sudo

    def settle(self, caller: Caller) -> None:
        """After the request: a token whose last use it was is revoked, with its subtree."""
        if caller.view.uses_left == 0:
            self._revoker.revoke(
                caller.view.token_id, now=self._clock.now(), actor=caller.actor,
                reason="use limit reached",
            )

    def _spend_use(self, token_id: UUID, actor: Actor, path: str, operation: str) -> TokenView:
        def attempt() -> TokenView:
            token = self._load(token_id)
            if token is None:
                raise PermissionDenied()
            token.use(self._clock.now(), actor, path, operation)
            self._ledger.save(token)
            return token.view()

        return retry_on_conflict(attempt, gave_up=HEAVY_USE)

    # -- log positions (read-your-writes across processes) ------------------------------

    def take_written_position(self) -> int | None:
        """Where in the log this thread's writes since the last call ended, if it wrote any."""
        return self._ledger.take_last_saved_position()

    def indexed_position(self) -> int:
        """How far into the log this process's read models have got."""
        return self._index.position()

    # -- queries -------------------------------------------------------------------------

    def lookup(self, raw_token: str, namespace: str = "") -> TokenView:
        if not raw_token:
            raise InvalidRequest("missing token ID")
        view = self._tokens.live(raw_token, namespace)
        if view is None:
            raise PermissionDenied("bad token")
        return view

    def lookup_accessor(self, accessor: str, namespace: str = "") -> TokenView:
        return self._view_for_accessor(accessor, namespace)

    def list_accessors(self, caller: Caller, after: str | None = None, limit: int | None = None) -> list[str]:
        self._require_sudo(caller)
        return self._index.accessors(after=after, limit=limit, namespace=caller.namespace)

    # -- creation ------------------------------------------------------------------------

    def create(self, caller: Caller, command: CreateToken, *, finite_only: bool = False) -> IssuedToken:
        """Issue a child of the caller's token (or an orphan) in the caller's namespace;
        ``finite_only`` refuses a token that would never expire."""
        now = self._clock.now()
        role = self._roles.settings(caller.namespace, command.role_name) if command.role_name else None
        plan = plan_child_token(command, caller.view, sudo=caller.is_sudo, limits=self._limits, now=now,
                                role=role)
        if finite_only and plan.ttl == 0:
            raise InvalidRequest("Infinite tokens are not allowed")
        if command.custom_id:
            check_custom_id(command.custom_id)
        warnings = [*plan.warnings, *self._missing_policy_warnings(caller.namespace, plan.policies)]
        if plan.token_type == TokenType.BATCH:
            return self._issue_batch(caller, plan, now, warnings)
        raw = token_value_in(caller.namespace, command.custom_id or new_service_token())
        token_id = self._hasher.token_id(raw)
        token = self._save_new(token_id, plan, now, caller, custom=bool(command.custom_id))
        if plan.parent_id is not None and self._index.find(plan.parent_id) is None:
            self._revoker.revoke(token_id, now=self._clock.now(), actor=caller.actor,
                                 reason="parent revoked during creation")
            raise InvalidRequest("parent token not found")
        return IssuedToken(client_token=raw, view=token.view(), warnings=warnings)

    def _issue_batch(self, caller: Caller, plan: TokenPlan, now: datetime, warnings: list[str]) -> IssuedToken:
        """Sealed, not stored; only the record of its issuance goes into the ledger."""
        raw = self._batch.seal(plan, caller.namespace, now)
        token_id = self._hasher.token_id(raw)
        self._ledger.save(BatchTokenRecord.issue(token_id, plan, caller.namespace, now, caller.actor))
        view = self._batch.open(raw, token_id)
        assert view is not None
        return IssuedToken(client_token=raw, view=view, warnings=warnings)

    def _missing_policy_warnings(self, namespace: str, names: list[str]) -> list[str]:
        return [f'Policy "{name}" does not exist' for name in self._policies.missing(namespace, names)]

    def _save_new(self, token_id: UUID, plan: TokenPlan, now: datetime, caller: Caller, *, custom: bool) -> Token:
        def attempt() -> Token:
            token = Token.issue(token_id, new_accessor(), plan, now, caller.actor, caller.namespace)
            try:
                self._ledger.save(token)
            except IntegrityError as error:
                if not self._exists(token_id):
                    raise  # two accessors collided: draw another
                if custom:
                    raise InvalidRequest("cannot create a token with a duplicate ID") from None
                raise RuntimeError("a new token's ID is taken") from error
            return token

        return retry_on_conflict(attempt, gave_up="could not allocate a unique accessor, try again")

    # -- renewal -------------------------------------------------------------------------

    def renew(self, caller: Caller, raw_token: str, increment: int) -> Renewal:
        if not raw_token:
            raise InvalidRequest("missing token ID")
        view = self._tokens.live(raw_token, caller.namespace)
        if view is None:
            raise InvalidRequest("token not found")
        return self._renew(view, increment, caller.actor)

    def renew_self(self, caller: Caller, increment: int) -> Renewal:
        return self._renew(caller.view, increment, caller.actor)

    def renew_accessor(self, caller: Caller, accessor: str, increment: int) -> Renewal:
        """Vault's accessor renewal keeps only the error of a refused renewal, not its text."""
        view = self._view_for_accessor(accessor, caller.namespace)
        try:
            return self._renew(view, increment, caller.actor)
        except InvalidRequest:
            raise InvalidRequest(multierror("invalid request")) from None

    def _renew(self, view: TokenView, increment: int, actor: Actor) -> Renewal:
        if view.token_type == TokenType.BATCH:
            raise InvalidRequest("batch tokens cannot be renewed")
        if increment < 0:
            raise InvalidRequest("increment must be positive")
        role = self._roles.settings(view.namespace, view.role_name) if view.role_name else None

        def attempt() -> Renewal:
            token = self._load(view.token_id)
            if token is None or not token.is_live or token.view().has_expired(self._clock.now()):
                raise InvalidRequest("token not found")
            period, explicit_max_ttl = renewal_terms(token.period, token.explicit_max_ttl, role,
                                                     role_name=view.role_name)
            lease = token.renew(increment, self._clock.now(), actor, self._limits,
                                period=period, explicit_max_ttl=explicit_max_ttl)
            self._ledger.save(token)
            return Renewal(view=token.view(), lease=lease)

        return retry_on_conflict(attempt, gave_up=HEAVY_USE)

    # -- revocation ----------------------------------------------------------------------

    def revoke(self, caller: Caller, raw_token: str) -> None:
        """Revoke a token and its subtree; an unknown token is silently ignored, as Vault does."""
        if not raw_token:
            raise InvalidRequest("missing token ID")
        view = self._tokens.live(raw_token, caller.namespace)
        if view is not None:
            self._revoke_tree(_revocable(view).token_id, caller.actor, "revoked")

    def revoke_self(self, caller: Caller) -> None:
        self._revoke_tree(_revocable(caller.view).token_id, caller.actor, "revoked by itself")

    def revoke_created_under(self, caller: Caller, prefix: str) -> int:
        """``sys/leases/revoke-prefix``: every token of the caller's namespace created at that
        path or below it (``auth/token/create/<role>[/<suffix>]``), each with its subtree."""
        self._require_sudo(caller)
        path = prefix.strip("/")
        token_ids = self._index.created_under(caller.namespace, path)
        for token_id in token_ids:
            self._revoke_tree(token_id, caller.actor, f"revoked by prefix {path}")
        return len(token_ids)

    def revoke_accessor(self, caller: Caller, accessor: str) -> list[str]:
        """Returns Vault's warning when no token holds the accessor."""
        if not accessor:
            raise InvalidRequest(MISSING_ACCESSOR)
        token_id = self._index.token_id_for_accessor(accessor)
        view = self._index.find(token_id) if token_id else None
        if view is None or view.namespace != caller.namespace:
            return ["No token found with this accessor"]
        self._revoke_tree(view.token_id, caller.actor, "revoked by accessor")
        return []

    def revoke_orphan(self, caller: Caller, raw_token: str) -> None:
        """Revoke only this token; its children live on as orphans. Vault asks for sudo after the
        token is given, with a 400 of its own."""
        if not raw_token:
            raise InvalidRequest("missing token ID")
        if not caller.is_sudo:
            raise InvalidRequest(REVOKE_ORPHAN_NOT_SUDO)
        view = self._tokens.live(raw_token, caller.namespace)
        if view is None:
            raise InvalidRequest("token to revoke not found")
        self._orphan_children_then_revoke(_revocable(view).token_id, caller.actor)

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

    def _view_for_accessor(self, accessor: str, namespace: str) -> TokenView:
        if not accessor:
            raise InvalidRequest(MISSING_ACCESSOR)
        token_id = self._index.token_id_for_accessor(accessor)
        view = self._index.find(token_id) if token_id else None
        if view is None or view.has_expired(self._clock.now()) or view.namespace != namespace:
            raise InvalidRequest(INVALID_ACCESSOR)
        return view

    def _require_sudo(self, caller: Caller) -> None:
        if not caller.is_sudo:
            raise PermissionDenied(POLICY_DENIED)

    def _load(self, token_id: UUID) -> Token | None:
        token: Token | None = self._ledger.get_or_none(token_id)
        return token

    def _exists(self, token_id: UUID) -> bool:
        return bool(list(self._ledger.events.get(token_id, limit=1)))


def _revocable(view: TokenView) -> TokenView:
    if view.token_type == TokenType.BATCH:
        raise InvalidRequest("batch tokens cannot be revoked")
    return view
