"""What the service layer needs from the read models; ``projections`` provides it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.token_view import TokenView


class TokenIndex(Protocol):
    def find(self, token_id: UUID) -> TokenView | None:
        """The live token with this ID, or None."""

    def token_id_for_accessor(self, accessor: str) -> UUID | None:
        """The live token holding this accessor, or None."""

    def children_of(self, parent_ids: Sequence[UUID]) -> list[UUID]:
        """IDs of the live tokens whose parent is one of ``parent_ids``."""

    def accessors(self, after: str | None = None, limit: int | None = None) -> list[str]:
        """Live accessors in ascending order, starting after ``after``."""

    def expired(self, now: datetime, limit: int) -> list[UUID]:
        """IDs of live tokens whose expiry time has passed, soonest first."""

    def position(self) -> int:
        """The log position of the last event the read models reflect."""
