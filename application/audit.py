"""What auditors ask of the ledger: a token's history, everything as of a past instant, and who
created what, against which role, when. Every list is paged with ``after`` and ``limit``."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from tokenledger.application.ledger import TokenLedger, project_events
from tokenledger.application.ports import AuditQueries, RegisteredToken
from tokenledger.domain.clock import Clock
from tokenledger.domain.errors import InvalidRequest
from tokenledger.domain.policy import Policy, policy_id
from tokenledger.domain.policy_document import normalize_policy_name
from tokenledger.domain.role import Role
from tokenledger.domain.role_settings import RoleSettings, role_id
from tokenledger.domain.token import Token
from tokenledger.domain.token_view import TokenStatus, TokenView

DEFAULT_PAGE = 100
MAX_PAGE = 1000
_BOOKKEEPING = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic",
                          "actor_accessor", "remote_addr"})


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    type: str
    time: datetime
    actor_accessor: str
    remote_addr: str
    changes: dict[str, Any]


@dataclass(frozen=True)
class Page:
    """One page of a listing, the total it is part of, and where the next page starts."""

    items: list[Any]
    total: int
    next_after: str | None


class AuditService:
    def __init__(self, ledger: TokenLedger, index: AuditQueries, clock: Clock) -> None:
        self._ledger = ledger
        self._index = index
        self._clock = clock

    def history(self, namespace: str, accessor: str, after: int = 0, limit: int = DEFAULT_PAGE) -> Page:
        """Every event of the token that held ``accessor``, oldest first, never its value."""
        record = self._record(namespace, accessor)
        events = list(self._ledger.events.get(record.token_id, gt=after or None, limit=_page(limit)))
        entries = [_entry(event) for event in events]
        total = self._index.event_count(record.token_id)
        more = entries and entries[-1].version < total
        return Page(entries, total, str(entries[-1].version) if more else None)

    def last_use(self, namespace: str, accessor: str) -> tuple[datetime | None, str]:
        """When and from which address the token that held ``accessor`` was last recorded used
        (``TokenUsed``: at most one a usage interval), ended or not; (None, "") if never."""
        token: Token | None = self._ledger.get_or_none(self._record(namespace, accessor).token_id)
        return (None, "") if token is None else (token.last_used_time, token.last_used_remote_addr)

    def token_as_of(self, namespace: str, accessor: str, instant: datetime) -> TokenView:
        """The token as it was at the instant, its status then included: a live token whose last
        use was spent (and which was about to be revoked) shows as used up."""
        record = self._record(namespace, accessor)
        token: Token | None = self._at(record.token_id, instant)
        if token is None:
            raise InvalidRequest(f"invalid accessor: no token held it at {instant.isoformat()}")
        view = token.view()
        return replace(view, status=TokenStatus.USED_UP) if token.is_live and token.uses_left == 0 else view

    def role_as_of(self, namespace: str, name: str, instant: datetime) -> RoleSettings | None:
        role: Role | None = self._at(role_id(namespace, name), instant)
        return role.settings if role is not None else None

    def policy_as_of(self, namespace: str, name: str, instant: datetime) -> str | None:
        policy: Policy | None = self._at(policy_id(namespace, normalize_policy_name(name)), instant)
        return None if policy is None or policy.deleted else policy.text

    def created_by(self, namespace: str, accessor: str, *, descendants: bool = False,
                   after: str | None = None, limit: int = DEFAULT_PAGE) -> Page:
        """Tokens created by the token that held ``accessor``; with ``descendants``, also those
        they created, and so on (orphans included: creation, not parenthood, is followed)."""
        self._record(namespace, accessor)
        records = self._index.created_by(namespace, accessor, descendants, after, _page(limit))
        total = self._index.count_created_by(namespace, accessor, descendants)
        return _page_of(records, limit, total)

    def created_against_role(self, namespace: str, role: str, start: datetime | None, end: datetime | None,
                             after: str | None = None, limit: int = DEFAULT_PAGE) -> Page:
        records = self._index.created_against_role(namespace, role, start, end, after, _page(limit))
        total = self._index.count_created_against_role(namespace, role, start, end)
        return _page_of(records, limit, total)

    def live_tokens(self, namespace: str, after: str | None = None, limit: int = DEFAULT_PAGE) -> Page:
        """Live tokens with their summary fields, for listings that need no lookup per token."""
        records = self._index.live_tokens(namespace, after, _page(limit))
        return _page_of(records, limit, -1)

    def check_instant(self, instant: datetime) -> datetime:
        if instant > self._clock.now():
            raise InvalidRequest("as_of is in the future")
        return instant

    def _record(self, namespace: str, accessor: str) -> RegisteredToken:
        if not accessor:
            raise InvalidRequest("missing accessor")
        record = self._index.token_record(namespace, accessor)
        if record is None:
            raise InvalidRequest("invalid accessor")
        return record

    def _at(self, aggregate_id: UUID, instant: datetime) -> Any:
        version = self._index.version_at(aggregate_id, self.check_instant(instant))
        if version is None:
            return None
        return self._ledger.repository.get(aggregate_id, version=version, projector_func=project_events)


def _entry(event: Any) -> HistoryEntry:
    fields = vars(event)
    return HistoryEntry(
        version=event.originator_version, type=type(event).__name__, time=event.timestamp,
        actor_accessor=fields.get("actor_accessor", ""), remote_addr=fields.get("remote_addr", ""),
        changes={key: value for key, value in fields.items() if key not in _BOOKKEEPING},
    )


def _page(limit: int) -> int:
    if limit < 1:
        raise InvalidRequest("limit must be a positive number")
    return min(limit, MAX_PAGE)


def _page_of(records: list[RegisteredToken], limit: int, total: int) -> Page:
    full = len(records) == _page(limit)
    return Page(records, total, records[-1].accessor if full and records else None)
