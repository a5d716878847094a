"""Fixtures of the integration tier beyond the real stores of ``tests/conftest.py``."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from tokenledger.projections.dialect import SQLITE
from tokenledger.projections.read_model_store import prepare_read_models


@pytest.fixture
def cursor() -> Iterator[sqlite3.Cursor]:
    """A cursor on empty read models in an in-memory SQLite database, for one projection's writes."""
    connection = sqlite3.connect(":memory:", isolation_level=None)
    connection.row_factory = sqlite3.Row
    prepare_read_models(connection.cursor(), SQLITE)
    yield connection.cursor()
    connection.close()
