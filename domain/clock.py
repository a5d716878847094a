"""The one source of time for the domain."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""


class SystemClock:
    """Reads the system clock; freezegun controls it in tests."""

    def now(self) -> datetime:
        return datetime.now(tz=timezone.utc)


def to_epoch_us(instant: datetime) -> int:
    """Whole microseconds since the epoch: exact, sortable, and portable to any SQL store."""
    delta = instant - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_epoch_us(value: int) -> datetime:
    return datetime.fromtimestamp(value // 1_000_000, tz=timezone.utc).replace(
        microsecond=value % 1_000_000
    )
