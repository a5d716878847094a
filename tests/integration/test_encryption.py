"""Encryption at rest: ``TOKENLEDGER_CIPHER_KEY`` encrypts every event's state (AES-256-GCM); a
wrong or missing key is refused with a clear message, a malformed one is a settings error."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from eventsourcing.cryptography import AESCipher
from flask.testing import FlaskClient

from tests.support.postgres import fresh_schema
from tests.support.runtimes import ROOT_TOKEN, accept_frozen_time
from tests.support.stores import store_bytes
from tests.support.vault_http import call, create, write_policy
from tokenledger.application.ledger import TokenLedger
from tokenledger.cli.main import main
from tokenledger.projections.ledger_file import LedgerUnreadableError, check_readable
from tokenledger.web.app import create_app, runtime_of
from tokenledger.wiring.bootstrap import bootstrap
from tokenledger.wiring.settings import Settings

KEY = AESCipher.create_key(32)
OTHER_KEY = AESCipher.create_key(32)
DECRYPT_MESSAGE = "cannot decrypt the ledger: is TOKENLEDGER_CIPHER_KEY the key it was written with?"
# Distinctive values, so a scan of the stored bytes finds them or not, and nothing else.
META_VALUE = "meta-value-kingfisher"
DISPLAY_NAME = "display-name-ocelot"
POLICY_NAME = "policy-name-narwhal"
POLICY_PATH = "secret/path-quokka"
ROLE_NAME = "role-name-axolotl"
IN_CLEAR = (META_VALUE, DISPLAY_NAME, POLICY_NAME, POLICY_PATH, ROLE_NAME)


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TOKENLEDGER_CIPHER_KEY", "TOKENLEDGER_STORE"):
        monkeypatch.delenv(name, raising=False)


@contextmanager
def served(store: str, key: str | None) -> Iterator[FlaskClient]:
    app = create_app(Settings(store=store, cipher_key=key))
    accept_frozen_time(runtime_of(app)).service.initialise(ROOT_TOKEN)
    try:
        yield app.test_client()
    finally:
        runtime_of(app).close()


def write_distinctive_things(client: FlaskClient) -> str:
    write_policy(client, POLICY_NAME, f'path "{POLICY_PATH}" {{ capabilities = ["read"] }}')
    assert call(client, "POST", f"roles/{ROLE_NAME}", body={"allowed_policies": POLICY_NAME}).status_code == 204
    made = create(client, policies=[POLICY_NAME], meta={"team": META_VALUE}, display_name=DISPLAY_NAME)
    token: str = made["auth"]["client_token"]
    assert call(client, "POST", "renew", body={"token": token, "increment": "1h"}).status_code == 200
    return token


@contextmanager
def opened_ledger(store: str, key: str | None) -> Iterator[TokenLedger]:
    ledger = TokenLedger(env=Settings(store=store, cipher_key=key).eventsourcing_env())
    try:
        yield ledger
    finally:
        ledger.close()


def event_states(store: str) -> bytes:
    """The events' state exactly as stored."""
    with opened_ledger(store, None) as ledger:
        notifications = ledger.recorder.select_notifications(start=None, limit=1_000_000)
        return b"\n".join(n.state for n in notifications)


@pytest.mark.parametrize("key", [KEY, None], ids=["with a key", "without"])
def test_a_key_encrypts_every_events_state(store: str, key: str | None) -> None:
    with served(store, key) as client:
        token = write_distinctive_things(client)
        assert call(client, "GET", "lookup-self", token).json["data"]["meta"] == {"team": META_VALUE}
    stored = event_states(store)
    found = [value for value in IN_CLEAR if value.encode() in stored]
    assert found == ([] if key else list(IN_CLEAR))  # without a key they are there: the scan is real
    with opened_ledger(store, key) as ledger:
        check_readable(ledger)  # and the right key reads them back
    if key:
        with served(store, key) as client:  # a restart with the key serves the same tokens
            assert call(client, "GET", "lookup-self", token).json["data"]["display_name"] == f"token-{DISPLAY_NAME}"


def test_without_a_key_the_sqlite_files_hold_it_in_clear(tmp_path: Path) -> None:
    """The scan of the files is real: without a key it finds what the encrypted log hides."""
    store = str(tmp_path / "plain.db")
    with served(store, None) as client:
        write_distinctive_things(client)
        stored = store_bytes(store)
    assert [value for value in IN_CLEAR if value.encode() in stored] == list(IN_CLEAR)


def test_a_wrong_key_is_refused_clearly(store: str) -> None:
    with served(store, KEY) as client:
        write_distinctive_things(client)
    with opened_ledger(store, OTHER_KEY) as ledger, pytest.raises(LedgerUnreadableError) as refused:
        check_readable(ledger)
    assert str(refused.value) == DECRYPT_MESSAGE
    with opened_ledger(store, None) as ledger, pytest.raises(LedgerUnreadableError) as refused:
        check_readable(ledger)
    assert "it looks encrypted" in str(refused.value) and "TOKENLEDGER_CIPHER_KEY" in str(refused.value)


