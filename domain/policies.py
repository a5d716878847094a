"""Policy names as Vault normalises them on a token."""

from __future__ import annotations

from collections.abc import Iterable

ROOT = "root"
DEFAULT = "default"
NOT_ASSIGNABLE = frozenset({"response-wrapping", "control-group"})
BUILT_IN = frozenset({ROOT, DEFAULT})


def sanitize(names: Iterable[str]) -> list[str]:
    """Trimmed, lower-cased, de-duplicated, sorted; a list holding ``root`` is just ``["root"]``."""
    cleaned = sorted({name.strip().lower() for name in names if name.strip()})
    return [ROOT] if ROOT in cleaned else cleaned


def is_subset(requested: Iterable[str], held: Iterable[str]) -> bool:
    return set(requested) <= set(held)
