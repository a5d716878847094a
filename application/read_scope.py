"""Where a unit of work (one request) may read: the primary, or a replica that has replayed
everything written before the unit began.

The web layer opens a scope for requests that only read; the first read fixes the position the
replica must have reached (``ReplicaReads.position``), and the unit's first write ends the scope:
what it reads after that must include its own write, so it reads the primary.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class ReplicaReads:
    position: int | None = None  # set by the store's router on the scope's first read


_SCOPE: ContextVar[ReplicaReads | None] = ContextVar("tokenledger_replica_reads", default=None)


@contextmanager
def replica_reads() -> Iterator[None]:
    token = _SCOPE.set(ReplicaReads())
    try:
        yield
    finally:
        _SCOPE.reset(token)


def current() -> ReplicaReads | None:
    return _SCOPE.get()


def wrote() -> None:
    """This unit of work appended events: it reads the primary from now on."""
    if _SCOPE.get() is not None:
        _SCOPE.set(None)