def test_bootstrap_refuses_a_wrong_key_before_serving_anything(store: str) -> None:
    """The read models are up to date, so the start-up catch-up decodes nothing: only the
    check finds the wrong key, before a request would."""
    with served(store, KEY) as client:
        write_distinctive_things(client)
    try:
        runtime = bootstrap(Settings(store=store, cipher_key=OTHER_KEY))
    except LedgerUnreadableError as refused:
        assert str(refused) == DECRYPT_MESSAGE
    else:
        runtime.close()
        raise AssertionError("bootstrap() opened a ledger it cannot read")


def test_a_key_on_a_ledger_written_without_one_is_refused(store: str) -> None:
    """Turning encryption on for an existing store would mix plain and encrypted events."""
    with served(store, None) as client:
        write_distinctive_things(client)
    with opened_ledger(store, KEY) as ledger, pytest.raises(LedgerUnreadableError, match="cannot decrypt"):
        check_readable(ledger)


def test_an_empty_ledger_is_readable_with_any_key(tmp_path: Path) -> None:
    with opened_ledger(str(tmp_path / "empty.db"), KEY) as ledger:
        check_readable(ledger)


def test_the_cli_says_why_it_cannot_read_the_store(
    store: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with served(store, KEY) as client:
        write_distinctive_things(client)
    monkeypatch.setenv("TOKENLEDGER_CIPHER_KEY", OTHER_KEY)
    assert main(["ledger", "export", "--store", store]) == 1
    captured = capsys.readouterr()
    assert DECRYPT_MESSAGE in captured.err and captured.out == ""
    assert OTHER_KEY not in captured.err and KEY not in captured.err


def test_export_decrypts_and_import_encrypts_with_the_new_stores_key(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Export, then import under another key: the way to change a store's key."""
    with served(store, KEY) as client:
        token = write_distinctive_things(client)
    monkeypatch.setenv("TOKENLEDGER_CIPHER_KEY", KEY)
    assert main(["ledger", "export", "--store", store]) == 0
    exported = capsys.readouterr().out
    assert META_VALUE in exported

    with _another_store(store, tmp_path) as target:
        monkeypatch.setenv("TOKENLEDGER_CIPHER_KEY", OTHER_KEY)
        monkeypatch.setattr(sys, "stdin", io.StringIO(exported))
        assert main(["ledger", "import", "--store", target]) == 0
        assert not [value for value in IN_CLEAR if value.encode() in event_states(target)]
        with opened_ledger(target, KEY) as ledger, pytest.raises(LedgerUnreadableError):
            check_readable(ledger)
        app = create_app(Settings(store=target, cipher_key=OTHER_KEY))
        try:
            client = app.test_client()
            data = call(client, "GET", "lookup-self", token).json["data"]
            assert data["meta"] == {"team": META_VALUE} and data["policies"] == ["default", POLICY_NAME]
        finally:
            runtime_of(app).close()


@contextmanager
def _another_store(store: str, tmp_path: Path) -> Iterator[str]:
    if store.startswith("postgresql://"):
        with fresh_schema() as url:
            yield url
    else:
        yield str(tmp_path / "rekeyed.db")


def test_the_cli_refuses_a_malformed_key(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    monkeypatch.setenv("TOKENLEDGER_CIPHER_KEY", "c2hvcnQ=")
    with pytest.raises(SystemExit) as exited:
        main(["ledger", "export", "--store", str(tmp_path / "x.db")])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "must decode to 32 bytes" in err and "c2hvcnQ=" not in err


def test_settings_choose_the_cipher_whatever_the_process_environment_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The library would read ``TOKENLEDGER_CIPHER_KEY`` from the environment by itself (it is
    ``<application name>_CIPHER_KEY``), with its slower default cipher: the settings decide."""
    monkeypatch.setenv("TOKENLEDGER_CIPHER_KEY", KEY)
    settings = Settings.from_env().with_overrides(store=str(tmp_path / "a.db"))
    assert settings.cipher_key == KEY and KEY not in repr(settings)
    assert settings.eventsourcing_env()["CIPHER_TOPIC"] == "eventsourcing.cryptography:AESCipher"
    with opened_ledger(settings.store, settings.cipher_key) as ledger:
        assert isinstance(ledger.mapper.cipher, AESCipher)
    with opened_ledger(str(tmp_path / "b.db"), None) as ledger:  # Settings(store=...) without a key
        assert ledger.mapper.cipher is None
    monkeypatch.setenv("TOKENLEDGER_CIPHER_KEY", "  ")
    assert Settings.from_env().cipher_key is None  # empty means unset
