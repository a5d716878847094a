"""tests/unit/security tests run again on SQLite and PostgreSQL (see the package above)."""
