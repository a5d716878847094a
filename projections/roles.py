"""(namespace, role name) for every role that exists, in name order for listing."""

from __future__ import annotations

from tokenledger.domain.role import RoleCreated, RoleDeleted, RoleWritten
from tokenledger.projections.writes import Projection, Write, delete, upsert

TABLE = "token_roles"

_WRITTEN = upsert(TABLE, ("namespace", "name"))
_DELETED = delete(TABLE, "namespace", "name")


class RoleProjection(Projection):
    tables = (TABLE,)
    create_statements = (
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        "namespace TEXT NOT NULL, name TEXT NOT NULL, PRIMARY KEY (namespace, name))",
    )

    handlers = {RoleCreated: "written", RoleWritten: "written", RoleDeleted: "deleted"}

    def written(self, event: RoleWritten) -> list[Write]:
        return [(_WRITTEN, (event.namespace, event.name))]

    def deleted(self, event: RoleDeleted) -> list[Write]:
        return [(_DELETED, (event.namespace, event.name))]
