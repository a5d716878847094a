"""Accessor -> token ID for live tokens, in accessor order for paged listing."""

from __future__ import annotations

from functools import singledispatchmethod

from domain.token_events import TokenCreated, TokenExpired, TokenRevoked
from projections.writes import Delete, Insert, Write

TABLE = "accessor_index"


class AccessorIndex:
    tables = (TABLE,)
    create_statements = (
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        "accessor TEXT PRIMARY KEY, token_id TEXT NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_token ON {TABLE} (token_id)",
    )

    @singledispatchmethod
    def writes_for(self, event: object) -> list[Write]:
        return []

    @writes_for.register
    def _(self, event: TokenCreated) -> list[Write]:
        row = {"accessor": event.accessor, "token_id": event.originator_id.hex}
        return [Insert(TABLE, row)]

    @writes_for.register(TokenRevoked)
    @writes_for.register(TokenExpired)
    def _(self, event: TokenRevoked | TokenExpired) -> list[Write]:
        return [Delete(TABLE, {"token_id": event.originator_id.hex})]
