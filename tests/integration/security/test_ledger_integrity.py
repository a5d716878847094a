"""Issue 13, findings 7 and 8: the hash chain cannot be switched off, a recorded head catches a
log cut short, and ``ledger verify`` writes nothing to the store it verifies."""

from __future__ import annotations

import gc
import sqlite3
from contextlib import closing
from pathlib import Path

import psycopg
import pytest
from flask.testing import FlaskClient

from tests.support.chain import a_few_tokens, about, create, positions, tamper
from tests.support.postgres import SERVER_URL, fresh_schema
from tests.support.runtimes import ROOT_TOKEN, accept_frozen_time, event_count
from tests.support.vault_http import call, issue, write_policy
from tokenledger.cli.main import main
from tokenledger.domain.caller import Caller
from tokenledger.projections import registry
from tokenledger.projections.hash_chain import GENESIS
from tokenledger.web.app import runtime_of
from tokenledger.wiring.bootstrap import Runtime, bootstrap
from tokenledger.wiring.settings import Settings

Capture = pytest.CaptureFixture[str]


def ledger(capsys: Capture, *arguments: str) -> tuple[int, list[str], str]:
    """Run ``tokenledger ledger ...``: exit code, lines printed, error text."""
    capsys.readouterr()
    code = main(["ledger", *arguments])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def recorded_head(capsys: Capture, store: str) -> tuple[str, str]:
    """The checkpoint and its signature, as an operator records them from ``ledger head``."""
    code, lines, err = ledger(capsys, "head", "--store", store)
    assert code == 0, err
    signature = next(line.split(" ", 1)[1] for line in lines if line.startswith("signature "))
    return lines[0], signature


# -- finding 7: the chain cannot be switched off ------------------------------------------------


def test_emptying_the_chain_table_then_editing_an_event_fails_verify(
    runtime: Runtime, root: Caller, capsys: Capture
) -> None:
    a_few_tokens(runtime, root)
    store, target = runtime.settings.store, positions(runtime)[3]

    tamper(runtime, "DELETE FROM {chain}")
    tamper(runtime, "UPDATE {events} SET state = ? WHERE {id} = ?", b'{"ttl": 999999}', target)

    code, lines, _ = ledger(capsys, "verify", "--store", store)
    assert code == 1
    assert lines == ["the chain's genesis link at position 0 is missing: chain entries were removed or rewritten"]


def test_a_store_chained_from_its_creation_never_verifies_with_unchained_events(
    runtime: Runtime, root: Caller, capsys: Capture
) -> None:
    a_few_tokens(runtime, root)
    store = runtime.settings.store
    tamper(runtime, "DELETE FROM {chain}")
    tamper(runtime, "INSERT INTO {chain} (position, hash) VALUES (0, ?)", GENESIS)  # the genesis put back

    code, lines, _ = ledger(capsys, "verify", "--store", store)
    assert (code, lines) == (1, [f"{about(runtime, 1)} has no chain entry: inserted outside the ledger"])

    tamper(runtime, "DELETE FROM {genesis}")  # and its record removed as well
    code, lines, _ = ledger(capsys, "verify", "--store", store)
    assert (code, lines) == (1, ["the store's genesis record is missing (ledger_genesis is empty): "
                                 "the start of its hash chain was removed"])


def test_reopening_the_store_does_not_restart_an_emptied_chain(
    runtime: Runtime, root: Caller, settings: Settings, capsys: Capture
) -> None:
    a_few_tokens(runtime, root)
    tamper(runtime, "DELETE FROM {chain}")
    runtime.close()

    again = accept_frozen_time(bootstrap(settings))
    try:
        create(again, again.service.authenticate(ROOT_TOKEN, "127.0.0.1"))  # chained from nothing
        code, lines, _ = ledger(capsys, "verify", "--store", settings.store)
        assert code == 1 and lines[0].startswith("the chain's genesis link at position 0 is missing")
    finally:
        again.close()


def test_a_store_older_than_the_chain_still_verifies_with_its_events_unchained(
    runtime: Runtime, root: Caller, settings: Settings, capsys: Capture
) -> None:
    """Read as it is (``verify`` writes nothing), then opened, which records where its chain starts."""
    a_few_tokens(runtime, root)
    old = event_count(runtime)
    for table in ("{chain}", "{genesis}"):
        tamper(runtime, f"DROP TABLE IF EXISTS {table}")
    runtime.close()

    code, lines, _ = ledger(capsys, "verify", "--store", settings.store)
    assert (code, lines) == (0, [f"{old} events carry no chain entries (recorded before the chain existed)",
                                 "chain intact: no event is chained yet"])

    again = accept_frozen_time(bootstrap(settings))
    try:
        create(again, again.service.authenticate(ROOT_TOKEN, "127.0.0.1"))
        code, lines, _ = ledger(capsys, "verify", "--store", settings.store)
        assert code == 0 and lines[0].startswith(f"{old} events before position ")
        tamper(again, "DELETE FROM {chain}")  # from now on, its chain cannot be switched off either
        code, lines, _ = ledger(capsys, "verify", "--store", settings.store)
        assert code == 1 and lines[-1].startswith(f"the chain's genesis link at position {positions(again)[old - 1]}")
    finally:
        again.close()


