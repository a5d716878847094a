"""tests/unit/test_token_service.py, on SQLite and PostgreSQL."""

from tests.unit.test_token_service import *  # noqa: F403
