"""Finding 12 of issue 13: a store that is full answers 503 with a clear message, not
``500 internal error``; reads keep working and nothing acknowledged is lost."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.postgres import SERVER_URL, fresh_schema
from tests.support.runtimes import ROOT_TOKEN, event_count
from tokenledger.projections.replay import verify
from tokenledger.projections.sqlite_store import IndexedSQLiteRecorder
from tokenledger.web.app import create_app, runtime_of
from tokenledger.wiring.bootstrap import Runtime
from tokenledger.wiring.settings import Settings

HEADERS = {"X-Vault-Token": ROOT_TOKEN}
SQLITE_MAX_PAGES = 1073741823  # SQLite's default max_page_count


def started(store: str) -> Flask:
    app = create_app(Settings(store=store, index_wait_seconds=0.2))
    runtime_of(app).service.initialise(ROOT_TOKEN)
    return app


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[Flask]:
    app = started(str(tmp_path / "ledger.db"))
    yield app
    runtime_of(app).close()


@pytest.fixture
def postgres_app() -> Iterator[tuple[Flask, str]]:
    with fresh_schema() as url:
        app = started(url)
        yield app, url.rsplit("schema=", 1)[1]
        runtime_of(app).close()


def create(client: FlaskClient) -> tuple[int, dict[str, object]]:
    response = client.post("/v1/auth/token/create", json={"policies": ["web"]}, headers=HEADERS)
    return response.status_code, response.get_json()


def set_max_page_count(runtime: Runtime, pages: int | None) -> None:
    """SQLite's own limit on the file's size, on the store's write connection: past it, SQLite
    fails a write exactly as on a full disk (SQLITE_FULL, "database or disk is full")."""
    recorder = runtime.ledger.recorder
    assert isinstance(recorder, IndexedSQLiteRecorder)
    with recorder.datastore.transaction(commit=False) as cursor:
        if pages is None:
            cursor.execute("PRAGMA page_count")
            pages = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA max_page_count = {pages}")


def assert_reads_work_and_nothing_is_lost(client: FlaskClient, acknowledged: list[str]) -> None:
    assert client.get("/v1/auth/token/lookup-self", headers=HEADERS).status_code == 200
    for token in acknowledged:
        response = client.post("/v1/auth/token/lookup", json={"token": token}, headers=HEADERS)
        assert response.status_code == 200, response.get_json()


def test_a_full_sqlite_store_answers_503_and_keeps_what_it_acknowledged(sqlite_app: Flask) -> None:
    client, runtime = sqlite_app.test_client(), runtime_of(sqlite_app)
    set_max_page_count(runtime, None)  # no page more than the file has now
    acknowledged: list[str] = []
    for _ in range(500):
        status, body = create(client)
        if status != 200:
            break
        acknowledged.append(body["auth"]["client_token"])  # type: ignore[index]
    assert status == 503, body
    assert body == {"errors": ["the store is full (database or disk is full): the request was not "
                               "recorded; reads still work"]}

    events = event_count(runtime)
    assert create(client)[0] == 503
    policy = client.put("/v1/sys/policy/ops", json={"policy": "#" + "x" * 20000}, headers=HEADERS)
    assert policy.status_code == 503
    assert event_count(runtime) == events
    assert_reads_work_and_nothing_is_lost(client, acknowledged)

    set_max_page_count(runtime, SQLITE_MAX_PAGES)  # space again: writes resume
    assert create(client)[0] == 200
    assert_reads_work_and_nothing_is_lost(client, acknowledged)
    assert verify(runtime.ledger, runtime.read_models) == []  # the read models still match the log


@pytest.mark.parametrize(("condition", "message"), [
    ("disk_full", "the store is full (database or disk is full): the request was not recorded; "
                  "reads still work"),
    ("too_many_connections", "the store is out of resources: the request was not recorded; try again later"),
])
def test_postgres_out_of_resources_answers_503(postgres_app: tuple[Flask, str], condition: str,
                                               message: str) -> None:
    """PostgreSQL itself raises the SQLSTATE (class 53, insufficient resources) on every insert of
    an event, as it would with its disk full: filling the shared server's disk is not an option."""
    app, schema = postgres_app
    client, runtime = app.test_client(), runtime_of(app)
    acknowledged = [str(create(client)[1]["auth"]["client_token"])]  # type: ignore[index]
    with psycopg.connect(SERVER_URL, autocommit=True) as connection:
        connection.execute(
            f'CREATE FUNCTION "{schema}".refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN '
            f"RAISE EXCEPTION 'could not extend file' USING ERRCODE = '{condition}'; END $$")
        connection.execute(f'CREATE TRIGGER refuse BEFORE INSERT ON "{schema}".tokenledger_events '
                           f'FOR EACH STATEMENT EXECUTE FUNCTION "{schema}".refuse()')
        events = event_count(runtime)
        status, body = create(client)
        assert (status, body) == (503, {"errors": [message]})
        assert event_count(runtime) == events
        assert_reads_work_and_nothing_is_lost(client, acknowledged)
        connection.execute(f'DROP TRIGGER refuse ON "{schema}".tokenledger_events')
    assert create(client)[0] == 200
