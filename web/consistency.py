"""Read-your-writes across processes, in the spirit of Vault's ``X-Vault-Index`` header.

Every response to a request that wrote carries the log position it reached. A client that moves
to another process presents it, and that process answers only once its read models have caught
up that far, or with 412 after a bounded wait. Only authenticated callers wait (see
``tokenledger.web.access.Gate``), and only a few at a time.
"""

from __future__ import annotations

import re
import threading
import time

from flask import Request
from werkzeug.wrappers import Response

from tokenledger.application.token_service import TokenService
from tokenledger.domain.errors import InvalidRequest, LedgerError

INDEX_HEADER = "X-Vault-Index"
_POSITION = re.compile(r"[0-9]{1,18}")  # ASCII digits only, and within a 64-bit integer
MAX_WAITERS = 4  # per process: a worker has 8 request threads; waits may hold half of them
_waiters = threading.BoundedSemaphore(MAX_WAITERS)


class IndexNotReached(LedgerError):
    """The read models did not reach the position the client asked for in time (HTTP 412)."""

    def __init__(self) -> None:
        super().__init__("required index state not present")


def required_position(request: Request) -> int | None:
    value = request.headers.get(INDEX_HEADER, "").strip()
    if not value:
        return None
    if not _POSITION.fullmatch(value):
        raise InvalidRequest(f"invalid {INDEX_HEADER} header: expected a log position")
    return int(value)


def wait_for_position(service: TokenService, wanted: int, timeout_seconds: float) -> None:
    """Return once the read models reach ``wanted``; 412 after ``timeout_seconds``, or at once
    when MAX_WAITERS requests of this process are waiting already (each holds a thread)."""
    if service.indexed_position() >= wanted:
        return
    if not _waiters.acquire(blocking=False):
        raise IndexNotReached()
    try:
        deadline = time.monotonic() + timeout_seconds
        pause = 0.002
        while service.indexed_position() < wanted:
            if time.monotonic() >= deadline:
                raise IndexNotReached()
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
    finally:
        _waiters.release()


def stamp_written_position(service: TokenService, response: Response) -> Response:
    position = service.take_written_position()
    if position is not None:
        response.headers[INDEX_HEADER] = str(position)
    return response
