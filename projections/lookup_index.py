"""Token ID (the keyed hash of the token value) -> the token's current state, for live tokens only."""

from __future__ import annotations

import json

from domain.clock import to_epoch_us
from domain.token_events import (
    TokenCreated,
    TokenExpired,
    TokenOrphaned,
    TokenRenewed,
    TokenRevoked,
    TokenUsed,
)
from projections.writes import Delete, IndexProjection, Insert, Update, Write

TABLE = "token_lookup"


class LookupIndex(IndexProjection):
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
        f"CREATE INDEX IF NOT EXISTS {TABLE}_expiry ON {TABLE} (expire_at_us)",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_path ON {TABLE} (namespace, path)",
    )

    handlers = {
        TokenCreated: "created", TokenUsed: "used", TokenRenewed: "renewed",
        TokenRevoked: "ended", TokenExpired: "ended", TokenOrphaned: "orphaned",
    }

    def created(self, event: TokenCreated) -> list[Write]:
        row = {
            "token_id": event.originator_id.hex,
            "accessor": event.accessor,
            "parent_id": event.parent_id.hex if event.parent_id else None,
            "policies": json.dumps(event.policies),
            "meta": None if event.meta is None else json.dumps(event.meta, sort_keys=True),
            "display_name": event.display_name,
            "path": event.path,
            "num_uses": event.num_uses,
            "uses_left": event.num_uses or None,
            "renewable": int(event.renewable),
            "issue_time_us": to_epoch_us(event.timestamp),
            "creation_ttl": event.ttl,
            "ttl": event.ttl,
            "expire_at_us": to_epoch_us(event.expire_at) if event.expire_at else None,
            "explicit_max_ttl": event.explicit_max_ttl,
            "period": event.period,
            "token_type": event.token_type,
            "entity_alias": event.entity_alias,
            "last_renewal_us": None,
            "namespace": event.namespace,
            "bound_cidrs": json.dumps(event.bound_cidrs or []),
            "role_name": event.role_name,
        }
        return [Insert(TABLE, row)]

    def used(self, event: TokenUsed) -> list[Write]:
        return [_update(event.originator_id.hex, uses_left=event.uses_left)]

    def renewed(self, event: TokenRenewed) -> list[Write]:
        return [
            _update(
                event.originator_id.hex,
                ttl=event.ttl,
                expire_at_us=to_epoch_us(event.expire_at) if event.expire_at else None,
                last_renewal_us=to_epoch_us(event.timestamp),
            )
        ]

    def ended(self, event: TokenRevoked | TokenExpired) -> list[Write]:
        return [Delete(TABLE, {"token_id": event.originator_id.hex})]

    def orphaned(self, event: TokenOrphaned) -> list[Write]:
        return [_update(event.originator_id.hex, parent_id=None)]


def _update(token_id: str, **values: object) -> Update:
    return Update(TABLE, {"token_id": token_id}, values)
