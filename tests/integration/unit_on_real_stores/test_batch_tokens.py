"""tests/unit/test_batch_tokens.py, on SQLite and PostgreSQL."""

from tests.unit.test_batch_tokens import *  # noqa: F403
