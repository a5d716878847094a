"""Fixtures of the integration and end-to-end tiers: a real store (``store`` runs each test that
takes it twice, on a SQLite file and on a fresh PostgreSQL schema), and the runtime, service and
Flask app on it. The unit tier replaces them with in-memory ones (``tests/unit/conftest.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.postgres import drop_pending_schemas, fresh_schema
from tests.support.runtimes import ROOT_TOKEN, accept_frozen_time
from tokenledger.application.token_service import TokenService
from tokenledger.domain.caller import Caller
from tokenledger.web.app import create_app, runtime_of
from tokenledger.wiring.bootstrap import Runtime, bootstrap
from tokenledger.wiring.settings import Settings


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked ``one_store`` is not about the store: where it takes one, SQLite is enough.
    (A ``parametrize`` mark, added before pytest reads the marks, replaces ``store``'s params.)"""
    if metafunc.definition.get_closest_marker("one_store") and "store" in metafunc.fixturenames:
        metafunc.definition.add_marker(pytest.mark.parametrize("store", ["sqlite"], indirect=True))


@pytest.fixture(scope="session", autouse=True)
def schemas_dropped() -> Iterator[None]:
    """Every test's PostgreSQL schema is dropped by the end of the session (in the background)."""
    yield
    failed = drop_pending_schemas()
    assert not failed, f"schemas the tests could not drop: {failed}"


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
