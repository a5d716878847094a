"""Store-neutral descriptions of the row changes a projection makes for one event."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any, Protocol


@dataclass(frozen=True)
class Insert:
    """A new row; a clash with an existing key fails the whole save (that is how uniqueness holds)."""

    table: str
    row: Mapping[str, Any]


@dataclass(frozen=True)
class Update:
    table: str
    where: Mapping[str, Any]
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Delete:
    table: str
    where: Mapping[str, Any]


Write = Insert | Update | Delete


class IndexProjection(Protocol):
    """A read model: its tables, and the writes each domain event implies for them."""

    tables: tuple[str, ...]
    create_statements: tuple[str, ...]
    writes_for: Callable[[object], list[Write]]
    """Row changes for one event; events it does not care about give an empty list."""
