"""A store and an export written before the code became one ``tokenledger`` package (commit 4cddba8,
event topics ``domain.token_events:TokenCreated``, see ``tests/fixtures/legacy-4cddba8/README.md``)
still verify, answer history and as-of, import, and take new events under the new names.

Every check runs the command line in a fresh process whose working directory is not the repository,
so no old top-level ``domain`` package can be imported by accident: only the registered old names
can make these pass."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from scripts.servers import running
from tests.support.paths import FIXTURES

FIXTURE = FIXTURES / "legacy-4cddba8"
ROOT_TOKEN = "legacy-root"
PARENT = "wZfDF4OVLdsRkoMC2QjktleF"  # renewed, then revoked with its child
OLD_PREFIX = "domain."
NEW_PREFIX = "tokenledger.domain."


@pytest.fixture
def store(tmp_path: Path) -> Path:
    copied = tmp_path / "store.sqlite"
    shutil.copy(FIXTURE / "store.sqlite", copied)
    return copied


def tokenledger(cwd: Path, *arguments: str) -> str:
    done = subprocess.run([sys.executable, "-m", "tokenledger.cli", *arguments], cwd=cwd,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def topics(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [row[0] for row in connection.execute("SELECT topic FROM stored_events ORDER BY rowid")]


def exported_events() -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in (FIXTURE / "export.jsonl").read_text().splitlines()]
    return [line for line in lines if "type" in line]


def test_the_fixture_was_written_under_the_old_names(store: Path) -> None:
    assert topics(store) and all(topic.startswith(OLD_PREFIX) for topic in topics(store))
    assert all(event["type"].startswith(OLD_PREFIX) for event in exported_events())


def test_an_old_store_verifies(store: Path) -> None:
    assert "chain intact: 16 events" in tokenledger(store.parent, "ledger", "verify", "--store", str(store))
    assert tokenledger(store.parent, "projections", "verify", "--store", str(store)).startswith("0 difference")


def test_an_old_store_answers_history_and_as_of(store: Path) -> None:
    history = json.loads(tokenledger(store.parent, "audit", "history", "--store", str(store),
                                     "-format", "json", PARENT))
    assert [event["type"] for event in history["events"]] == ["TokenCreated", "TokenRenewed", "TokenRevoked"]
    renewed_at, revoked_at = (event["time"] for event in history["events"][1:])
    before = json.loads(tokenledger(store.parent, "audit", "as-of", "--store", str(store),
                                    "-format", "json", renewed_at, PARENT))
    after = json.loads(tokenledger(store.parent, "audit", "as-of", "--store", str(store),
                                   "-format", "json", revoked_at, PARENT))
    assert (before["status"], before["policies"], before["meta"]) == ("live", ["default", "reader"], {"team": "a"})
    assert after["status"] == "revoked"


def test_new_events_in_an_old_store_are_written_under_the_new_names(store: Path) -> None:
    with running("--store", str(store)) as server:
        headers = {"X-Vault-Token": ROOT_TOKEN}
        created = requests.post(f"{server.url}/v1/auth/token/create", json={"policies": ["reader"]},
                                headers=headers, timeout=30)
        assert created.status_code == 200, created.text
        assert requests.get(f"{server.url}/v1/auth/token/lookup-self", headers=headers, timeout=30).ok
    names = topics(store)
    assert all(topic.startswith(OLD_PREFIX) for topic in names[:16])
    assert names[16:] and all(topic.startswith(NEW_PREFIX) for topic in names[16:])
    assert "chain intact: 1" in tokenledger(store.parent, "ledger", "verify", "--store", str(store))
    assert tokenledger(store.parent, "projections", "verify", "--store", str(store)).startswith("0 difference")


def test_an_old_export_imports_under_the_new_names(tmp_path: Path) -> None:
    imported = tmp_path / "imported.sqlite"
    tokenledger(tmp_path, "ledger", "import", "--store", str(imported), "--file", str(FIXTURE / "export.jsonl"))
    assert len(topics(imported)) == len(exported_events())
    assert all(topic.startswith(NEW_PREFIX) for topic in topics(imported))
    assert "chain intact: 16 events" in tokenledger(tmp_path, "ledger", "verify", "--store", str(imported))
    assert tokenledger(tmp_path, "projections", "verify", "--store", str(imported)).startswith("0 difference")
    again = tokenledger(tmp_path, "ledger", "export", "--store", str(imported))
    for line in map(json.loads, again.splitlines()):
        if "type" in line:
            assert line["type"].startswith(NEW_PREFIX), line
            assert line["data"].get("originator_topic", NEW_PREFIX).startswith(NEW_PREFIX), line
