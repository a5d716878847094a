"""Tamper evidence: the hash chain over the log, and ``tokenledger ledger verify``."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from tests.support.chain import (
    a_few_tokens,
    about,
    chain_rows,
    create,
    event_at,
    positions,
    tamper,
    verify,
)
from tests.support.runtimes import ROOT_TOKEN, accept_frozen_time, event_count
from tokenledger.cli.main import main
from tokenledger.domain.caller import Caller
from tokenledger.domain.errors import InvalidRequest
from tokenledger.projections import registry
from tokenledger.projections.hash_chain import (
    GENESIS,
    TABLE,
    ChainError,
    link,
)
from tokenledger.projections.replay import rebuild
from tokenledger.wiring.bootstrap import Runtime, bootstrap
from tokenledger.wiring.settings import Settings

# -- the encoding -------------------------------------------------------------------------------


# -- an intact chain ----------------------------------------------------------------------------


def test_every_save_is_chained_and_the_chain_verifies(runtime: Runtime, root: Caller) -> None:
    a_few_tokens(runtime, root)

    for batch_size in (1000, 3, 1):
        report = verify(runtime, batch_size)
        assert report.intact, report.lines()
        assert (report.start, report.head, report.verified, report.unchained) == (
            1, max(positions(runtime)), event_count(runtime), 0)

    expected = GENESIS
    for notification in runtime.ledger.recorder.select_notifications(start=None, limit=1_000_000):
        expected = link(expected, notification.id, notification)
    assert report.head_hash == expected
    assert report.lines() == [f"chain intact: {report.verified} events from position 1 to {report.head}; "
                              f"head hash {expected.hex()}"]


def test_the_chain_is_not_a_read_model(runtime: Runtime, root: Caller) -> None:
    a_few_tokens(runtime, root)
    assert TABLE not in registry.tables()

    rebuild(runtime.ledger, runtime.read_models)

    assert verify(runtime).intact


def test_a_failed_save_leaves_no_chain_entry(runtime: Runtime, root: Caller) -> None:
    create(runtime, root, custom_id="only-once")
    before = (event_count(runtime), chain_rows(runtime))

    with pytest.raises(InvalidRequest, match="duplicate ID"):
        create(runtime, root, custom_id="only-once")

    assert (event_count(runtime), chain_rows(runtime)) == before
    create(runtime, root)
    assert verify(runtime).intact


# -- tampering ----------------------------------------------------------------------------------


def test_an_event_edited_in_the_database_is_caught_at_its_position(runtime: Runtime, root: Caller) -> None:
    a_few_tokens(runtime, root)
    target = positions(runtime)[4]

    tamper(runtime, "UPDATE {events} SET state = ? WHERE {id} = ?", b'{"ttl": 999999}', target)

    report = verify(runtime)
    assert not report.intact
    assert report.problem == f"{about(runtime, target)} does not match its hash: altered or reordered"
    assert (report.head, report.verified) == (target - 1, target - 1)


def test_editing_the_plain_sqlite_file_is_caught(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "ledger.db")
    runtime = accept_frozen_time(bootstrap(Settings(store=store)))
    runtime.service.initialise(ROOT_TOKEN)
    root = runtime.service.authenticate(ROOT_TOKEN, "127.0.0.1")
    a_few_tokens(runtime, root)
    runtime.close()
    with sqlite3.connect(store) as connection:
        oid, version, state = connection.execute(
            "SELECT originator_id, originator_version, state FROM stored_events WHERE rowid = 4").fetchone()
        assert b'"web"' in state
        connection.execute("UPDATE stored_events SET state = ? WHERE rowid = 4", (state.replace(b'"web"', b'"WEB"'),))
    connection.close()

    assert main(["ledger", "verify", "--store", store]) == 1
    assert capsys.readouterr().out.splitlines()[0] == (
        f"event at position 4 (aggregate {UUID(oid)}, version {version}) does not match its hash: altered or reordered")


def test_a_deleted_event_is_missing(runtime: Runtime, root: Caller) -> None:
    a_few_tokens(runtime, root)
    target = positions(runtime)[3]

    tamper(runtime, "DELETE FROM {events} WHERE {id} = ?", target)

    assert verify(runtime).problem == f"event at position {target} is missing"


def test_a_deleted_event_and_its_chain_entry_break_the_chain(runtime: Runtime, root: Caller) -> None:
    a_few_tokens(runtime, root)
    target = positions(runtime)[3]

    tamper(runtime, "DELETE FROM {events} WHERE {id} = ?", target)
    tamper(runtime, f"DELETE FROM {TABLE} WHERE position = ?", target)

    problem = verify(runtime).problem
    assert problem == (f"{about(runtime, target + 1)} does not match its hash: altered or reordered, "
                       f"or chained events between positions {target - 1} and {target + 1} were removed")


def test_swapped_states_are_caught_at_the_first(runtime: Runtime, root: Caller) -> None:
    a_few_tokens(runtime, root)
    first, second = positions(runtime)[2], positions(runtime)[5]

    tamper(runtime, "UPDATE {events} SET state = (SELECT state FROM {events} WHERE {id} = ?) WHERE {id} = ?",
           second, first)

    assert verify(runtime).problem == f"{about(runtime, first)} does not match its hash: altered or reordered"


def test_swapped_events_are_reported_as_reordered(runtime: Runtime, root: Caller) -> None:
    a_few_tokens(runtime, root)
    first, second = positions(runtime)[2], positions(runtime)[5]

    for old, new in ((first, -1), (second, first), (-1, second)):
        tamper(runtime, "UPDATE {events} SET {id} = ? WHERE {id} = ?", new, old)

    expected = f"{about(runtime, first)} was chained at position {second}: reordered"
    assert verify(runtime, batch_size=4).problem == expected


def test_an_event_inserted_outside_the_ledger_has_no_chain_entry(runtime: Runtime, root: Caller) -> None:
    a_few_tokens(runtime, root)
    copied = positions(runtime)[-1]
    forged: Any = uuid4().hex if not runtime.settings.is_postgres else uuid4()

    tamper(runtime, "INSERT INTO {events} (originator_id, originator_version, topic, state) "
                    "SELECT ?, 1, topic, state FROM {events} WHERE {id} = ?", forged, copied)
    forged_at = positions(runtime)[-1]
    create(runtime, root)  # later saves chain past it

    report = verify(runtime)
    assert report.problem == f"{about(runtime, forged_at)} has no chain entry: inserted outside the ledger"
    assert event_at(runtime, forged_at).originator_id == UUID(str(forged))


def test_a_log_cut_short_refuses_further_saves_on_sqlite(tmp_path: Path) -> None:
    """SQLite reuses the rowid of a deleted last event: the chain already covers it."""
    runtime = accept_frozen_time(bootstrap(Settings(store=str(tmp_path / "ledger.db"))))
    try:
        runtime.service.initialise(ROOT_TOKEN)
        root = runtime.service.authenticate(ROOT_TOKEN, "127.0.0.1")
        create(runtime, root)
        last = positions(runtime)[-1]
        tamper(runtime, "DELETE FROM {events} WHERE {id} = ?", last)

        with pytest.raises(ChainError, match=f"already covers position {last}"):
            create(runtime, root)

        assert positions(runtime)[-1] == last - 1
        assert verify(runtime).problem == f"event at position {last} is missing"
    finally:
        runtime.close()


# -- stores older than the chain ----------------------------------------------------------------


def test_events_recorded_before_the_chain_existed_are_reported_not_failed(settings: Settings) -> None:
    runtime = accept_frozen_time(bootstrap(settings))
    runtime.service.initialise(ROOT_TOKEN)
    root = runtime.service.authenticate(ROOT_TOKEN, "127.0.0.1")
    a_few_tokens(runtime, root)
    old = event_count(runtime)
    for table in ("{chain}", "{genesis}"):  # as a store written before the chain existed
        tamper(runtime, f"DROP TABLE {table}")
    runtime.close()

    runtime = accept_frozen_time(bootstrap(settings))
    try:
        assert verify(runtime).lines() == [f"{old} events carry no chain entries (recorded before the chain "
                                           "existed)", "chain intact: no event is chained yet"]
        root = runtime.service.authenticate(ROOT_TOKEN, "127.0.0.1")
        create(runtime, root)
        create(runtime, root)

        report = verify(runtime, batch_size=2)
        start = positions(runtime)[old]
        assert report.intact and (report.unchained, report.start, report.verified) == (old, start, 2)
        assert report.lines()[0] == (f"{old} events before position {start} carry no chain entries "
                                     "(recorded before the chain existed)")
    finally:
        runtime.close()


# -- the command --------------------------------------------------------------------------------


def test_the_command_exits_0_when_intact_and_1_when_tampered(
    runtime: Runtime, root: Caller, capsys: pytest.CaptureFixture[str]
) -> None:
    a_few_tokens(runtime, root)
    store = runtime.settings.store

    assert main(["ledger", "verify", "--store", store]) == 0
    assert capsys.readouterr().out.startswith("chain intact: ")

    tamper(runtime, "UPDATE {events} SET topic = ? WHERE {id} = ?", "tokenledger.domain.token_events:TokenRevoked", 2)
    assert main(["ledger", "verify", "--store", store]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [f"{about(runtime, 2)} does not match its hash: altered or reordered",
                   f"the chain holds up to position 1 (hash {link(GENESIS, 1, event_at(runtime, 1)).hex()})"]


def test_the_command_refuses_a_missing_or_unreadable_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere.db"
    assert main(["ledger", "verify", "--store", str(missing)]) == 2
    assert not missing.exists()
    assert capsys.readouterr().err == f"tokenledger: no store at {missing}\n"

    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    assert main(["ledger", "verify", "--store", str(garbage)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tokenledger: cannot read the store: ") and err.count("\n") == 1
