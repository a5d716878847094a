"""Token activity over time, for charts: how many tokens were created, renewed, revoked, expired and
used per hour or per day, and how many were live, over any window, filtered by role and creator.

Read from hourly buckets written with the events (``tokenledger.projections.activity``), never by
scanning the log: a window costs its buckets, plus one sum of every bucket before it for the
live count at its start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from tokenledger.domain.clock import Clock, from_epoch_us, to_epoch_us
from tokenledger.domain.errors import InvalidRequest

KINDS = ("created", "renewed", "revoked", "expired", "used")
STEPS = {"hour": 1, "day": 24}
MAX_BUCKETS = 2000  # per chart: 83 days by hour, five years by day
US_PER_HOUR = 3_600_000_000


class ActivityQueries(Protocol):
    def hourly_counts(self, namespace: str, first_hour: int, end_hour: int, role: str | None,
                      creator: str | None) -> list[tuple[int, str, int]]:
        """(hour, kind, count) for every bucket with a count in [first_hour, end_hour)."""

    def live_before(self, namespace: str, hour: int, role: str | None, creator: str | None) -> int:
        """Tokens created before the hour, less those revoked or expired before it."""


@dataclass(frozen=True)
class ActivityFilter:
    namespace: str
    start: datetime
    end: datetime
    step: str = "hour"
    role: str | None = None
    creator: str | None = None


@dataclass(frozen=True)
class Bucket:
    start: datetime
    counts: dict[str, int]
    live: int  # at the bucket's end


@dataclass(frozen=True)
class Activity:
    filter: ActivityFilter
    live_at_start: int
    buckets: list[Bucket]

    def total(self, kind: str) -> int:
        return sum(bucket.counts[kind] for bucket in self.buckets)


def activity_filter(namespace: str, start: datetime | None, end: datetime | None, step: str | None,
                    role: str | None, creator: str | None, now: datetime) -> ActivityFilter:
    """A valid window: ``step`` ``hour`` (default) or ``day``; ``end`` defaults to now and
    ``start`` to one day (hourly) or thirty days (daily) before; both are widened to whole steps."""
    step = step or "hour"
    if step not in STEPS:
        raise InvalidRequest(f"step must be one of {', '.join(STEPS)}")  # the input is not echoed
    hours = STEPS[step]
    end = end or now
    start = start or end - timedelta(hours=hours * (24 if step == "hour" else 30))
    if start >= end:
        raise InvalidRequest("from must be before to")
    first, stop = _floor(start, hours), _ceil(end, hours)
    if (stop - first) // hours > MAX_BUCKETS:
        raise InvalidRequest(f"the window holds more than {MAX_BUCKETS} {step}s: "
                             "narrow it, or count by day")
    return ActivityFilter(namespace, _instant(first), _instant(stop), step, role or None, creator or None)


class ActivityService:
    def __init__(self, queries: ActivityQueries, clock: Clock) -> None:
        self._queries = queries
        self._clock = clock

    def now(self) -> datetime:
        return self._clock.now()

    def activity(self, wanted: ActivityFilter) -> Activity:
        hours = STEPS[wanted.step]
        first, stop = _hour(wanted.start), _hour(wanted.end)
        rows = self._queries.hourly_counts(wanted.namespace, first, stop, wanted.role, wanted.creator)
        live = self._queries.live_before(wanted.namespace, first, wanted.role, wanted.creator)
        counts = {start: dict.fromkeys(KINDS, 0) for start in range(first, stop, hours)}
        for hour, kind, n in rows:
            if kind in KINDS:
                counts[first + (hour - first) // hours * hours][kind] += n
        buckets, running = [], live
        for start, bucket in counts.items():
            running += bucket["created"] - bucket["revoked"] - bucket["expired"]
            buckets.append(Bucket(_instant(start), bucket, running))
        return Activity(wanted, live, buckets)


def _hour(instant: datetime) -> int:
    return to_epoch_us(instant) // US_PER_HOUR


def _floor(instant: datetime, hours: int) -> int:
    return _hour(instant) // hours * hours


def _ceil(instant: datetime, hours: int) -> int:
    us = to_epoch_us(instant)
    return -(-us // (US_PER_HOUR * hours)) * hours


def _instant(hour: int) -> datetime:
    return from_epoch_us(hour * US_PER_HOUR).astimezone(UTC)
