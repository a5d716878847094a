"""Hygiene reports: which live tokens should be cleaned up, and why; and how many live tokens each
role, creator and policy has. Each is paged with ``after`` and ``limit``, per namespace, and read
from a read model written with the events (``tokenledger.projections.hygiene``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from tokenledger.application.audit import DEFAULT_PAGE, MAX_PAGE, Page
from tokenledger.application.ports import TokenRecord
from tokenledger.domain.errors import InvalidRequest

UNUSED, ROOT_CHILDREN, LONG_LIVED, ORPHANS, ADDRESSES = "unused", "root-children", "long-lived", "orphans", "addresses"
TOKEN_REPORTS = (UNUSED, ROOT_CHILDREN, LONG_LIVED, ORPHANS, ADDRESSES)
COUNTS = "counts"
REPORTS = (*TOKEN_REPORTS, COUNTS)
COUNT_DIMENSIONS = ("role", "creator", "policy")
REPORT_TITLES = {
    UNUSED: "Tokens not used since an instant",
    ROOT_CHILDREN: "Tokens created directly under a root token",
    LONG_LIVED: "Tokens that can live for ever (no expiry, or periodic without a max) or have a long TTL",
    ORPHANS: "Orphans created by non-root tokens",
    ADDRESSES: "Tokens seen from more than N addresses",
    COUNTS: "Live tokens by role, creator or policy",
}


@dataclass(frozen=True)
class HygieneToken(TokenRecord):
    """A live token as the hygiene reports see it. ``active_at`` is its last recorded use, else
    its creation; ``addresses`` how many distinct addresses it was seen at (created or used)."""

    ttl: int
    period: int
    explicit_max_ttl: int
    active_at: datetime
    last_used_time: datetime | None
    last_used_remote_addr: str
    addresses: int = 0  # counted by the query, not kept in the row

    def lifetime_reasons(self, ttl_over: int | None = None) -> list[str]:
        """Why the token may live long, what ``long-lived`` lists it for: it never expires, or it
        is periodic without an explicit max TTL (renewed each period, it can live for ever), or
        its TTL is over ``ttl_over`` seconds."""
        reasons = [reason for reason, applies in (
            ("never expires", self.expire_at is None),
            ("periodic without an explicit max TTL", self.period > 0 and self.explicit_max_ttl == 0)) if applies]
        if ttl_over is not None and self.ttl > ttl_over:
            reasons.append(f"TTL over {ttl_over}s")
        return reasons


@dataclass(frozen=True)
class TokenFilter:
    """Which live tokens a report lists: ``since`` for ``unused``, ``ttl_over`` (seconds) for
    ``long-lived``, ``more_than`` (addresses) for ``addresses``."""

    report: str
    since: datetime | None = None
    ttl_over: int | None = None
    more_than: int = 1


@dataclass(frozen=True)
class GroupCount:
    key: str
    count: int


class HygieneQueries(Protocol):
    def tokens(self, namespace: str, chosen: TokenFilter, after: str | None, limit: int) -> list[HygieneToken]:
        """The namespace's live tokens the filter chooses, in accessor order, after ``after``."""

    def count_tokens(self, namespace: str, chosen: TokenFilter) -> int:
        """How many ``tokens`` lists in all."""

    def group_counts(self, namespace: str, by: str, after: str | None, limit: int) -> list[GroupCount]:
        """Live tokens counted by role, creator accessor or policy, in key order, after ``after``."""

    def count_groups(self, namespace: str, by: str) -> int:
        """How many keys ``group_counts`` lists in all."""


class HygieneService:
    def __init__(self, queries: HygieneQueries) -> None:
        self._queries = queries

    def tokens(self, namespace: str, chosen: TokenFilter, after: str | None = None,
               limit: int = DEFAULT_PAGE) -> Page:
        check_filter(chosen)
        size = page_size(limit)
        rows = self._queries.tokens(namespace, chosen, after, size)
        total = self._queries.count_tokens(namespace, chosen)
        return Page(rows, total, rows[-1].accessor if len(rows) == size else None)

    def counts(self, namespace: str, by: str, after: str | None = None, limit: int = DEFAULT_PAGE) -> Page:
        if by not in COUNT_DIMENSIONS:
            raise InvalidRequest(f"by must be one of {', '.join(COUNT_DIMENSIONS)}")
        size = page_size(limit)
        rows = self._queries.group_counts(namespace, by, after, size)
        total = self._queries.count_groups(namespace, by)
        return Page(rows, total, rows[-1].key if len(rows) == size else None)


def check_filter(chosen: TokenFilter) -> None:
    if chosen.report not in TOKEN_REPORTS:
        raise InvalidRequest(f"unknown report {chosen.report!r}: one of {', '.join(REPORTS)}")
    if chosen.report == UNUSED and chosen.since is None:
        raise InvalidRequest("since is required: tokens not used since that instant (RFC 3339)")
    if chosen.ttl_over is not None and chosen.ttl_over < 0:
        raise InvalidRequest("ttl_over may not be negative")
    if chosen.more_than < 0:
        raise InvalidRequest("more_than may not be negative")


def page_size(limit: int) -> int:
    if limit < 1:
        raise InvalidRequest("limit must be a positive number")
    return min(limit, MAX_PAGE)
