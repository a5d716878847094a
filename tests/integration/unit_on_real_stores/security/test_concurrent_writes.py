"""tests/unit/security/test_concurrent_writes.py, on SQLite and PostgreSQL."""

from tests.unit.security.test_concurrent_writes import *  # noqa: F403
