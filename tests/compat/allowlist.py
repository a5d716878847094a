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
    values: str = "*"  # matched against "tokenledger=<value> openbao=<value>"

    def covers(self, difference: Difference) -> bool:
        return (any(fnmatchcase(difference.step, step) for step in self.steps)
                and any(fnmatchcase(difference.where, where) for where in self.where)
                and fnmatchcase(f"tokenledger={difference.tokenledger!r} openbao={difference.openbao!r}", self.values))


ALLOWED: tuple[Allowed, ...] = ()


def allowed(difference: Difference) -> Allowed | None:
    return next((entry for entry in ALLOWED if entry.covers(difference)), None)


README_HEADING = "## Differences from Vault"


def readme_section() -> str:
    """The README's section, written from the list (``tests/compat/test_differential.py`` checks it)."""
    lines = [README_HEADING, "",
             "A differential suite (`tests/compat/`, `python -m tests.compat`) sends the same requests to",
             "a real OpenBao dev server and to tokenledger and compares status, errors, keys, JSON types and",
             "values. Every difference it may find is one of these, each for the reason given:", ""]
    lines += [f"- **{entry.title}** {entry.why}" for entry in ALLOWED]
    return "\n".join(lines) + "\n"
