"""Parent token ID -> the IDs of its live children, walked (never recursed) to revoke a subtree."""

from __future__ import annotations

from tokenledger.domain.token_events import TokenCreated, TokenExpired, TokenOrphaned, TokenRevoked
from tokenledger.projections.writes import Projection, Write, delete, insert

TABLE = "child_index"

_CREATED = insert(TABLE, "parent_id", "child_id")
_DETACHED = delete(TABLE, "child_id")


class ChildProjection(Projection):
    tables = (TABLE,)
    create_statements = (
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        "parent_id TEXT NOT NULL, child_id TEXT NOT NULL, PRIMARY KEY (parent_id, child_id)) WITHOUT ROWID",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_child ON {TABLE} (child_id)",
    )

    handlers = {TokenCreated: "created", TokenRevoked: "detached", TokenExpired: "detached",
                TokenOrphaned: "detached"}

    def created(self, event: TokenCreated) -> list[Write]:
        if event.parent_id is None:
            return []
        return [(_CREATED, (event.parent_id.hex, event.originator_id.hex))]

    def detached(self, event: TokenRevoked | TokenExpired | TokenOrphaned) -> list[Write]:
        # Rows where this token is the parent stay: a child created while the parent was being
        # revoked must still be found by the revoker's second pass.
        return [(_DETACHED, (event.originator_id.hex,))]
