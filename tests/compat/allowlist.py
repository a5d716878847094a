"""Differences from OpenBao that stay, each with its reason. A difference is allowed when its step
name and its place (``status``, ``errors``, ``keys:data``, ``value:data.ttl``...) match an entry's
patterns (shell-style). Keep this list short: every entry is a promise in the README."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from tests.compat.differential import Difference


@dataclass(frozen=True)
class Allowed:
    title: str
    why: str
    steps: tuple[str, ...]
    where: tuple[str, ...] = ("*",)

    def covers(self, difference: Difference) -> bool:
        return any(fnmatchcase(difference.step, step) for step in self.steps) and any(
            fnmatchcase(difference.where, where) for where in self.where)


ALLOWED: tuple[Allowed, ...] = ()


def allowed(difference: Difference) -> Allowed | None:
    return next((entry for entry in ALLOWED if entry.covers(difference)), None)
