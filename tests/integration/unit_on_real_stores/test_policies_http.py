"""tests/unit/test_policies_http.py, on SQLite and PostgreSQL."""

from tests.unit.test_policies_http import *  # noqa: F403
