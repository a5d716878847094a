"""The read models every store keeps, in the order their writes are applied."""

from __future__ import annotations

from collections.abc import Iterable

from projections.accessor_index import AccessorIndex
from projections.audit_index import EventTimes, TokenRegistry
from projections.child_index import ChildIndex
from projections.lookup_index import LookupIndex
from projections.policy_index import PolicyIndex
from projections.role_index import RoleIndex
from projections.writes import IndexProjection, Write

PROJECTIONS: tuple[IndexProjection, ...] = (
    LookupIndex(), AccessorIndex(), ChildIndex(), PolicyIndex(), RoleIndex(), EventTimes(),
    TokenRegistry(),
)


def writes_for(events: Iterable[object]) -> list[Write]:
    return [write for event in events for projection in PROJECTIONS
            for write in projection.writes_for(event)]


def create_statements() -> list[str]:
    return [statement for projection in PROJECTIONS for statement in projection.create_statements]


def tables() -> list[str]:
    return [table for projection in PROJECTIONS for table in projection.tables]
