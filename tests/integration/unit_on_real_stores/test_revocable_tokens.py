"""tests/unit/test_revocable_tokens.py, on SQLite and PostgreSQL."""

from tests.unit.test_revocable_tokens import *  # noqa: F403
