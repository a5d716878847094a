"""Store-neutral descriptions of the row changes a projection makes for one event."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class Insert:
    """A new row; a clash with an existing key fails the whole save (that is how uniqueness holds)."""

    table: str
    row: Mapping[str, Any]


@dataclass(frozen=True)
class Upsert:
    """A row keyed by ``key``: inserted, or its ``values`` replaced if the key exists."""

    table: str
    key: Mapping[str, Any]
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Update:
    table: str
    where: Mapping[str, Any]
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Delete:
    table: str
    where: Mapping[str, Any]


Write = Insert | Upsert | Update | Delete


class IndexProjection:
    """A read model: its tables, and the writes each kind of domain event implies for them.

    ``handlers`` maps an event class to the name of the method that turns such an event into
    writes; events a read model does not care about imply none.
    """

    tables: ClassVar[tuple[str, ...]] = ()
    create_statements: ClassVar[tuple[str, ...]] = ()
    handlers: ClassVar[dict[type, str]] = {}

    def writes_for(self, event: object) -> list[Write]:
        handler = self.handlers.get(type(event))
        return getattr(self, handler)(event) if handler else []  # type: ignore[no-any-return]
