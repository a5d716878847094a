"""The read models every store keeps, in the order their writes are applied."""

from __future__ import annotations

import re
from collections.abc import Iterable

from tokenledger.projections.accessors import AccessorProjection
from tokenledger.projections.activity import ActivityProjection
from tokenledger.projections.audit_registry import EventTimesProjection, TokenRegistryProjection
from tokenledger.projections.children import ChildProjection
from tokenledger.projections.hygiene import HygieneProjection
from tokenledger.projections.lookup import LookupProjection
from tokenledger.projections.policies import PolicyProjection
from tokenledger.projections.roles import RoleProjection
from tokenledger.projections.writes import Handler, Projection, Write

PROJECTIONS: tuple[Projection, ...] = (
    LookupProjection(), AccessorProjection(), ChildProjection(), PolicyProjection(), RoleProjection(),
    EventTimesProjection(), TokenRegistryProjection(), HygieneProjection(),
    ActivityProjection(),  # after the registry: its counts copy the registry's rows
)

_HANDLERS: dict[type, tuple[Handler, ...]] = {}
_INDEX_NAME = re.compile(r"CREATE INDEX IF NOT EXISTS (\w+) ON ")


def handlers_for(event_type: type) -> tuple[Handler, ...]:
    """Every read model's handler of that kind of event, looked up once per kind."""
    handlers = _HANDLERS.get(event_type)
    if handlers is None:
        found = (projection.handler(event_type) for projection in PROJECTIONS)
        handlers = _HANDLERS[event_type] = tuple(handler for handler in found if handler is not None)
    return handlers


def writes_for(events: Iterable[object]) -> list[Write]:
    return [write for event in events for handler in handlers_for(type(event)) for write in handler(event)]


def create_statements() -> list[str]:
    """The tables and every index, in SQLite's words (``Dialect.ddl`` adapts them)."""
    return [statement for projection in PROJECTIONS
            for statement in projection.create_statements + projection.query_indexes]


def query_index_names() -> list[str]:
    """The indexes only queries use: a full rebuild drops them and builds them again at the end."""
    return [_index_name(statement) for projection in PROJECTIONS for statement in projection.query_indexes]


def _index_name(statement: str) -> str:
    found = _INDEX_NAME.match(statement)
    if found is None:
        raise ValueError(f"not a CREATE INDEX IF NOT EXISTS statement: {statement}")
    return found.group(1)


def tables() -> list[str]:
    return [table for projection in PROJECTIONS for table in projection.tables]


_RANKS = {table: rank for rank, table in enumerate(tables())}


def table_rank(table: str) -> int:
    """Where the table's writes go among a batch's: in ``PROJECTIONS`` order."""
    return _RANKS[table]
