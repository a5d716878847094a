from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder
from flask import Flask
from flask.testing import FlaskClient
from freezegun.api import FakeDatetime

from tests.postgres import fresh_schema
from tokenledger.application.token_service import TokenService
from tokenledger.domain.caller import Caller
from tokenledger.web.app import create_app, runtime_of
from tokenledger.wiring.bootstrap import Runtime, bootstrap
from tokenledger.wiring.settings import Settings

ROOT_TOKEN = "root-token-for-tests"


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The tests that take a store run on both: a SQLite file, and a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield str(tmp_path / "ledger.db")
        return
    with fresh_schema() as url:
        yield url


@pytest.fixture
def settings(store: str) -> Settings:
    return Settings(store=store, index_wait_seconds=0.2)


class FrozenDatetimeAsISO(DatetimeAsISO):
    """freezegun's datetimes are a subclass the transcoder does not know: store them as any other."""

    type = FakeDatetime


def accept_frozen_time(runtime: Runtime) -> Runtime:
    transcoder = runtime.ledger.mapper.transcoder
    assert isinstance(transcoder, JSONTranscoder)
    transcoder.register(FrozenDatetimeAsISO())
    return runtime


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    runtime = accept_frozen_time(bootstrap(settings))
    runtime.service.initialise(ROOT_TOKEN)
    yield runtime
    runtime.close()


@pytest.fixture
def service(runtime: Runtime) -> TokenService:
    return runtime.service


@pytest.fixture
def root(service: TokenService) -> Caller:
    return service.authenticate(ROOT_TOKEN, "127.0.0.1")


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings)
    accept_frozen_time(runtime_of(app)).service.initialise(ROOT_TOKEN)
    yield app
    runtime_of(app).close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def event_count(runtime: Runtime) -> int:
    return len(recorded_topics(runtime))


def recorded_topics(runtime: Runtime) -> list[tuple[str, str]]:
    """(aggregate ID hex, event class name) of every event in the log, in log order."""
    notifications = runtime.ledger.recorder.select_notifications(start=None, limit=1_000_000)
    return [(n.originator_id.hex, n.topic.rsplit(":", 1)[-1]) for n in notifications]
