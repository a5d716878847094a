"""tests/unit/security/test_index_wait.py, on SQLite and PostgreSQL."""

from tests.unit.security.test_index_wait import *  # noqa: F403
