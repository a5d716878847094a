"""tests/unit/test_tidy_and_revoke_prefix.py, on SQLite and PostgreSQL."""

from tests.unit.test_tidy_and_revoke_prefix import *  # noqa: F403
