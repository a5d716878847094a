"""What the tests share that is not a fixture: constants, helpers that build or read a runtime,
clients of the API, the PostgreSQL and OpenBao test servers. Fixtures live in the ``conftest.py``
of the tier that uses them (``tests/conftest.py`` for those of several tiers)."""
