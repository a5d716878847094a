"""tests/unit/test_http_api.py, on SQLite and PostgreSQL."""

from tests.unit.test_http_api import *  # noqa: F403
