"""Who acted, and from where: recorded on every event."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    accessor: str
    remote_addr: str


SYSTEM = Actor(accessor="", remote_addr="")
