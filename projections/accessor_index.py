"""Accessor -> token ID for live tokens, in accessor order (per namespace) for paged listing."""

from __future__ import annotations

from domain.token_events import TokenCreated, TokenExpired, TokenRevoked
from projections.writes import Delete, IndexProjection, Insert, Write

TABLE = "accessor_index"


class AccessorIndex(IndexProjection):
    tables = (TABLE,)
    create_statements = (
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        "accessor TEXT PRIMARY KEY, token_id TEXT NOT NULL, namespace TEXT NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_token ON {TABLE} (token_id)",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_namespace ON {TABLE} (namespace, accessor)",
    )

    handlers = {TokenCreated: "created", TokenRevoked: "ended", TokenExpired: "ended"}

    def created(self, event: TokenCreated) -> list[Write]:
        row = {"accessor": event.accessor, "token_id": event.originator_id.hex,
               "namespace": event.namespace}
        return [Insert(TABLE, row)]

    def ended(self, event: TokenRevoked | TokenExpired) -> list[Write]:
        return [Delete(TABLE, {"token_id": event.originator_id.hex})]
