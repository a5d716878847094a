"""The request being served and its ``g``, themselves rather than Flask's proxies to them.

Each attribute read through ``flask.request`` or ``flask.g`` first fails on the proxy (an
``AttributeError`` whose message is formatted and dropped), then goes through the proxy's
``__getattr__``: a lookup-self read the request 45 times that way, a tenth of its instructions
under callgrind. Code on the hot path takes the object once and reads it directly.
"""

from __future__ import annotations

from typing import cast

from flask import Request, g, request
from flask.ctx import _AppCtxGlobals


def served_request() -> Request:
    return cast(Request, request._get_current_object())  # type: ignore[attr-defined]


def request_globals() -> _AppCtxGlobals:
    return cast(_AppCtxGlobals, g._get_current_object())
