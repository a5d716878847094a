"""A token's family in the audit registry: its chain of parents and its descendants, ended or
not, optionally as of an instant (for the audit page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from tokenledger.application.ports import RegisteredToken
from tokenledger.domain.clock import to_epoch_us
from tokenledger.domain.token_view import TokenStatus
from tokenledger.projections.audit_queries import SqlAuditQueries
from tokenledger.projections.audit_registry import REGISTRY_ROW
from tokenledger.projections.read_model_store import ReadModelStore

_NO_INSTANT_US = 2**62  # later than any recorded time

# A token's parent as of the instant (the second parameter): none once it was made an orphan.
_PARENT = "CASE WHEN r.orphaned_us <= ? THEN NULL ELSE r.parent_id END"

# The chain of parents, nearest first: one primary-key lookup a level.
_ANCESTORS = (
    "WITH RECURSIVE Chain(token_id, parent_id, depth) AS ("
    f" SELECT r.token_id, {_PARENT}, 0 FROM token_registry r WHERE r.token_id = ?"
    f" UNION ALL SELECT r.token_id, {_PARENT}, c.depth + 1 FROM token_registry r"
    " JOIN Chain c ON r.token_id = c.parent_id WHERE c.depth < ?) "
    "SELECT r.*, c.depth AS depth FROM Chain c JOIN token_registry r ON r.token_id = c.token_id"
    " WHERE c.depth > 0 ORDER BY c.depth"
)

# Descendants, breadth first. A child's creator is its parent's token (a token is created as a
# child of the token that asks, unless it is an orphan), so each level is found through the
# registry's (namespace, creator_accessor) index, then kept only if its parent is that token
# and it was created, and not yet made an orphan, by the instant.
_DESCENDANTS = (
    "WITH RECURSIVE Tree(token_id, accessor, depth) AS ("
    " SELECT token_id, accessor, 0 FROM token_registry WHERE token_id = ?"
    " UNION ALL SELECT r.token_id, r.accessor, t.depth + 1 FROM token_registry r"
    " JOIN Tree t ON r.creator_accessor = t.accessor AND r.parent_id = t.token_id"
    " WHERE r.namespace = ? AND r.created_us <= ? AND (r.orphaned_us IS NULL OR r.orphaned_us > ?)"
    " AND t.depth < ?) "
    "SELECT r.*, t.depth AS depth FROM Tree t JOIN token_registry r ON r.token_id = t.token_id"
    " WHERE t.depth > 0 ORDER BY t.depth, r.created_us, r.accessor LIMIT ?"
)


@dataclass(frozen=True)
class Family:
    """``ancestors`` nearest first (all in the token's namespace); ``more_ancestors`` when the
    chain goes on above the last one shown (beyond the limit, or into another namespace);
    ``descendants`` breadth first, each with its parent among the token and the ones before it;
    ``more_descendants`` when some were left out (beyond the limit or the depth)."""

    token: RegisteredToken
    ancestors: list[RegisteredToken]
    more_ancestors: bool
    descendants: list[RegisteredToken]
    more_descendants: bool


class AuditTree:
    def __init__(self, store: ReadModelStore, *, max_ancestors: int = 50, max_descendants: int = 500,
                 max_depth: int = 30) -> None:
        self._store = store
        self._queries = SqlAuditQueries(store)
        self._max_ancestors = max_ancestors
        self._max_descendants = max_descendants
        self._max_depth = max_depth

    def record(self, namespace: str, accessor: str) -> RegisteredToken | None:
        """The token that held the accessor in the namespace, live or ended."""
        return self._queries.token_record(namespace, accessor)

    def family(self, record: RegisteredToken, instant: datetime | None = None) -> Family:
        """The token's parents and descendants; with ``instant``, as they were then: only the
        descendants created by then, and no parent above a token made an orphan by then (parents
        were all created before their children)."""
        until = _NO_INSTANT_US if instant is None else to_epoch_us(instant)
        ancestors, more_ancestors = self._ancestors(record, until)
        descendants, more_descendants = self._descendants(record, until)
        return Family(record, ancestors, more_ancestors, descendants, more_descendants)

    def _ancestors(self, record: RegisteredToken, until: int) -> tuple[list[RegisteredToken], bool]:
        rows = self._store.query(_ANCESTORS, [until, record.token_id.hex, until, self._max_ancestors + 1])
        chain: list[RegisteredToken] = []
        for row in rows:
            parent = REGISTRY_ROW.read(row)
            if parent.namespace != record.namespace or len(chain) == self._max_ancestors:
                return chain, True
            chain.append(parent)
        last = chain[-1] if chain else record
        return chain, _parent_at(last, until) is not None  # a parent the registry does not know

    def _descendants(self, record: RegisteredToken, until: int) -> tuple[list[RegisteredToken], bool]:
        rows = self._store.query(_DESCENDANTS, [record.token_id.hex, record.namespace, until, until,
                                                self._max_depth + 1, self._max_descendants + 1])
        found = [REGISTRY_ROW.read(row) for row in rows if int(row["depth"]) <= self._max_depth]
        more = len(rows) > len(found) or len(found) > self._max_descendants
        return found[: self._max_descendants], more


def _parent_at(record: RegisteredToken, until: int) -> UUID | None:
    orphaned = record.orphaned_at is not None and to_epoch_us(record.orphaned_at) <= until
    return None if orphaned else record.parent_id


def status_at(record: RegisteredToken, instant: datetime | None) -> TokenStatus:
    """The token's status as of the instant (now if None), from when the registry says it ended."""
    if instant is None:
        return record.status
    if record.ended_at is not None and record.ended_at <= instant:
        return record.status
    return TokenStatus.LIVE
