"""(namespace, policy name) -> policy text, for every policy that exists, and each namespace's
change marker: the (aggregate, version) of the last policy event there, which the statement that
finds a token reads too, so a process may keep the texts in memory (``policy_cache``)."""

from __future__ import annotations

from tokenledger.domain.policy import PolicyDeleted, PolicyRewritten, PolicyWritten
from tokenledger.projections.writes import Projection, Write, delete, upsert

TABLE = "acl_policies"
CHANGES = "acl_policy_changes"

_WRITTEN = upsert(TABLE, ("namespace", "name"), ("text",))
_DELETED = delete(TABLE, "namespace", "name")
_CHANGED = upsert(CHANGES, ("namespace",), ("last_change",))


class PolicyProjection(Projection):
    tables = (TABLE, CHANGES)
    create_statements = (
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        "namespace TEXT NOT NULL, name TEXT NOT NULL, text TEXT NOT NULL, "
        "PRIMARY KEY (namespace, name))",
        f"CREATE TABLE IF NOT EXISTS {CHANGES} (namespace TEXT PRIMARY KEY, last_change TEXT NOT NULL)",
    )

    handlers = {PolicyWritten: "written", PolicyRewritten: "written", PolicyDeleted: "deleted"}

    def written(self, event: PolicyWritten | PolicyRewritten) -> list[Write]:
        return [(_WRITTEN, (event.namespace, event.name, event.text)), _changed(event)]

    def deleted(self, event: PolicyDeleted) -> list[Write]:
        return [(_DELETED, (event.namespace, event.name)), _changed(event)]


def _changed(event: PolicyWritten | PolicyRewritten | PolicyDeleted) -> Write:
    """No two events share an (aggregate, version): every change gives a marker never seen before."""
    return (_CHANGED, (event.namespace, f"{event.originator_id.hex}:{event.originator_version}"))
