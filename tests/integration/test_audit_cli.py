"""``tokenledger audit`` and ``projections rebuild`` from a terminal, against a real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from freezegun import freeze_time

from tests.support.runtimes import ROOT_TOKEN, accept_frozen_time
from tokenledger.cli.main import main
from tokenledger.domain.commands import CreateToken
from tokenledger.wiring.bootstrap import bootstrap
from tokenledger.wiring.settings import Settings


@pytest.fixture
def ledger_file(tmp_path: Path) -> tuple[str, str]:
    """A store where a token was created at 10:00:00, renewed at 10:00:02, revoked at 10:00:05."""
    store = str(tmp_path / "ledger.db")
    runtime = accept_frozen_time(bootstrap(Settings(store=store)))
    try:
        runtime.service.initialise(ROOT_TOKEN)
        with freeze_time("2026-04-01 10:00:00") as clock:
            root = runtime.service.authenticate(ROOT_TOKEN, "192.0.2.1")
            issued = runtime.service.create(root, CreateToken(policies=("web",), ttl=3600))
            clock.move_to("2026-04-01 10:00:02")
            runtime.service.renew(root, issued.client_token, 7200)
            clock.move_to("2026-04-01 10:00:05")
            runtime.service.revoke(root, issued.client_token)
    finally:
        runtime.close()
    return store, issued.view.accessor


def test_history_lists_the_events(ledger_file: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    store, accessor = ledger_file
    assert main(["audit", "history", accessor, "--store", store, "-format", "json"]) == 0
    events = json.loads(capsys.readouterr().out)["events"]
    assert [e["type"] for e in events] == ["TokenCreated", "TokenRenewed", "TokenRevoked"]
    assert events[0]["remote_addr"] == "192.0.2.1"
    assert main(["audit", "history", accessor, "--store", store]) == 0
    table = capsys.readouterr().out
    assert "TokenRenewed" in table and "3 of 3" in table


def test_as_of_before_and_after_revocation(ledger_file: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    store, accessor = ledger_file
    for instant, status in (("2026-04-01T10:00:04Z", "live"), ("2026-04-01T10:00:05Z", "revoked")):
        assert main(["audit", "as-of", instant, accessor, "--store", store, "--format", "json"]) == 0
        assert json.loads(capsys.readouterr().out)["status"] == status


@pytest.mark.parametrize(("arguments", "message"), [
    (["audit", "as-of", "noon", "ACCESSOR"], "TIME must be an RFC 3339 time"),
    (["audit", "history", "no-such-accessor"], "invalid accessor"),
])
def test_bad_input_is_one_line_and_a_non_zero_exit(ledger_file: tuple[str, str], arguments: list[str],
                                                    message: str, capsys: pytest.CaptureFixture[str]) -> None:
    store, accessor = ledger_file
    arguments = [accessor if a == "ACCESSOR" else a for a in arguments]
    assert main([*arguments, "--store", store]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1 and "Traceback" not in error


def test_rebuild_reports_what_it_replayed(ledger_file: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    store, _ = ledger_file
    assert main(["projections", "rebuild", "--store", store]) == 0
    assert "rebuilt the read models from 5 events" in capsys.readouterr().out
    assert main(["projections", "verify", "--store", store]) == 0
