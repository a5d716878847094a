"""tests/unit/security/test_authorization.py, on SQLite and PostgreSQL."""

from tests.unit.security.test_authorization import *  # noqa: F403
