"""Rebuilding the read models: the rows each event writes, the indexes a rebuild drops and builds
again, and a rebuild that dies half way, finished by the next start."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from tokenledger.domain.actor import Actor
from tokenledger.domain.caller import Caller
from tokenledger.domain.clock import to_epoch_us
from tokenledger.domain.commands import CreateToken
from tokenledger.domain.issuance import TokenPlan
from tokenledger.domain.token import Token
from tokenledger.projections import registry
from tokenledger.projections.dialect import SQLITE
from tokenledger.projections.read_model_store import ReadModelStore, apply_events
from tokenledger.projections.replay import catch_up, rebuild, verify
from tokenledger.wiring.bootstrap import Runtime, bootstrap
from tokenledger.wiring.settings import Settings

NOW = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)


def row(cursor: sqlite3.Cursor, table: str, token_id: UUID) -> dict[str, Any]:
    cursor.execute(f"SELECT * FROM {table} WHERE token_id = ?", (token_id.hex,))
    return dict(cursor.fetchone())


def test_a_created_token_writes_each_value_in_its_column(cursor: sqlite3.Cursor) -> None:
    """The projections hand over rows as tuples: each value must land in the column it names."""
    parent_id, token_id = uuid4(), uuid4()
    plan = TokenPlan(parent_id=parent_id, policies=["web", "db"], meta={"team": "a", "env": "b"},
                     display_name="token-ci", path="auth/token/create/ci", num_uses=3, renewable=False,
                     ttl=600, explicit_max_ttl=7200, period=300, token_type="service",
                     bound_cidrs=("10.0.0.0/8",), role_name="ci", entity_alias="alias")
    token = Token.issue(token_id, "accessor-1", plan, NOW, Actor("creator-9", "192.0.2.1"), namespace="eu")
    [event] = token.collect_events()

    apply_events(cursor, SQLITE, [event], 7)

    issued_us = to_epoch_us(NOW)
    assert row(cursor, "token_lookup", token_id) == {
        "token_id": token_id.hex, "accessor": "accessor-1", "parent_id": parent_id.hex,
        "policies": '["web", "db"]', "meta": '{"env": "b", "team": "a"}', "display_name": "token-ci",
        "path": "auth/token/create/ci", "num_uses": 3, "uses_left": 3, "renewable": 0,
        "issue_time_us": issued_us, "creation_ttl": 600, "ttl": 600,
        "expire_at_us": issued_us + 600_000_000, "explicit_max_ttl": 7200, "period": 300,
        "token_type": "service", "entity_alias": "alias", "last_renewal_us": None, "namespace": "eu",
        "bound_cidrs": '["10.0.0.0/8"]', "role_name": "ci", "last_used_time_us": None, "last_used_remote_addr": "",
    }
    assert row(cursor, "token_registry", token_id) == {
        "token_id": token_id.hex, "accessor": "accessor-1", "namespace": "eu", "parent_id": parent_id.hex,
        "creator_accessor": "creator-9", "role_name": "ci", "display_name": "token-ci",
        "policies": '["web", "db"]', "path": "auth/token/create/ci", "created_us": issued_us,
        "expire_at_us": issued_us + 600_000_000, "status": "live", "ended_us": None, "orphaned_us": None,
    }
    cursor.execute("SELECT * FROM accessor_index")
    assert [dict(found) for found in cursor.fetchall()] == [
        {"accessor": "accessor-1", "token_id": token_id.hex, "namespace": "eu"}]
    cursor.execute("SELECT * FROM child_index")
    assert [tuple(found) for found in cursor.fetchall()] == [(parent_id.hex, token_id.hex)]
    cursor.execute("SELECT * FROM event_times")
    assert [tuple(found) for found in cursor.fetchall()] == [(token_id.hex, 1, issued_us)]


def test_a_token_without_uses_ttl_or_parent_writes_nulls(cursor: sqlite3.Cursor) -> None:
    token_id = uuid4()
    plan = TokenPlan(parent_id=None, policies=[], meta=None, display_name="root", path="auth/token/root",
                     num_uses=0, renewable=True, ttl=0, explicit_max_ttl=0, period=0, token_type="service")
    [event] = Token.issue(token_id, "accessor-2", plan, NOW, Actor("", "")).collect_events()

    apply_events(cursor, SQLITE, [event], 1)

    lookup = row(cursor, "token_lookup", token_id)
    assert (lookup["parent_id"], lookup["meta"], lookup["uses_left"], lookup["expire_at_us"],
            lookup["policies"], lookup["bound_cidrs"], lookup["renewable"]) == (None, None, None, None, "[]", "[]", 1)


# -- on a real store (SQLite and PostgreSQL) ---------------------------------------------------

def indexes(store: ReadModelStore) -> set[str]:
    with store.transaction(commit=False) as cursor:
        if store.dialect.name == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        else:
            cursor.execute("SELECT indexname AS name FROM pg_indexes WHERE schemaname = %s",
                           (store.dialect.schema,))
        return {found["name"] for found in cursor.fetchall()}


def tables(store: ReadModelStore) -> dict[str, list[tuple[object, ...]]]:
    return {table: sorted(store.rows(table), key=repr) for table in registry.tables()}


def some_history(runtime: Runtime, root: Caller) -> None:
    service = runtime.service
    tokens = [service.create(root, CreateToken(policies=("web",), ttl=3600, num_uses=n % 3)).client_token
              for n in range(8)]
    service.renew(root, tokens[1], 120)
    service.revoke(root, tokens[0])
    service.revoke_orphan(root, tokens[2])


def test_a_rebuild_builds_again_every_index_it_dropped(runtime: Runtime, root: Caller) -> None:
    some_history(runtime, root)
    before, live = indexes(runtime.read_models), tables(runtime.read_models)
    assert set(registry.query_index_names()) <= before

    assert rebuild(runtime.ledger, runtime.read_models, batch_size=5) == runtime.ledger.recorder.max_notification_id()

    assert indexes(runtime.read_models) == before
    assert tables(runtime.read_models) == live


def test_a_rebuild_that_dies_half_way_is_finished_by_the_next_start(
    runtime: Runtime, root: Caller, settings: Settings
) -> None:
    some_history(runtime, root)
    before, live = indexes(runtime.read_models), tables(runtime.read_models)

    class Crash(Exception):
        pass

    def crash(applied: int) -> None:
        raise Crash

    runtime.read_models.clear(drop_query_indexes=True)  # what rebuild does first, then it dies
    with pytest.raises(Crash):
        catch_up(runtime.ledger, runtime.read_models, batch_size=4, progress=crash, bulk=True)
    assert 0 < runtime.read_models.position() < (runtime.ledger.recorder.max_notification_id() or 0)
    assert not set(registry.query_index_names()) & indexes(runtime.read_models)

    restarted = bootstrap(settings)
    try:
        assert indexes(restarted.read_models) == before
        assert tables(restarted.read_models) == live
        assert verify(restarted.ledger, restarted.read_models) == []
    finally:
        restarted.close()
