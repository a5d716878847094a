"""tests/unit/test_snapshots.py, on SQLite and PostgreSQL."""

from tests.unit.test_snapshots import *  # noqa: F403
