"""The lookup row of a token, written from its events and read back by column name, is the view
its aggregate gives, after every kind of event the row follows; the registry row agrees too."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from tokenledger.domain.actor import Actor
from tokenledger.domain.issuance import TokenPlan
from tokenledger.domain.leases import TtlLimits
from tokenledger.domain.token import Token
from tokenledger.domain.token_view import TokenStatus, TokenType
from tokenledger.projections.audit_registry import REGISTRY_ROW
from tokenledger.projections.dialect import SQLITE
from tokenledger.projections.lookup import ROW
from tokenledger.projections.read_model_store import apply_events

NOW = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
ALICE = Actor("creator-9", "192.0.2.1")
PLAN = TokenPlan(parent_id=uuid4(), policies=["web", "db"], meta={"team": "a", "env": "b"},
                 display_name="token-ci", path="auth/token/create/ci", num_uses=3, renewable=True,
                 ttl=600, explicit_max_ttl=7200, period=0, token_type=TokenType.SERVICE,
                 bound_cidrs=("10.0.0.0/8",), role_name="ci", entity_alias="alias")


def project(cursor: sqlite3.Cursor, token: Token) -> None:
    apply_events(cursor, SQLITE, token.collect_events(), 1)


def lookup_row(cursor: sqlite3.Cursor, token: Token) -> sqlite3.Row | None:
    cursor.execute("SELECT * FROM token_lookup WHERE token_id = ?", (token.id.hex,))
    row: sqlite3.Row | None = cursor.fetchone()
    return row


def test_the_row_of_a_token_reads_back_as_its_view_after_each_kind_of_event(cursor: sqlite3.Cursor) -> None:
    token = Token.issue(uuid4(), "accessor-1", PLAN, NOW, ALICE, namespace="eu")
    project(cursor, token)
    assert ROW.read(lookup_row(cursor, token)) == token.view()

    token.use(NOW + timedelta(seconds=1), ALICE)
    token.renew(300, NOW + timedelta(seconds=2), ALICE, TtlLimits(default_ttl=3600, max_ttl=7200))
    token.orphan(NOW + timedelta(seconds=3), ALICE)
    project(cursor, token)
    assert ROW.read(lookup_row(cursor, token)) == token.view()

    token.revoke(NOW + timedelta(seconds=4), ALICE, "revoked")
    project(cursor, token)
    assert lookup_row(cursor, token) is None


def test_the_registry_row_of_a_token_follows_it_to_its_end(cursor: sqlite3.Cursor) -> None:
    token = Token.issue(uuid4(), "accessor-1", replace(PLAN, num_uses=0), NOW, ALICE, namespace="eu")
    token.orphan(NOW + timedelta(seconds=3), ALICE)
    token.expire(NOW + timedelta(seconds=4))
    project(cursor, token)
    cursor.execute("SELECT * FROM token_registry WHERE token_id = ?", (token.id.hex,))
    registered = REGISTRY_ROW.read(cursor.fetchone())
    view = token.view()
    assert registered.status is TokenStatus.EXPIRED
    assert (registered.accessor, registered.namespace, registered.parent_id, registered.creator_accessor,
            registered.role_name, registered.display_name, registered.policies, registered.path,
            registered.created_at, registered.expire_at, registered.ended_at, registered.orphaned_at) == (
        view.accessor, view.namespace, PLAN.parent_id, ALICE.accessor, view.role_name, view.display_name,
        view.policies, view.path, view.issue_time, view.expire_at, NOW + timedelta(seconds=4),
        NOW + timedelta(seconds=3))
