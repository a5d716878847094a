"""tests/unit/security/test_malformed_input.py, on SQLite and PostgreSQL."""

from tests.unit.security.test_malformed_input import *  # noqa: F403
