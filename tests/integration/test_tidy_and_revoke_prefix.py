"""``auth/token/tidy`` repairs read models damaged in the store behind the ledger's back. The rest
of tidy and ``sys/leases/revoke-prefix`` are in tests/unit/test_tidy_and_revoke_prefix.py."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.support.vault_http import call
from tokenledger.domain.tidy import TidyCompleted
from tokenledger.projections.replay import verify
from tokenledger.web.app import runtime_of
from tokenledger.wiring.bootstrap import Runtime


def recorded_events(runtime: Runtime) -> list[object]:
    notifications = runtime.ledger.recorder.select_notifications(start=None, limit=1_000_000)
    return [runtime.ledger.mapper.to_domain_event(notification) for notification in notifications]


def test_tidy_repairs_a_damaged_index_and_records_what_it_did(app: Flask, client: FlaskClient) -> None:
    runtime = runtime_of(app)
    accessor = call(client, "POST", "create", body={"policies": ["web"], "ttl": "1h"}).json["auth"]["accessor"]
    with runtime.read_models.transaction(commit=True) as cursor:
        cursor.execute(runtime.read_models.dialect.sql("DELETE FROM accessor_index WHERE accessor = ?"), [accessor])
        cursor.execute(runtime.read_models.dialect.sql("UPDATE token_lookup SET ttl = 1"))
    assert verify(runtime.ledger, runtime.read_models)
    assert call(client, "POST", "tidy").json["data"] is None  # as Vault: what it did is recorded
    [completed] = [event for event in recorded_events(runtime) if isinstance(event, TidyCompleted)]
    assert set(completed.tables_repaired) == {"accessor_index", "token_lookup"}
    assert completed.rows_added >= 1
    assert verify(runtime.ledger, runtime.read_models) == []
    assert call(client, "POST", "lookup-accessor", body={"accessor": accessor}).status_code == 200
