"""tests/unit/test_openapi.py, on SQLite and PostgreSQL."""

from tests.unit.test_openapi import *  # noqa: F403
