"""tests/unit/test_hygiene_reports.py, on SQLite and PostgreSQL."""

from tests.unit.test_hygiene_reports import *  # noqa: F403
