"""Reading the hash chain of a store, and changing the store behind the ledger's back to test it."""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
from eventsourcing.persistence import StoredEvent

from tests.support.postgres import SERVER_URL
from tokenledger.domain.caller import Caller
from tokenledger.domain.commands import CreateToken
from tokenledger.projections.hash_chain import GENESIS_TABLE, TABLE, ChainReport, verify_chain
from tokenledger.projections.read_model_store import KEYS_TABLE, POSITION_TABLE
from tokenledger.wiring.bootstrap import Runtime


def create(runtime: Runtime, root: Caller, **options: Any) -> str:
    options.setdefault("policies", ("web",))
    return runtime.service.create(root, CreateToken(**options)).client_token


def verify(runtime: Runtime, batch_size: int = 1000) -> ChainReport:
    return verify_chain(runtime.ledger.recorder, batch_size)  # type: ignore[arg-type]


def tamper(runtime: Runtime, statement: str, *params: Any) -> None:
    """Run SQL on the store behind the ledger's back, on a connection of its own. ``{events}``
    names the events table and ``{id}`` its notification-ID column, ``{chain}`` and ``{genesis}``
    the chain's tables, ``{keys}`` and ``{positions}`` those of the keys and the read models'
    position; ``?`` marks a parameter."""
    tables = {"chain": TABLE, "genesis": GENESIS_TABLE, "keys": KEYS_TABLE, "positions": POSITION_TABLE}
    store, events = runtime.settings.store, runtime.ledger.recorder.events_table_name  # type: ignore[attr-defined]
    if not runtime.settings.is_postgres:
        with sqlite3.connect(store) as connection:
            connection.execute(statement.format(events=events, id="rowid", **tables), params)
        connection.close()
        return
    schema = store.rsplit("schema=", 1)[1]
    qualified = {name: f'"{schema}".{table}' for name, table in tables.items()}
    sql = statement.format(events=f'"{schema}".{events}', id="notification_id", **qualified).replace("?", "%s")
    sql = sql.replace(f"FROM {TABLE}", f'FROM "{schema}".{TABLE}')
    with psycopg.connect(SERVER_URL) as connection:
        connection.execute(sql, params)


def event_at(runtime: Runtime, position: int) -> StoredEvent:
    [notification] = runtime.ledger.recorder.select_notifications(start=position, limit=1)
    assert notification.id == position
    return notification


def positions(runtime: Runtime) -> list[int]:
    return [n.id for n in runtime.ledger.recorder.select_notifications(start=None, limit=1_000_000)]


def chain_rows(runtime: Runtime) -> int:
    return len(runtime.ledger.recorder.chain_links(0, 1 << 62, 1_000_000))  # type: ignore[attr-defined]


def about(runtime: Runtime, position: int) -> str:
    event = event_at(runtime, position)
    return f"event at position {position} (aggregate {event.originator_id}, version {event.originator_version})"


def a_few_tokens(runtime: Runtime, root: Caller) -> list[str]:
    tokens = [create(runtime, root, ttl=3600) for _ in range(6)]
    runtime.service.renew(root, tokens[1], 120)
    runtime.service.revoke(root, tokens[0])
    runtime.service.revoke_orphan(root, tokens[2])
    return tokens
