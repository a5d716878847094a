"""A scratch schema on a PostgreSQL server, dropped afterwards: the load test runs its servers in
one, and so does every PostgreSQL test (the tests import it from here)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg


@contextmanager
def schema_on(server_url: str, prefix: str) -> Iterator[str]:
    """A store URL on a new, empty schema of that server, dropped afterwards."""
    schema = prefix + uuid.uuid4().hex[:12]
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{server_url}?schema={schema}"
    finally:
        with psycopg.connect(server_url, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
