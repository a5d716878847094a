"""Read models for auditors: when each event of each aggregate happened (time travel), and a
registry of every token ever issued, revoked or not (history by accessor, creator and role)."""

from __future__ import annotations

from typing import Any

from tokenledger.application.ports import RegisteredToken
from tokenledger.domain.clock import to_epoch_us
from tokenledger.domain.token_events import TokenCreated, TokenExpired, TokenOrphaned, TokenRenewed, TokenRevoked
from tokenledger.domain.token_view import TokenStatus
from tokenledger.projections.rows import RowShape, Sql
from tokenledger.projections.writes import Handler, Projection, Write, insert

EVENT_TIMES = "event_times"
REGISTRY = "token_registry"

_RECORDED = insert(EVENT_TIMES, "aggregate_id", "version", "timestamp_us")

# A row is a RegisteredToken, by column name (``tokenledger.projections.rows``); its instants keep
# their older column names.
REGISTRY_ROW = RowShape(RegisteredToken, REGISTRY, key="token_id", renamed={
    "created_at": "created_us", "ended_at": "ended_us", "orphaned_at": "orphaned_us"})
_created = REGISTRY_ROW.inserter(TokenCreated, {
    "token_id": "originator_id",
    "creator_accessor": "actor_accessor",
    "created_at": "timestamp",
    "status": Sql(f"'{TokenStatus.LIVE}'"),
    "ended_at": Sql("NULL"),
    "orphaned_at": Sql("NULL"),
})
_RENEWED = REGISTRY_ROW.update("expire_at")
_ENDED = REGISTRY_ROW.update("status", "ended_at")
_ORPHANED = REGISTRY_ROW.update("orphaned_at")


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
    create_statements = (REGISTRY_ROW.create_table(),)
    query_indexes = (
        f"CREATE INDEX IF NOT EXISTS {REGISTRY}_accessor ON {REGISTRY} (namespace, accessor)",
        f"CREATE INDEX IF NOT EXISTS {REGISTRY}_creator ON {REGISTRY} (namespace, creator_accessor, accessor)",
        f"CREATE INDEX IF NOT EXISTS {REGISTRY}_role ON {REGISTRY} (namespace, role_name, created_us)",
    )

    handlers = {TokenCreated: "created", TokenRenewed: "renewed", TokenRevoked: "revoked",
                TokenExpired: "expired", TokenOrphaned: "orphaned"}

    def created(self, event: TokenCreated) -> list[Write]:
        return [_created(event)]

    def renewed(self, event: TokenRenewed) -> list[Write]:
        return [_RENEWED.write(event.originator_id, expire_at=event.expire_at)]

    def revoked(self, event: TokenRevoked) -> list[Write]:
        return [_ENDED.write(event.originator_id, status=TokenStatus.REVOKED, ended_at=event.timestamp)]

    def expired(self, event: TokenExpired) -> list[Write]:
        return [_ENDED.write(event.originator_id, status=TokenStatus.EXPIRED, ended_at=event.timestamp)]

    def orphaned(self, event: TokenOrphaned) -> list[Write]:
        """``parent_id`` stays the parent the token had until then: the tree as of an earlier
        instant still shows it there."""
        return [_ORPHANED.write(event.originator_id, orphaned_at=event.timestamp)]
