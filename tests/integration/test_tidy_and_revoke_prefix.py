"""``auth/token/tidy`` repairs read models damaged in the store behind the ledger's back. The rest
of tidy and ``sys/leases/revoke-prefix`` are in tests/unit/test_tidy_and_revoke_prefix.py."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.support.vault_http import call
from tokenledger.projections.replay import verify
from tokenledger.web.app import runtime_of


def test_tidy_repairs_a_damaged_index_and_says_what_it_did(app: Flask, client: FlaskClient) -> None:
    runtime = runtime_of(app)
    accessor = call(client, "POST", "create", body={"policies": ["web"], "ttl": "1h"}).json["auth"]["accessor"]
    with runtime.read_models.transaction(commit=True) as cursor:
        cursor.execute(runtime.read_models.dialect.sql("DELETE FROM accessor_index WHERE accessor = ?"), [accessor])
        cursor.execute(runtime.read_models.dialect.sql("UPDATE token_lookup SET ttl = 1"))
    assert verify(runtime.ledger, runtime.read_models)
    data = call(client, "POST", "tidy").json["data"]
    assert set(data["tables_repaired"]) == {"accessor_index", "token_lookup"}
    assert data["rows_added"] >= 1
    assert verify(runtime.ledger, runtime.read_models) == []
    assert call(client, "POST", "lookup-accessor", body={"accessor": accessor}).status_code == 200
