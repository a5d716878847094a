"""What the read models' writes are made of: exact epoch microseconds, remembered JSON lists, and
each dialect's words for the same statement."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import pytest

from tokenledger.domain.actor import Actor
from tokenledger.domain.clock import to_epoch_us
from tokenledger.domain.issuance import TokenPlan
from tokenledger.domain.token import Token
from tokenledger.projections import registry
from tokenledger.projections.dialect import POSTGRES, SQLITE
from tokenledger.projections.writes import json_list

NOW = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)


@pytest.mark.parametrize("instant", [
    NOW, datetime(1970, 1, 1, tzinfo=UTC), datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 3, 4, 5, 6, 7, 1, tzinfo=timezone(timedelta(hours=-7, minutes=-30))),
])
def test_epoch_microseconds_are_exact(instant: datetime) -> None:
    delta = instant - datetime(1970, 1, 1, tzinfo=UTC)
    assert to_epoch_us(instant) == (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@pytest.mark.parametrize("items", [["default"], ["web", "db"], [], None, ['quote"d', "ünï"]])
def test_the_remembered_json_of_a_list_is_json_dumps(items: list[str] | None) -> None:
    assert json_list(items) == json.dumps(items or [])
    assert json_list(items) == json.dumps(items or [])


def test_postgres_tables_keep_their_rowid_and_statements_name_the_schema() -> None:
    [accessor_table] = [statement for statement in registry.create_statements()
                        if statement.startswith("CREATE TABLE IF NOT EXISTS accessor_index")]
    assert SQLITE.ddl(accessor_table).endswith(") WITHOUT ROWID")
    assert POSTGRES.ddl(accessor_table).endswith("namespace TEXT NOT NULL)")
    [insert] = {statement for statement, _ in registry.writes_for([_created_event()])
                if statement.table == "accessor_index"}
    assert POSTGRES.in_schema("s").render(insert) == (
        'INSERT INTO "s".accessor_index (accessor, namespace, token_id) VALUES (%s, %s, %s)')


def _created_event() -> object:
    plan = TokenPlan(parent_id=None, policies=["web"], meta=None, display_name="t", path="auth/token/create",
                     num_uses=0, renewable=True, ttl=60, explicit_max_ttl=0, period=0, token_type="service")
    [event] = Token.issue(uuid4(), "accessor-3", plan, NOW, Actor("", "")).collect_events()
    return event
