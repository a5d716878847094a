"""JSON as Go's encoder writes it (compact, UTF-8), by orjson: a tenth of the time of ``json`` on a
lookup's body, which is written on every request along with its log line."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


def compact_json(value: Any, default: Callable[[Any], Any] | None = None) -> bytes:
    try:
        return orjson.dumps(value, default=default, option=_OPTIONS)
    except orjson.JSONEncodeError:
        # What orjson refuses but Python's json writes: integers beyond 64 bits, lone surrogates.
        return json.dumps(value, default=default, separators=(",", ":")).encode()
