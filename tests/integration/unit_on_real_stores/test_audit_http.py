"""tests/unit/test_audit_http.py, on SQLite and PostgreSQL."""

from tests.unit.test_audit_http import *  # noqa: F403
