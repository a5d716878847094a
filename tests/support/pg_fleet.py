"""The tests' way to a PostgreSQL fleet (``scripts/pg_fleet.py``): where this machine cannot build
one, the test skips, except under CI (``CI=true``), where it fails."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from scripts.pg_fleet import Fleet, FleetUnavailable, postgres_binaries
from scripts.pg_fleet import fleet as built_fleet

REQUIRED = os.environ.get("CI", "") == "true"


def require_postgres_binaries() -> Path:
    try:
        return postgres_binaries()
    except FleetUnavailable as missing:
        if REQUIRED:
            pytest.fail(f"{missing}: PostgreSQL is required under CI (CI=true)")
        pytest.skip(str(missing))


@contextmanager
def fleet(standbys: int = 1, synchronous: bool = False) -> Iterator[Fleet]:
    require_postgres_binaries()
    with built_fleet(standbys, synchronous) as made:
        yield made
