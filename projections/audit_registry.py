"""Read models for auditors: when each event of each aggregate happened (time travel), and a
registry of every token ever issued, revoked or not (history by accessor, creator and role)."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from tokenledger.domain.clock import to_epoch_us
from tokenledger.domain.token_events import TokenCreated, TokenExpired, TokenOrphaned, TokenRenewed, TokenRevoked
from tokenledger.domain.token_view import TokenStatus
from tokenledger.projections.writes import (
    Handler,
    Projection,
    Write,
    epoch_us_or_none,
    insert,
    json_list,
    update,
)

EVENT_TIMES = "event_times"
REGISTRY = "token_registry"

_RECORDED = insert(EVENT_TIMES, "aggregate_id", "version", "timestamp_us")

_COPIED = ("accessor", "namespace", "role_name", "display_name", "path")  # a created event's fields
_copied = attrgetter(*_COPIED)
_CREATED = insert(REGISTRY, *_COPIED, "token_id", "parent_id", "creator_accessor", "policies",
                  "created_us", "expire_at_us", ("status", f"'{TokenStatus.LIVE}'"), ("ended_us", "NULL"),
                  ("orphaned_us", "NULL"))
_RENEWED = update(REGISTRY, ("expire_at_us",), ("token_id",))
_ENDED = update(REGISTRY, ("status", "ended_us"), ("token_id",))
_ORPHANED = update(REGISTRY, ("orphaned_us",), ("token_id",))


class EventTimesProjection(Projection):
    """(aggregate, timestamp, version) for every event: the version of anything as of an instant
    is one indexed lookup, then ``repository.get(id, version=v)``."""

    tables = (EVENT_TIMES,)
    create_statements = (
        f"CREATE TABLE IF NOT EXISTS {EVENT_TIMES} ("
        "aggregate_id TEXT NOT NULL, version INTEGER NOT NULL, timestamp_us BIGINT NOT NULL, "
        "PRIMARY KEY (aggregate_id, version)) WITHOUT ROWID",
    )
    query_indexes = (
        f"CREATE INDEX IF NOT EXISTS {EVENT_TIMES}_time ON {EVENT_TIMES} (aggregate_id, timestamp_us)",
    )

    def handler(self, event_type: type) -> Handler:
        return self.recorded

    def recorded(self, event: Any) -> list[Write]:
        return [(_RECORDED, (event.originator_id.hex, event.originator_version, to_epoch_us(event.timestamp)))]


class TokenRegistryProjection(Projection):
    """Every service token ever created, with who created it, against which role, and how it
    ended. Unlike the lookup and accessor indexes it keeps ended tokens: it answers history."""

    tables = (REGISTRY,)
    create_statements = (
        f"CREATE TABLE IF NOT EXISTS {REGISTRY} ("
        "token_id TEXT PRIMARY KEY, accessor TEXT NOT NULL, namespace TEXT NOT NULL, "
        "parent_id TEXT, creator_accessor TEXT NOT NULL, role_name TEXT NOT NULL, "
        "display_name TEXT NOT NULL, policies TEXT NOT NULL, path TEXT NOT NULL, "
        "created_us BIGINT NOT NULL, expire_at_us BIGINT, status TEXT NOT NULL, ended_us BIGINT, "
        "orphaned_us BIGINT)",
    )
    query_indexes = (
        f"CREATE INDEX IF NOT EXISTS {REGISTRY}_accessor ON {REGISTRY} (namespace, accessor)",
        f"CREATE INDEX IF NOT EXISTS {REGISTRY}_creator ON {REGISTRY} (namespace, creator_accessor, accessor)",
        f"CREATE INDEX IF NOT EXISTS {REGISTRY}_role ON {REGISTRY} (namespace, role_name, created_us)",
    )

    handlers = {TokenCreated: "created", TokenRenewed: "renewed", TokenRevoked: "revoked",
                TokenExpired: "expired", TokenOrphaned: "orphaned"}

    def created(self, event: TokenCreated) -> list[Write]:
        parent_id = event.parent_id
        return [(_CREATED, _copied(event) + (
            event.originator_id.hex,
            parent_id.hex if parent_id else None,
            event.actor_accessor,
            json_list(event.policies),
            to_epoch_us(event.timestamp),
            epoch_us_or_none(event.expire_at),
        ))]

    def renewed(self, event: TokenRenewed) -> list[Write]:
        return [(_RENEWED, (epoch_us_or_none(event.expire_at), event.originator_id.hex))]

    def revoked(self, event: TokenRevoked) -> list[Write]:
        return [(_ENDED, (TokenStatus.REVOKED, to_epoch_us(event.timestamp), event.originator_id.hex))]

    def expired(self, event: TokenExpired) -> list[Write]:
        return [(_ENDED, (TokenStatus.EXPIRED, to_epoch_us(event.timestamp), event.originator_id.hex))]

    def orphaned(self, event: TokenOrphaned) -> list[Write]:
        """``parent_id`` stays the parent the token had until then: the tree as of an earlier
        instant still shows it there."""
        return [(_ORPHANED, (to_epoch_us(event.timestamp), event.originator_id.hex))]
