"""How long a token lives: Vault's TTL rules at creation and at renewal."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tokenledger.domain.durations import format_duration
from tokenledger.domain.errors import InvalidRequest


@dataclass(frozen=True)
class TtlLimits:
    """The system default and maximum TTL (Vault's ``default_lease_ttl`` and ``max_lease_ttl``)."""

    default_ttl: int = 768 * 3600
    max_ttl: int = 768 * 3600


@dataclass
class Lease:
    ttl: int
    warnings: list[str] = field(default_factory=list)

    def expires_at(self, start: datetime) -> datetime | None:
        return start + timedelta(seconds=self.ttl) if self.ttl > 0 else None


def effective_max_ttl(limits: TtlLimits, explicit_max_ttl: int) -> int:
    if 0 < explicit_max_ttl < limits.max_ttl:
        return explicit_max_ttl
    return limits.max_ttl


def calculate(
    limits: TtlLimits,
    *,
    now: datetime,
    issued: datetime,
    requested_ttl: int,
    period: int,
    explicit_max_ttl: int,
) -> Lease:
    """The TTL to grant at ``now`` for a token issued at ``issued``.

    A periodic token gets its period (capped at the effective max) and may live forever unless it
    has an explicit max TTL; any other token gets the requested TTL (else the default), never
    reaching past issue time plus the effective max.
    """
    now_s, start_s = _whole_seconds(now), _whole_seconds(issued)
    max_ttl = effective_max_ttl(limits, explicit_max_ttl)
    warnings: list[str] = []
    if period > 0:
        ttl = period
        if ttl > max_ttl:
            warnings.append(_capped("period", period, max_ttl))
            ttl = max_ttl
        limit = start_s + explicit_max_ttl if explicit_max_ttl > 0 else None
    else:
        ttl = requested_ttl if requested_ttl > 0 else limits.default_ttl
        limit = start_s + max_ttl
    if limit is not None:
        remaining = limit - now_s
        if remaining <= 0:
            raise InvalidRequest("past the max TTL, cannot renew")
        if ttl > remaining:
            warnings.append(_capped("TTL", ttl, remaining))
            ttl = remaining
    return Lease(ttl=ttl, warnings=warnings)


def _capped(what: str, requested: int, maximum: int) -> str:
    return (
        f'{what} of "{format_duration(requested)}" exceeded the effective max_ttl of '
        f'"{format_duration(maximum)}"; {what} value is capped accordingly'
    )


def _whole_seconds(instant: datetime) -> int:
    return int(instant.timestamp())