def test_a_store_chained_before_genesis_records_gets_its_genesis_at_0(
    runtime: Runtime, root: Caller, settings: Settings, capsys: Capture
) -> None:
    """A store written by the version that chained every save but recorded no genesis."""
    a_few_tokens(runtime, root)
    tamper(runtime, "DROP TABLE IF EXISTS {genesis}")
    tamper(runtime, "DELETE FROM {chain} WHERE position = 0")
    runtime.close()

    again = accept_frozen_time(bootstrap(settings))
    try:
        code, lines, _ = ledger(capsys, "verify", "--store", settings.store)
        assert code == 0 and lines[0].startswith("chain intact: ") and " from position 1 " in lines[0]
        tamper(again, "DELETE FROM {chain}")
        assert ledger(capsys, "verify", "--store", settings.store)[0] == 1
    finally:
        again.close()


# -- finding 8: a log cut short -------------------------------------------------------------------


def cut_off(runtime: Runtime, position: int) -> None:
    """Remove the event at ``position`` and its chain link, as truncating the log would."""
    tamper(runtime, "DELETE FROM {events} WHERE {id} = ?", position)
    tamper(runtime, "DELETE FROM {chain} WHERE position = ?", position)


def test_a_log_cut_short_passes_verify_but_not_against_its_recorded_head(
    runtime: Runtime, root: Caller, capsys: Capture
) -> None:
    a_few_tokens(runtime, root)
    store = runtime.settings.store
    head, signature = recorded_head(capsys, store)
    assert ledger(capsys, "verify", "--store", store, "--expect-head", head, "--signature", signature)[:2] == (
        0, [ledger(capsys, "verify", "--store", store)[1][0], f"expected head {head}: held"])
    last = positions(runtime)[-1]

    for position in positions(runtime)[-3:]:
        cut_off(runtime, position)

    assert ledger(capsys, "verify", "--store", store)[0] == 0  # what is left is a valid chain
    code, lines, _ = ledger(capsys, "verify", "--store", store, "--expect-head", head)
    assert code == 1
    assert lines[0] == (f"the log ends at position {last - 3}, before the expected head {head}: "
                         "events were removed from its end")


def test_a_log_cut_short_then_written_on_fails_against_its_recorded_head(capsys: Capture) -> None:
    """PostgreSQL: later saves take new positions (SQLite reuses the removed ones and refuses
    the save: ``test_ledger_chain``)."""
    with fresh_schema() as store:
        runtime = accept_frozen_time(bootstrap(Settings(store=store)))
        try:
            runtime.service.initialise(ROOT_TOKEN)
            root = runtime.service.authenticate(ROOT_TOKEN, "127.0.0.1")
            a_few_tokens(runtime, root)
            head, _ = recorded_head(capsys, store)
            position = positions(runtime)[-1]
            cut_off(runtime, position)
            create(runtime, root)

            assert ledger(capsys, "verify", "--store", store)[0] == 0
            code, lines, _ = ledger(capsys, "verify", "--store", store, "--expect-head", head)
            assert (code, lines[0]) == (1, f"the chain has no link at position {position}: "
                                           f"the expected head {head} is not in this log")
        finally:
            runtime.close()


def test_a_rewritten_link_and_a_foreign_signature_fail_against_the_recorded_head(
    runtime: Runtime, root: Caller, capsys: Capture
) -> None:
    a_few_tokens(runtime, root)
    store = runtime.settings.store
    head, signature = recorded_head(capsys, store)
    forged = "0" * 64 + "@" + head.split("@")[1]

    code, lines, _ = ledger(capsys, "verify", "--store", store, "--expect-head", forged)
    assert code == 1 and lines[0].endswith(f"not the expected {'0' * 64}: the log up to there was rewritten")
    code, lines, _ = ledger(capsys, "verify", "--store", store, "--expect-head", forged, "--signature", signature)
    assert code == 1 and lines[0].startswith(f"the signature of {forged} was not made with this store's key")

    tamper(runtime, "UPDATE {keys} SET material = ? WHERE name = 'ledger-checkpoint-ed25519'", b"\x07" * 32)
    code, lines, _ = ledger(capsys, "verify", "--store", store, "--expect-head", head, "--signature", signature)
    assert code == 1 and lines[0].endswith("it is another store's, or the key was replaced")


def test_a_malformed_expected_head_is_a_usage_error(runtime: Runtime, capsys: Capture) -> None:
    store = runtime.settings.store
    for text in ("abc@1", "0" * 64, "0" * 64 + "@-1", "0" * 64 + "@x"):
        code, lines, err = ledger(capsys, "verify", "--store", store, "--expect-head", text)
        assert (code, lines) == (2, []) and err.startswith("tokenledger: a checkpoint is HASH@POSITION")
    code, _, err = ledger(capsys, "verify", "--store", store, "--expect-head", "0" * 64 + "@0", "--signature", "zz")
    assert code == 2 and "signature is 128 hex digits" in err


