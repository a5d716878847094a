"""The ``tokenledger`` command loads no web server, web framework, PostgreSQL driver or schema
library to start (the server command loads them when it starts), and commands that read a SQLite
store load only what they need: the schema library only to show a token as lookup shows it. Each
check runs the command in a fresh interpreter, as the console script is."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.console_imports import loaded_by
from tests.support.runtimes import ROOT_TOKEN
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


def test_the_command_and_its_help_load_no_server_stack() -> None:
    commands = [["--help"], ["server", "--help"], ["token", "lookup", "--help"], ["policy", "list", "--help"],
                ["audit", "history", "--help"], ["audit", "as-of", "--help"], ["ledger", "verify", "--help"],
                ["ledger", "export", "--help"], ["projections", "verify", "--help"]]
    loaded = loaded_by(*commands)
    assert loaded == {" ".join(command): [] for command in commands}
