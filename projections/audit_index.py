"""Read models for auditors: when each event of each aggregate happened (time travel), and a
registry of every token ever issued, revoked or not (history by accessor, creator and role)."""

from __future__ import annotations

import json
from typing import Any

from domain.clock import to_epoch_us
from domain.token_events import TokenCreated, TokenExpired, TokenRenewed, TokenRevoked
from projections.writes import IndexProjection, Insert, Update, Write

EVENT_TIMES = "event_times"
REGISTRY = "token_registry"


class EventTimes(IndexProjection):
    """(aggregate, timestamp, version) for every event: the version of anything as of an instant
    is one indexed lookup, then ``repository.get(id, version=v)``."""

    tables = (EVENT_TIMES,)
    create_statements = (
        f"CREATE TABLE IF NOT EXISTS {EVENT_TIMES} ("
        "aggregate_id TEXT NOT NULL, version INTEGER NOT NULL, timestamp_us BIGINT NOT NULL, "
        "PRIMARY KEY (aggregate_id, version))",
        f"CREATE INDEX IF NOT EXISTS {EVENT_TIMES}_time ON {EVENT_TIMES} (aggregate_id, timestamp_us)",
    )

    def writes_for(self, event: Any) -> list[Write]:
        return [Insert(EVENT_TIMES, {
            "aggregate_id": event.originator_id.hex, "version": event.originator_version,
            "timestamp_us": to_epoch_us(event.timestamp),
        })]


class TokenRegistry(IndexProjection):
    """Every service token ever created, with who created it, against which role, and how it
    ended. Unlike the lookup and accessor indexes it keeps ended tokens: it answers history."""

    tables = (REGISTRY,)
    create_statements = (
        f"CREATE TABLE IF NOT EXISTS {REGISTRY} ("
        "token_id TEXT PRIMARY KEY, accessor TEXT NOT NULL, namespace TEXT NOT NULL, "
        "parent_id TEXT, creator_accessor TEXT NOT NULL, role_name TEXT NOT NULL, "
        "display_name TEXT NOT NULL, policies TEXT NOT NULL, path TEXT NOT NULL, "
        "created_us BIGINT NOT NULL, expire_at_us BIGINT, status TEXT NOT NULL, ended_us BIGINT)",
        f"CREATE INDEX IF NOT EXISTS {REGISTRY}_accessor ON {REGISTRY} (namespace, accessor)",
        f"CREATE INDEX IF NOT EXISTS {REGISTRY}_creator ON {REGISTRY} (namespace, creator_accessor, accessor)",
        f"CREATE INDEX IF NOT EXISTS {REGISTRY}_role ON {REGISTRY} (namespace, role_name, created_us)",
    )

    handlers = {TokenCreated: "created", TokenRenewed: "renewed", TokenRevoked: "revoked",
                TokenExpired: "expired"}

    def created(self, event: TokenCreated) -> list[Write]:
        return [Insert(REGISTRY, {
            "token_id": event.originator_id.hex, "accessor": event.accessor,
            "namespace": event.namespace, "parent_id": event.parent_id.hex if event.parent_id else None,
            "creator_accessor": event.actor_accessor, "role_name": event.role_name,
            "display_name": event.display_name, "policies": json.dumps(event.policies),
            "path": event.path, "created_us": to_epoch_us(event.timestamp),
            "expire_at_us": to_epoch_us(event.expire_at) if event.expire_at else None,
            "status": "live", "ended_us": None,
        })]

    def renewed(self, event: TokenRenewed) -> list[Write]:
        expire_at_us = to_epoch_us(event.expire_at) if event.expire_at else None
        return [Update(REGISTRY, {"token_id": event.originator_id.hex}, {"expire_at_us": expire_at_us})]

    def revoked(self, event: TokenRevoked) -> list[Write]:
        return [_ended(event.originator_id.hex, "revoked", to_epoch_us(event.timestamp))]

    def expired(self, event: TokenExpired) -> list[Write]:
        return [_ended(event.originator_id.hex, "expired", to_epoch_us(event.timestamp))]


def _ended(token_id: str, status: str, when_us: int) -> Update:
    return Update(REGISTRY, {"token_id": token_id}, {"status": status, "ended_us": when_us})
