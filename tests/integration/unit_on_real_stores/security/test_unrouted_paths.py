"""tests/unit/security/test_unrouted_paths.py, on SQLite and PostgreSQL."""

from tests.unit.security.test_unrouted_paths import *  # noqa: F403
