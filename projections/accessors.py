"""Accessor -> token ID for live tokens, in accessor order (per namespace) for paged listing."""

from __future__ import annotations

from operator import attrgetter

from tokenledger.domain.token_events import TokenCreated, TokenExpired, TokenRevoked
from tokenledger.projections.writes import Projection, Write, delete, insert

TABLE = "accessor_index"

_CREATED = insert(TABLE, "accessor", "namespace", "token_id")
_copied = attrgetter("accessor", "namespace")
_ENDED = delete(TABLE, "token_id")


class AccessorProjection(Projection):
    tables = (TABLE,)
    create_statements = (
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        "accessor TEXT PRIMARY KEY, token_id TEXT NOT NULL, namespace TEXT NOT NULL) WITHOUT ROWID",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_token ON {TABLE} (token_id)",
    )
    query_indexes = (f"CREATE INDEX IF NOT EXISTS {TABLE}_namespace ON {TABLE} (namespace, accessor)",)

    handlers = {TokenCreated: "created", TokenRevoked: "ended", TokenExpired: "ended"}

    def created(self, event: TokenCreated) -> list[Write]:
        return [(_CREATED, (*_copied(event), event.originator_id.hex))]

    def ended(self, event: TokenRevoked | TokenExpired) -> list[Write]:
        return [(_ENDED, (event.originator_id.hex,))]
