"""tests/unit/security/test_acl_list_paths.py, on SQLite and PostgreSQL."""

from tests.unit.security.test_acl_list_paths import *  # noqa: F403
