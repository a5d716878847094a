"""tests/unit/test_operations.py, on SQLite and PostgreSQL."""

from tests.unit.test_operations import *  # noqa: F403
