"""tests/unit/security/test_held_attacks.py, on SQLite and PostgreSQL."""

from tests.unit.security.test_held_attacks import *  # noqa: F403
