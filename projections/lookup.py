"""Token ID (the keyed hash of the token value) -> the token's current state, for live tokens only."""

from __future__ import annotations

import json
from operator import attrgetter

from tokenledger.domain.clock import to_epoch_us
from tokenledger.domain.token_events import (
    TokenCreated,
    TokenExpired,
    TokenOrphaned,
    TokenRenewed,
    TokenRevoked,
    TokenUsed,
)
from tokenledger.projections.writes import (
    Projection,
    Write,
    delete,
    epoch_us_or_none,
    insert,
    json_list,
    update,
)

TABLE = "token_lookup"

_COPIED = ("accessor", "display_name", "path", "num_uses", "ttl", "explicit_max_ttl", "period",
           "token_type", "entity_alias", "namespace", "role_name")  # a created event's fields, as they are
_copied = attrgetter(*_COPIED)
_CREATED = insert(TABLE, *_COPIED, "token_id", "parent_id", "policies", "meta", "renewable", "issue_time_us",
                  "creation_ttl", "expire_at_us", "bound_cidrs",
                  ("uses_left", "NULLIF(?, 0)"), ("last_renewal_us", "NULL"))
_USED = update(TABLE, ("uses_left",), ("token_id",))
_RENEWED = update(TABLE, ("ttl", "expire_at_us", "last_renewal_us"), ("token_id",))
_ORPHANED = update(TABLE, ("parent_id",), ("token_id",))
_ENDED = delete(TABLE, "token_id")


class LookupProjection(Projection):
    tables = (TABLE,)
    create_statements = (
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        "token_id TEXT PRIMARY KEY, accessor TEXT NOT NULL, parent_id TEXT, "
        "policies TEXT NOT NULL, meta TEXT, display_name TEXT NOT NULL, path TEXT NOT NULL, "
        "num_uses INTEGER NOT NULL, uses_left INTEGER, renewable INTEGER NOT NULL, "
        "issue_time_us BIGINT NOT NULL, creation_ttl INTEGER NOT NULL, ttl INTEGER NOT NULL, "
        "expire_at_us BIGINT, explicit_max_ttl INTEGER NOT NULL, period INTEGER NOT NULL, "
        "token_type TEXT NOT NULL, entity_alias TEXT NOT NULL, last_renewal_us BIGINT, "
        "namespace TEXT NOT NULL, bound_cidrs TEXT NOT NULL, role_name TEXT NOT NULL)",
    )
    query_indexes = (
        f"CREATE INDEX IF NOT EXISTS {TABLE}_expiry ON {TABLE} (expire_at_us)",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_path ON {TABLE} (namespace, path)",
    )

    handlers = {
        TokenCreated: "created", TokenUsed: "used", TokenRenewed: "renewed",
        TokenRevoked: "ended", TokenExpired: "ended", TokenOrphaned: "orphaned",
    }

    def created(self, event: TokenCreated) -> list[Write]:
        parent_id, meta = event.parent_id, event.meta
        return [(_CREATED, _copied(event) + (
            event.originator_id.hex,
            parent_id.hex if parent_id else None,
            json_list(event.policies),
            None if meta is None else json.dumps(meta, sort_keys=True),
            int(event.renewable),
            to_epoch_us(event.timestamp),
            event.ttl,
            epoch_us_or_none(event.expire_at),
            json_list(event.bound_cidrs),
            event.num_uses,
        ))]

    def used(self, event: TokenUsed) -> list[Write]:
        return [(_USED, (event.uses_left, event.originator_id.hex))]

    def renewed(self, event: TokenRenewed) -> list[Write]:
        values = (event.ttl, epoch_us_or_none(event.expire_at), to_epoch_us(event.timestamp))
        return [(_RENEWED, (*values, event.originator_id.hex))]

    def ended(self, event: TokenRevoked | TokenExpired) -> list[Write]:
        return [(_ENDED, (event.originator_id.hex,))]

    def orphaned(self, event: TokenOrphaned) -> list[Write]:
        return [(_ORPHANED, (None, event.originator_id.hex))]
