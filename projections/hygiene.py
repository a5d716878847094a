"""The read models of the hygiene reports (``tokenledger.application.hygiene``), written with the
events like every other: a row per live token (``token_hygiene``) with what the reports filter on;
the policies of each live token (counts by policy); and the accessors of every root token ever
issued, which tell whether a token's creator was one. The addresses a token was seen at are the
activity read model's (``tokenledger.projections.activity.ADDRESSES``). Every write touches one
table only."""

from __future__ import annotations

from tokenledger.application.hygiene import HygieneToken
from tokenledger.domain.token_events import (
    TokenCreated,
    TokenExpired,
    TokenOrphaned,
    TokenRenewed,
    TokenRevoked,
    TokenUsed,
)
from tokenledger.projections.rows import RowShape, Sql
from tokenledger.projections.writes import Projection, Write, delete, insert, upsert

HYGIENE = "token_hygiene"
LIVE_POLICIES = "token_live_policies"
ROOT_ACCESSORS = "root_accessors"

ROW = RowShape(HygieneToken, HYGIENE, key="token_id", omitted=("addresses",))
_created = ROW.inserter(TokenCreated, {
    "token_id": "originator_id",
    "creator_accessor": "actor_accessor",
    "created_at": "timestamp",
    "active_at": "timestamp",
    "last_used_time": Sql("NULL"),
    "last_used_remote_addr": Sql("''"),
})
_USED = ROW.update("last_used_time", "last_used_remote_addr", "active_at")
_RENEWED = ROW.update("ttl", "expire_at")
_ORPHANED = ROW.update("parent_id")
_ENDED = ROW.delete()
_POLICY = insert(LIVE_POLICIES, "token_id", "namespace", "policy")
_POLICIES_ENDED = delete(LIVE_POLICIES, "token_id")
_ROOT = upsert(ROOT_ACCESSORS, ("accessor",), ("namespace",))


class HygieneProjection(Projection):
    tables = (HYGIENE, LIVE_POLICIES, ROOT_ACCESSORS)
    create_statements = (
        ROW.create_table(),
        f"CREATE TABLE IF NOT EXISTS {LIVE_POLICIES} (token_id TEXT NOT NULL, namespace TEXT NOT NULL, "
        "policy TEXT NOT NULL, PRIMARY KEY (token_id, policy))",
        f"CREATE TABLE IF NOT EXISTS {ROOT_ACCESSORS} (accessor TEXT PRIMARY KEY, namespace TEXT NOT NULL)",
    )
    query_indexes = (
        f"CREATE INDEX IF NOT EXISTS {HYGIENE}_accessor ON {HYGIENE} (namespace, accessor)",
        f"CREATE INDEX IF NOT EXISTS {HYGIENE}_active ON {HYGIENE} (namespace, active_at_us)",
        f"CREATE INDEX IF NOT EXISTS {HYGIENE}_role ON {HYGIENE} (namespace, role_name)",
        f"CREATE INDEX IF NOT EXISTS {HYGIENE}_creator ON {HYGIENE} (namespace, creator_accessor)",
        f"CREATE INDEX IF NOT EXISTS {LIVE_POLICIES}_policy ON {LIVE_POLICIES} (namespace, policy)",
    )

    handlers = {
        TokenCreated: "created", TokenUsed: "used", TokenRenewed: "renewed",
        TokenRevoked: "ended", TokenExpired: "ended", TokenOrphaned: "orphaned",
    }

    def created(self, event: TokenCreated) -> list[Write]:
        token = event.originator_id.hex
        writes = [_created(event)]
        writes += [(_POLICY, (token, event.namespace, policy)) for policy in dict.fromkeys(event.policies)]
        if "root" in event.policies:
            writes.append((_ROOT, (event.accessor, event.namespace)))
        return writes

    def used(self, event: TokenUsed) -> list[Write]:
        return [_USED.write(event.originator_id, last_used_time=event.timestamp,
                            last_used_remote_addr=event.remote_addr, active_at=event.timestamp)]

    def renewed(self, event: TokenRenewed) -> list[Write]:
        return [_RENEWED.write(event.originator_id, ttl=event.ttl, expire_at=event.expire_at)]

    def orphaned(self, event: TokenOrphaned) -> list[Write]:
        return [_ORPHANED.write(event.originator_id, parent_id=None)]

    def ended(self, event: TokenRevoked | TokenExpired) -> list[Write]:
        token = event.originator_id
        return [_ENDED.write(token), (_POLICIES_ENDED, (token.hex,))]
