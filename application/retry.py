"""Optimistic writes: an attempt reads what it changes and saves it; when a concurrent writer
saved first (the stream version it wrote, or a unique key it drew, is taken), it runs again on
what that writer left. The last writer wins, as in Vault; nobody gets a storage error."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Hashable
from contextlib import nullcontext
from typing import TypeVar

from eventsourcing.persistence import RecordConflictError

from tokenledger.domain.errors import ConcurrentUpdate

T = TypeVar("T")
ATTEMPTS = 20  # what a write gets, unless it says otherwise (a revocation batch is large: fewer)
LONGEST_PAUSE = 0.05  # seconds
_STRIPES = [threading.RLock() for _ in range(64)]


def retry_on_conflict(attempt: Callable[[], T], *, gave_up: str, attempts: int = ATTEMPTS,
                      key: Hashable | None = None) -> T:
    """``attempt()``'s result, trying up to ``attempts`` times while its save conflicts (an
    ``IntegrityError`` is one); then ``ConcurrentUpdate(gave_up)``.

    After a conflict it pauses a random while, growing with each one: writers that collided
    would otherwise collide again. Attempts with the same ``key`` (the stream they write) take
    turns within this process, so its threads never conflict with each other: sixteen threads
    rewriting one policy left some losing every round until out of attempts.
    """
    with _STRIPES[hash(key) % len(_STRIPES)] if key is not None else nullcontext():
        for tried in range(attempts):
            try:
                return attempt()
            except RecordConflictError:
                if tried + 1 < attempts:
                    time.sleep(random.uniform(0, min(0.001 * 2 ** tried, LONGEST_PAUSE)))
    raise ConcurrentUpdate(gave_up)
