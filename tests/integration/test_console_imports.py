"""Commands that read a SQLite store load only what they need: no web framework, web server or
PostgreSQL driver, and the schema library only to show a token as lookup shows it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import ROOT_TOKEN
from tests.unit.test_console_imports import loaded_by
from tokenledger.wiring.bootstrap import bootstrap
from tokenledger.wiring.settings import Settings


@pytest.fixture
def sqlite_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """A SQLite store with its root token; returns the store and the root token's accessor."""
    monkeypatch.delenv("TOKENLEDGER_CIPHER_KEY", raising=False)
    store = str(tmp_path / "ledger.db")
    runtime = bootstrap(Settings(store=store))
    try:
        runtime.service.initialise(ROOT_TOKEN)
        accessor = runtime.service.lookup(ROOT_TOKEN).accessor
    finally:
        runtime.close()
    return store, accessor


def test_reading_a_sqlite_store_loads_no_server_stack(sqlite_store: tuple[str, str]) -> None:
    store, accessor = sqlite_store
    commands = [["ledger", "verify", "--store", store], ["ledger", "head", "--store", store],
                ["projections", "verify", "--store", store], ["audit", "history", accessor, "--store", store],
                ["audit", "created-by", accessor, "--store", store]]
    assert loaded_by(*commands) == {" ".join(command): [] for command in commands}


def test_only_a_token_as_of_an_instant_loads_the_schema_library(sqlite_store: tuple[str, str]) -> None:
    store, accessor = sqlite_store
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    command = ["audit", "as-of", now, accessor, "--store", store]
    assert loaded_by(command) == {" ".join(command): ["marshmallow"]}
