"""The one source of time for the domain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from tokenledger.domain.errors import InvalidRequest


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""


class SystemClock:
    """Reads the system clock; freezegun controls it in tests."""

    def now(self) -> datetime:
        return datetime.now(tz=UTC)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_epoch_us(instant: datetime) -> int:
    """Whole microseconds since the epoch: exact, sortable, and portable to any SQL store."""
    return (instant - _EPOCH) // _MICROSECOND


def from_epoch_us(value: int) -> datetime:
    return datetime.fromtimestamp(value // 1_000_000, tz=UTC).replace(
        microsecond=value % 1_000_000
    )


def from_epoch_us_or_none(value: int | None) -> datetime | None:
    return None if value is None else from_epoch_us(value)


def parse_instant(text: str, name: str = "time") -> datetime:
    """An RFC 3339 instant (``2026-11-23T10:00:05Z``, fractions and offsets allowed), in UTC."""
    try:
        instant = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise InvalidRequest(f"{name} must be an RFC 3339 time such as 2026-11-23T10:00:05Z") from None
    if instant.tzinfo is None:
        raise InvalidRequest(f"{name} must name its time zone (Z or an offset such as +01:00)")
    try:
        return instant.astimezone(UTC)
    except OverflowError:
        raise InvalidRequest(f"{name} is outside the years 1 to 9999 in UTC") from None
