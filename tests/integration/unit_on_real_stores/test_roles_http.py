"""tests/unit/test_roles_http.py, on SQLite and PostgreSQL."""

from tests.unit.test_roles_http import *  # noqa: F403