# -- the checkpoint endpoint ----------------------------------------------------------------------


def test_the_head_endpoint_answers_the_same_signed_checkpoint_as_the_command(
    client: FlaskClient, settings: Settings, capsys: Capture
) -> None:
    issue(client, policies=["web"])
    response = call(client, "GET", "sys/ledger/head")
    assert response.status_code == 200, response.json
    data = response.json["data"]
    head, signature = recorded_head(capsys, settings.store)
    assert data["checkpoint"] == head == f"{data['hash']}@{data['position']}"
    assert data["signature"] == signature and data["algorithm"] == "ed25519"
    assert data["time"].endswith("Z") and len(data["public_key"]) == 64
    assert ledger(capsys, "verify", "--store", settings.store, "--expect-head", data["checkpoint"],
                  "--signature", data["signature"])[0] == 0


def test_the_head_endpoint_reports_an_emptied_chain(client: FlaskClient) -> None:
    issue(client, policies=["web"])
    tamper(runtime_of(client.application), "DELETE FROM {chain}")

    response = call(client, "GET", "sys/ledger/head")
    assert (response.status_code, response.json) == (500, {"errors": [
        "the hash chain has no link, not even its genesis: run `tokenledger ledger verify`"]})


def test_the_head_endpoint_needs_sudo_on_its_path(client: FlaskClient) -> None:
    write_policy(client, "reader", 'path "sys/ledger/head" { capabilities = ["read"] }')
    write_policy(client, "checkpointer", 'path "sys/ledger/head" { capabilities = ["read", "sudo"] }')
    for policy, status in (("web", 403), ("reader", 403), ("checkpointer", 200)):
        token = issue(client, policies=[policy])
        assert call(client, "GET", "sys/ledger/head", token).status_code == status, policy
    assert call(client, "GET", "sys/ledger/head", "").status_code == 403
    elsewhere = call(client, "GET", "sys/ledger/head", headers={"X-Vault-Namespace": "team"})
    assert elsewhere.status_code == 403  # one chain for the whole store: the root namespace only


# -- verify is read-only ------------------------------------------------------------------------


def qualified(runtime: Runtime, table: str) -> str:
    return f'"{runtime.settings.store.rsplit("schema=", 1)[1]}".{table}' if runtime.settings.is_postgres else table


def postgres_rows(store: str) -> bytes:
    """Every row of every table of the store's schema, as text, in a stable order."""
    schema = store.rsplit("schema=", 1)[1]
    with psycopg.connect(SERVER_URL) as connection:
        tables = sorted(row[0] for row in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)))
        return b"\n".join(table.encode() + b"\0" + b"\0".join(sorted(
            row[0].encode() for row in connection.execute(f'SELECT t::text FROM "{schema}"."{table}" t')))
            for table in tables)


def store_state(settings: Settings) -> bytes:
    """Every byte of the store; for SQLite, once every write is checkpointed into the file
    (connections of closed runtimes that the collector has yet to close would do it later)."""
    if settings.is_postgres:
        return postgres_rows(settings.store)
    gc.collect()
    with closing(sqlite3.connect(settings.store)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    path = Path(settings.store)
    return b"".join(file.name.encode() + b"\0" + file.read_bytes()
                    for file in sorted(path.parent.glob(path.name + "*")) if not file.name.endswith(("-lock", "-shm")))


def test_verify_writes_nothing_even_with_the_read_models_behind(
    runtime: Runtime, root: Caller, settings: Settings, capsys: Capture
) -> None:
    a_few_tokens(runtime, root)
    for table in registry.tables():  # the read models behind the log, as after a crash mid-rebuild
        tamper(runtime, f"DELETE FROM {qualified(runtime, table)}")
    tamper(runtime, "UPDATE {positions} SET position = 0 WHERE name = 'indexes'")
    runtime.close()
    before = store_state(settings)

    assert ledger(capsys, "verify", "--store", settings.store)[0] == 0
    assert store_state(settings) == before

    assert ledger(capsys, "head", "--store", settings.store)[0] == 0
    assert store_state(settings) == before


def test_verify_creates_nothing_in_a_store_older_than_the_chain(
    runtime: Runtime, root: Caller, settings: Settings, capsys: Capture
) -> None:
    a_few_tokens(runtime, root)
    for table in ("{chain}", "{genesis}", "{keys}"):
        tamper(runtime, f"DROP TABLE IF EXISTS {table}")
    runtime.close()
    before = store_state(settings)

    assert ledger(capsys, "verify", "--store", settings.store)[0] == 0
    assert store_state(settings) == before

    assert ledger(capsys, "head", "--store", settings.store)[:2] == (2, [])
    assert store_state(settings) == before
