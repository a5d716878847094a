"""tests/unit/test_other_dialect.py, on SQLite and PostgreSQL."""

from tests.unit.test_other_dialect import *  # noqa: F403
