"""Vault's duration syntax: whole seconds, or Go-style unit sequences such as ``1h30m``."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_UNIT_SECONDS: dict[str, Decimal] = {
    "ns": Decimal("1e-9"),
    "us": Decimal("1e-6"),
    "µs": Decimal("1e-6"),
    "ms": Decimal("1e-3"),
    "s": Decimal(1),
    "m": Decimal(60),
    "h": Decimal(3600),
    "d": Decimal(86400),
    "y": Decimal(365 * 86400),
}
_TERM = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d|y)")


class DurationError(ValueError):
    """The text is not a duration Vault would accept."""


MAX_SECONDS = 100 * 365 * 86400  # a century: past it no expiry time can be computed or stored
_MAX_TEXT = 64


def parse_duration(value: object) -> int:
    """Whole seconds for an int, a numeric string, or a unit sequence; fractions are truncated.

    Negative values are returned as such so the caller can name the field in its error; anything
    longer than a century (either way) is refused.
    """
    return _within_bounds(_seconds(value), value)


def _seconds(value: object) -> int | Decimal:
    if isinstance(value, bool):
        raise DurationError(f"invalid duration {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return Decimal(value) if value == value else Decimal(0)
    if not isinstance(value, str):
        raise DurationError(f"invalid duration {value!r}")
    text = value.strip()
    if len(text) > _MAX_TEXT:
        raise DurationError(f"invalid duration: longer than {_MAX_TEXT} characters")
    if text == "":
        return 0
    try:
        number = Decimal(text)
    except InvalidOperation:
        return _parse_unit_sequence(text, value)
    if not number.is_finite():
        raise DurationError(f'time: invalid duration "{text}"')
    return number


def _within_bounds(seconds: int | Decimal, original: object) -> int:
    if abs(Decimal(seconds)) > MAX_SECONDS:
        raise DurationError(f"duration {str(original)[:_MAX_TEXT]!r} is too long: at most 100 years")
    return int(seconds)


def _parse_unit_sequence(text: str, original: str) -> Decimal:
    sign = 1
    if text[0] in "+-":
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    position, total = 0, Decimal(0)
    while position < len(text):
        match = _TERM.match(text, position)
        if match is None:
            raise DurationError(f'time: invalid duration "{original}"')
        total += Decimal(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if position == 0:
        raise DurationError(f'time: invalid duration "{original}"')
    return sign * total


def format_duration(seconds: int) -> str:
    """Go's Duration string with zero components trimmed, as Vault shows it in warnings:
    768h, 1h30m, 1m30s, 2h5s, 45s, 0s."""
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours}h")
    if minutes:
        parts.append(f"{minutes}m")
    if secs:
        parts.append(f"{secs}s")
    return sign + "".join(parts)
