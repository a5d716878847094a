"""Unit-tier tests run again on SQLite and PostgreSQL.

The unit tier runs the services on in-memory fakes of the read models; a fake could hide a store's
bug (a query's order, a constraint, a transaction). Each module here imports one unit-tier module's
tests, and pytest collects them again with this tier's fixtures (tests/conftest.py), whose
``runtime`` and ``app`` stand on a real store, once for each. Where a unit-tier module has no twin
here, its tests never touch a store.
"""
