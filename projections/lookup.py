"""Token ID (the keyed hash of the token value) -> the token's current state, for live tokens only.

A row is a ``TokenView``, one column per field, by name (``tokenledger.projections.rows``); a
created token's row takes each field from the ``TokenCreated`` field of the same name, but the few
derived below. Adding a field to the view and the event is all a new field needs here (and a new
``READ_MODEL_VERSION``, so that stores rebuild the table).
"""

from __future__ import annotations

from tokenledger.domain.token_events import (
    TokenCreated,
    TokenExpired,
    TokenOrphaned,
    TokenRenewed,
    TokenRevoked,
    TokenUsed,
)
from tokenledger.domain.token_view import TokenView
from tokenledger.projections.rows import RowShape, Sql
from tokenledger.projections.writes import Projection, Write

TABLE = "token_lookup"

# Every token here is live, so its status is not kept; one column keeps its older, shorter name.
ROW = RowShape(TokenView, TABLE, key="token_id", renamed={"last_renewal_time": "last_renewal_us"},
               omitted=("status",))

_created = ROW.inserter(TokenCreated, {
    "token_id": "originator_id",
    "issue_time": "timestamp",
    "creation_ttl": "ttl",
    "uses_left": Sql("NULLIF(?, 0)", "num_uses"),  # no limit: no count of uses left
    "last_renewal_time": Sql("NULL"),
    "last_used_time": Sql("NULL"),
    "last_used_remote_addr": Sql("''"),
})
_USED = ROW.update("uses_left", "last_used_time", "last_used_remote_addr")
_RENEWED = ROW.update("ttl", "expire_at", "last_renewal_time")
_ORPHANED = ROW.update("parent_id")
_ENDED = ROW.delete()


class LookupProjection(Projection):
    tables = (TABLE,)
    create_statements = (ROW.create_table(),)
    query_indexes = (
        f"CREATE INDEX IF NOT EXISTS {TABLE}_expiry ON {TABLE} (expire_at_us)",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_path ON {TABLE} (namespace, path)",
    )

    handlers = {
        TokenCreated: "created", TokenUsed: "used", TokenRenewed: "renewed",
        TokenRevoked: "ended", TokenExpired: "ended", TokenOrphaned: "orphaned",
    }

    def created(self, event: TokenCreated) -> list[Write]:
        return [_created(event)]

    def used(self, event: TokenUsed) -> list[Write]:
        return [_USED.write(event.originator_id, uses_left=event.uses_left, last_used_time=event.timestamp,
                            last_used_remote_addr=event.remote_addr)]

    def renewed(self, event: TokenRenewed) -> list[Write]:
        return [_RENEWED.write(event.originator_id, ttl=event.ttl, expire_at=event.expire_at,
                               last_renewal_time=event.timestamp)]

    def ended(self, event: TokenRevoked | TokenExpired) -> list[Write]:
        return [_ENDED.write(event.originator_id)]

    def orphaned(self, event: TokenOrphaned) -> list[Write]:
        return [_ORPHANED.write(event.originator_id, parent_id=None)]
