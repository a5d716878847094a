"""tests/unit/test_namespaces.py, on SQLite and PostgreSQL."""

from tests.unit.test_namespaces import *  # noqa: F403
