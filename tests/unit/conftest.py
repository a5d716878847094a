"""The unit tier runs without a database, a server or a network. ``runtime`` (and through it
``service`` and ``root``) and ``app`` (and ``client``) are the same as in the other tiers, but in
memory (tests/support/memory_ledger.py), and so is every app ``create_app`` builds here, whatever
store its settings name; tests/integration/unit_on_real_stores runs the tests that use them again
on both real stores. A test here that asks for a real ``store``, or opens a database, a socket or
a process, fails at once, saying where it belongs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NoReturn

import pytest
from flask import Flask

from tests.support.memory_ledger import MEMORY_SETTINGS, memory_runtime
from tests.support.runtimes import ROOT_TOKEN, accept_frozen_time
from tokenledger.web import app as web_app
from tokenledger.web.app import create_app, runtime_of
from tokenledger.wiring.bootstrap import Runtime
from tokenledger.wiring.settings import Settings

ELSEWHERE = ("the unit tier has no store, server or network: a test that needs a store belongs in "
             "tests/integration, one that needs a server process in tests/e2e")


@pytest.fixture(autouse=True)
def nothing_outside_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> NoReturn:
        pytest.fail(ELSEWHERE)

    for opener in ("sqlite3.connect", "psycopg.connect", "socket.socket.connect", "subprocess.Popen"):
        monkeypatch.setattr(opener, refuse)


@pytest.fixture
def store() -> str:
    pytest.fail(ELSEWHERE)


@pytest.fixture
def settings() -> Settings:
    return MEMORY_SETTINGS


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    runtime = accept_frozen_time(memory_runtime(settings))
    runtime.service.initialise(ROOT_TOKEN)
    yield runtime
    runtime.close()


@pytest.fixture(autouse=True)
def apps_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """``create_app`` as it is, with an in-memory runtime where it would bootstrap one over a store."""
    monkeypatch.setattr(web_app, "bootstrap", memory_runtime)


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings)
    accept_frozen_time(runtime_of(app)).service.initialise(ROOT_TOKEN)
    yield app
    runtime_of(app).close()
