"""``tokenledger audit report`` from a terminal, against a real SQLite store: each report as a
table, CSV and JSON, and bad input as one line and a non-zero exit."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from freezegun import freeze_time

from tests.support.runtimes import ROOT_TOKEN, accept_frozen_time
from tokenledger.application.token_service import Access
from tokenledger.cli.main import main
from tokenledger.domain.commands import CreateToken
from tokenledger.wiring.bootstrap import bootstrap
from tokenledger.wiring.settings import Settings


@pytest.fixture
def ledger_file(tmp_path: Path) -> tuple[str, str]:
    """A periodic child of root created at 10:00, used from 192.0.2.1 at 10:00 and 192.0.2.2 at 10:05."""
    store = str(tmp_path / "ledger.db")
    runtime = accept_frozen_time(bootstrap(Settings(store=store)))
    try:
        runtime.service.initialise(ROOT_TOKEN)
        with freeze_time("2026-04-01 10:00:00") as clock:
            root = runtime.service.authenticate(ROOT_TOKEN, "192.0.2.1")
            issued = runtime.service.create(root, CreateToken(policies=("web",), period=3600))
            for address in ("192.0.2.1", "192.0.2.2"):
                caller = runtime.service.authenticate(issued.client_token, address)
                runtime.service.record_use(caller, Access("auth/token/lookup-self", "read"))
                clock.tick(300)
    finally:
        runtime.close()
    return store, issued.view.accessor


def test_a_report_as_a_table_csv_and_json(ledger_file: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    store, accessor = ledger_file
    assert main(["audit", "report", "addresses", "--store", store, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [row["accessor"] for row in data["rows"]] == [accessor] and data["total"] == 1
    assert data["rows"][0]["addresses"] == 2 and data["rows"][0]["last_used_remote_addr"] == "192.0.2.2"
    assert main(["audit", "report", "long-lived", "--store", store, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {row["accessor"]: row["reasons"] for row in rows}[accessor] == "periodic without an explicit max TTL"
    assert main(["audit", "report", "unused", "--since", "2026-04-01T10:01:00Z", "--store", store]) == 0
    table = capsys.readouterr().out
    assert "report unused" in table and accessor not in table  # used at 10:05
    assert main(["audit", "report", "counts", "--by", "policy", "--store", store, "--format", "csv"]) == 0
    assert "web,1" in capsys.readouterr().out


@pytest.mark.parametrize(("arguments", "message"), [
    (["audit", "report", "unused"], "since is required"),
    (["audit", "report", "counts", "--by", "colour"], "by must be one of"),
    (["audit", "report", "orphans", "--limit", "x"], "limit must be a whole number"),
])
def test_bad_input_is_one_line_and_a_non_zero_exit(ledger_file: tuple[str, str], arguments: list[str],
                                                    message: str, capsys: pytest.CaptureFixture[str]) -> None:
    store, _ = ledger_file
    assert main([*arguments, "--store", store]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1 and ROOT_TOKEN not in error
