"""(namespace, policy name) -> policy text, for every policy that exists: the ACL of a request
is built from it with one query."""

from __future__ import annotations

from domain.policy import PolicyDeleted, PolicyRewritten, PolicyWritten
from projections.writes import IndexProjection, Write, delete, upsert

TABLE = "acl_policies"

_WRITTEN = upsert(TABLE, ("namespace", "name"), ("text",))
_DELETED = delete(TABLE, "namespace", "name")


class PolicyIndex(IndexProjection):
    tables = (TABLE,)
    create_statements = (
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        "namespace TEXT NOT NULL, name TEXT NOT NULL, text TEXT NOT NULL, "
        "PRIMARY KEY (namespace, name))",
    )

    handlers = {PolicyWritten: "written", PolicyRewritten: "written", PolicyDeleted: "deleted"}

    def written(self, event: PolicyWritten | PolicyRewritten) -> list[Write]:
        return [(_WRITTEN, (event.namespace, event.name, event.text))]

    def deleted(self, event: PolicyDeleted) -> list[Write]:
        return [(_DELETED, (event.namespace, event.name))]

