"""Cross-token search for auditors: tokens by role, creator (and what those tokens created, and so
on), display name, policy, remote address and creation window, paged as every audit listing is
(``after`` an accessor, ``limit``).

The remote address is one the ledger saw the token at (``tokenledger.projections.activity``): where
it was created from, or used from. Whoever records more uses adds them there; the search is the
same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from tokenledger.application.audit import DEFAULT_PAGE, MAX_PAGE, Page
from tokenledger.application.ports import RegisteredToken
from tokenledger.domain.errors import InvalidRequest
from tokenledger.domain.policy_document import normalize_policy_name

MAX_TEXT = 256


@dataclass(frozen=True)
class TokenSearch:
    """What to look for; ``None`` (or ``""``) matches anything."""

    namespace: str
    role: str | None = None
    creator: str | None = None
    descendants: bool = False
    display_name: str | None = None  # a part of it, in any case
    policy: str | None = None
    remote_addr: str | None = None
    start: datetime | None = None  # created at or after
    end: datetime | None = None  # created before

    def is_empty(self) -> bool:
        return not any((self.role, self.creator, self.display_name, self.policy, self.remote_addr,
                        self.start, self.end))


class TokenSearchQueries(Protocol):
    def search(self, wanted: TokenSearch, after: str | None, limit: int) -> list[RegisteredToken]:
        """The matching tokens after the accessor ``after``, by accessor."""

    def count(self, wanted: TokenSearch) -> int:
        """How many tokens match."""


def token_search(namespace: str, *, role: str | None = None, creator: str | None = None,
                 descendants: bool = False, display_name: str | None = None, policy: str | None = None,
                 remote_addr: str | None = None, start: datetime | None = None,
                 end: datetime | None = None) -> TokenSearch:
    """A search with its texts trimmed and checked: empty ones match anything, a policy is matched
    by its stored name, ``descendants`` needs a creator, and a window must not be reversed."""
    texts = {name: _text(name, value) for name, value in (
        ("role", role), ("creator", creator), ("display_name", display_name), ("policy", policy),
        ("remote_addr", remote_addr))}
    if descendants and not texts["creator"]:
        raise InvalidRequest("descendants needs a creator accessor")
    if start is not None and end is not None and start >= end:
        raise InvalidRequest("from must be before to")
    if texts["policy"]:
        texts["policy"] = normalize_policy_name(texts["policy"])
    return TokenSearch(namespace, descendants=descendants, start=start, end=end, **texts)


class TokenSearchService:
    def __init__(self, queries: TokenSearchQueries) -> None:
        self._queries = queries

    def search(self, wanted: TokenSearch, after: str | None = None, limit: int = DEFAULT_PAGE) -> Page:
        if limit < 1:
            raise InvalidRequest("limit must be a positive number")
        limit = min(limit, MAX_PAGE)
        records = self._queries.search(wanted, after or None, limit)
        full = len(records) == limit
        return Page(records, self._queries.count(wanted), records[-1].accessor if full and records else None)


def _text(name: str, value: str | None) -> str | None:
    value = (value or "").strip()
    if len(value) > MAX_TEXT:
        raise InvalidRequest(f"{name} is longer than {MAX_TEXT} characters")
    if "\x00" in value:
        raise InvalidRequest(f"{name} holds a NUL character")
    return value or None
