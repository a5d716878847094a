"""tests/unit/test_usage.py, on SQLite and PostgreSQL."""

from tests.unit.test_usage import *  # noqa: F403
