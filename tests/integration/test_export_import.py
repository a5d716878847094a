"""``tokenledger ledger export`` and ``ledger import``: the log as JSON lines, restored into a new
store that answers every question the old one did; a bad file or a failure imports nothing."""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.postgres import fresh_schema
from tests.support.runtimes import ROOT_TOKEN, accept_frozen_time
from tests.support.vault_http import call, create, issue, let_create_tokens, write_policy
from tokenledger.application.ledger import TokenLedger
from tokenledger.cli.main import main
from tokenledger.projections import ledger_file, ledger_import
from tokenledger.projections.ledger_import import import_ledger
from tokenledger.projections.ledger_recorder import LedgerRecorder
from tokenledger.projections.read_model_store import ReadModelStore
from tokenledger.projections.replay import verify
from tokenledger.web.app import create_app, runtime_of
from tokenledger.wiring.settings import Settings


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TOKENLEDGER_CIPHER_KEY", "TOKENLEDGER_STORE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def new_store(store: str, tmp_path: Path) -> Iterator[str]:
    """Another store of the same kind as ``store``, empty (never opened)."""
    if store.startswith("postgresql://"):
        with fresh_schema() as url:
            yield url
    else:
        yield str(tmp_path / "restored.db")


# -- building a ledger worth restoring, and asking it everything --------------------------------


def build_ledger(client: FlaskClient) -> dict[str, list[str]]:
    """A tree of tokens, uses, renewals, revocations, an orphaning, a batch token, a token in a
    namespace, roles and policies written, rewritten and deleted, and a tidy run."""
    let_create_tokens(client)
    write_policy(client, "reader", 'path "secret/*" { capabilities = ["read"] }')
    write_policy(client, "doomed", 'path "x/*" { capabilities = ["read"] }')
    assert call(client, "DELETE", "sys/policy/doomed").status_code == 204
    write_policy(client, "reader", 'path "secret/*" { capabilities = ["read", "list"] }')
    assert call(client, "POST", "roles/deploy", body={"allowed_policies": "web,reader", "orphan": True,
                                                      "path_suffix": "blue", "token_period": "1h"}).status_code == 204
    assert call(client, "POST", "roles/gone").status_code == 204
    assert call(client, "DELETE", "roles/gone").status_code == 204

    parent = create(client, policies=["web"], meta={"team": "payments"}, display_name="ci-parent", ttl="2h")
    child = create(client, parent["auth"]["client_token"], policies=["web"], ttl="1h")
    grandchild = create(client, child["auth"]["client_token"], ttl="30m")
    second = create(client, parent["auth"]["client_token"], policies=["web"], ttl="1h")
    below_second = create(client, second["auth"]["client_token"], ttl="30m")
    deployed = call(client, "POST", "create/deploy", body={"policies": ["reader"]}).json
    limited = create(client, policies=["reader"], num_uses=3, meta={"k": "v"})
    renewed = create(client, policies=["reader"], ttl="1h", explicit_max_ttl="10h")
    revoked = create(client, policies=["reader"], ttl="1h")
    in_site = call(client, "POST", "create?site=eu", body={"ttl": "1h", "display_name": "eu"}).json
    batch = create(client, type="batch", ttl="1h", policies=["web"])

    assert call(client, "GET", "lookup-self", limited["auth"]["client_token"]).status_code == 200  # a use
    assert call(client, "POST", "renew", body={"token": renewed["auth"]["client_token"],
                                                "increment": "3h"}).status_code == 200
    assert call(client, "POST", "revoke", body={"token": revoked["auth"]["client_token"]}).status_code == 204
    assert call(client, "POST", "revoke-orphan", body={"token": second["auth"]["client_token"]}).status_code == 204
    assert call(client, "POST", "tidy").status_code == 202

    issued = [parent, child, grandchild, second, below_second, deployed, limited, renewed, revoked, in_site]
    return {
        "tokens": [ROOT_TOKEN, batch["auth"]["client_token"]] + [i["auth"]["client_token"] for i in issued],
        "accessors": [i["auth"]["accessor"] for i in issued],
        "children": [child["auth"]["client_token"], below_second["auth"]["client_token"]],
    }


def answers(client: FlaskClient, made: dict[str, list[str]]) -> dict[str, Any]:
    """Everything the API says about the ledger, but the remaining TTL (which moves with time)."""

    def seen(response: Any) -> Any:
        body = response.get_json(silent=True) or {}
        data = body.get("data")
        if isinstance(data, dict):
            data = {key: value for key, value in data.items() if key != "ttl"}
        return response.status_code, data, body.get("errors")

    site = {"X-Vault-Namespace": "eu"}
    result: dict[str, Any] = {
        "by_token": [seen(call(client, "POST", "lookup", body={"token": token})) for token in made["tokens"]],
        "by_token_in_site": [seen(call(client, "POST", "lookup", body={"token": token}, headers=site))
                             for token in made["tokens"]],
        "by_accessor": [seen(call(client, "POST", "lookup-accessor", body={"accessor": accessor}))
                        for accessor in made["accessors"]],
        "self": [seen(call(client, "GET", "lookup-self", token)) for token in made["children"]],
        "accessors": seen(call(client, "LIST", "accessors")),
        "accessors_in_site": seen(call(client, "LIST", "accessors", headers=site)),
        "roles": seen(call(client, "LIST", "roles")),
        "policies": seen(call(client, "GET", "sys/policy")),
    }
    for name in ("deploy", "gone"):
        result[f"role {name}"] = seen(call(client, "GET", f"roles/{name}"))
    for name in ("web", "reader", "doomed", "default"):
        result[f"policy {name}"] = seen(call(client, "GET", f"sys/policy/{name}"))
    return result


@contextmanager
def served(store: str, *, initialise: bool = False) -> Iterator[FlaskClient]:
    app = create_app(Settings(store=store))
    accept_frozen_time(runtime_of(app))
    if initialise:
        runtime_of(app).service.initialise(ROOT_TOKEN)
    try:
        yield app.test_client()
    finally:
        runtime_of(app).close()


@contextmanager
def opened_ledger(store: str) -> Iterator[TokenLedger]:
    ledger = TokenLedger(env=Settings(store=store).eventsourcing_env())
    try:
        yield ledger
    finally:
        ledger.close()


def log_of(store: str) -> list[tuple[int, str, int, str, dict[str, Any], bytes]]:
    """(position, aggregate, version, topic, decoded fields, stored bytes) of every event."""
    with opened_ledger(store) as ledger:
        notifications = ledger.recorder.select_notifications(start=None, limit=1_000_000)
        return [(n.id, str(n.originator_id), n.originator_version, n.topic,
                 dict(vars(ledger.mapper.to_domain_event(n))), n.state) for n in notifications]


def index_of(ledger: TokenLedger) -> ReadModelStore:
    recorder = ledger.recorder
    assert isinstance(recorder, LedgerRecorder)
    return recorder.read_model_store()


def keys_of(store: str) -> list[tuple[str, bytes]]:
    with opened_ledger(store) as ledger:
        return ledger_file.read_keys(index_of(ledger))


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        code = main(list(argv))
    except SystemExit as exit:  # argparse refusing the command line
        code = int(exit.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def export(capsys: pytest.CaptureFixture[str], store: str, *options: str) -> str:
    code, out, err = run_cli(capsys, "ledger", "export", "--store", store, *options)
    assert code == 0, err
    return out


def import_text(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, store: str,
                text: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    return run_cli(capsys, "ledger", "import", "--store", store)


# -- the round trip ----------------------------------------------------------------------------


def test_a_restored_store_answers_everything_as_the_original(
    client: FlaskClient, store: str, new_store: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = build_ledger(client)
    before = answers(client, made)
    text = export(capsys, store)

    code, out, err = import_text(capsys, monkeypatch, new_store, text)
    assert code == 0, err
    assert "imported" in out and "new positions" not in out

    with served(new_store) as restored:
        assert answers(restored, made) == before
        runtime = runtime_of(restored.application)
        assert verify(runtime.ledger, runtime.read_models) == []
    original, copy = log_of(store), log_of(new_store)
    assert [row[:5] for row in copy] == [row[:5] for row in original]  # positions too
    assert [row[5] for row in copy] == [row[5] for row in original]  # byte for byte, unencrypted
    assert keys_of(new_store) == keys_of(store)


def test_the_export_is_one_documented_json_object_a_line(
    client: FlaskClient, store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    build_ledger(client)
    lines = [json.loads(line) for line in export(capsys, store).splitlines()]
    keys = [line for line in lines if "key" in line]
    events = [line for line in lines if "key" not in line]
    assert lines[:len(keys)] == keys  # the keys come first
    assert sorted(key["key"] for key in keys) == ["batch-token-aes-gcm", "ledger-checkpoint-ed25519", "token-hmac"]
    assert all(set(key) == {"key", "material"} for key in keys)
    assert all(list(event) == ["position", "aggregate_id", "version", "type", "timestamp", "data"]
               for event in events)
    assert [event["position"] for event in events] == [row[0] for row in log_of(store)]
    renewal = next(event for event in events if event["type"] == "tokenledger.domain.token_events:TokenRenewed")
    assert renewal["timestamp"].endswith("Z") and renewal["data"]["expire_at"].endswith("Z")
    assert set(renewal["data"]) == {"increment", "ttl", "expire_at", "actor_accessor", "remote_addr"}
    created = next(event for event in events if event["data"].get("meta") == {"team": "payments"})
    assert created["type"] == "tokenledger.domain.token_events:TokenCreated"
    assert created["data"]["originator_topic"] == "tokenledger.domain.token:Token"
    assert isinstance(created["data"]["parent_id"], str) and len(created["data"]["parent_id"]) == 36

    without = export(capsys, store, "--without-keys").splitlines()
    assert [json.loads(line) for line in without] == events


def test_since_exports_the_events_from_that_instant_in_log_order(
    client: FlaskClient, store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    issue(client, policies=["web"], ttl="1h")
    time.sleep(0.01)
    since = datetime.now(UTC)
    time.sleep(0.01)
    later = create(client, policies=["web"], ttl="1h", meta={"when": "later"})
    call(client, "POST", "renew", body={"token": later["auth"]["client_token"], "increment": "2h"})

    everything = [json.loads(line) for line in export(capsys, store, "--without-keys").splitlines()]
    text = export(capsys, store, "--since", since.isoformat().replace("+00:00", "Z"))
    lines = [json.loads(line) for line in text.splitlines()]
    events = [line for line in lines if "key" not in line]
    expected = [event for event in everything
                if datetime.fromisoformat(event["timestamp"]) >= since]
    assert events == expected
    assert [event["type"].rsplit(":", 1)[1] for event in events] == ["TokenCreated", "TokenRenewed"]
    assert len(lines) - len(events) == 3  # the keys still come first

    code, _, err = run_cli(capsys, "ledger", "export", "--store", store, "--since", "2026-01-01T00:00:00")
    assert code == 2 and "UTC offset" in err


def test_a_since_export_imports_only_when_it_holds_whole_histories(
    client: FlaskClient, store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = issue(client, policies=["web"], ttl="1h")
    time.sleep(0.01)
    since = datetime.now(UTC).isoformat()
    call(client, "POST", "renew", body={"token": token, "increment": "2h"})
    text = export(capsys, store, "--since", since)
    code, _, err = import_text(capsys, monkeypatch, str(tmp_path / "partial.db"), text)
    assert code == 1
    assert "line 4: aggregate" in err and "starts at version 2" in err  # after three key lines


def test_positions_are_kept_where_the_file_has_gaps_and_renumbered_where_they_cannot_be(
    client: FlaskClient, store: str, new_store: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A PostgreSQL log has gaps where a save rolled back; an import into PostgreSQL keeps them."""
    issue(client, policies=["web"], ttl="1h")
    lines = export(capsys, store).splitlines()
    gapped = []
    for line in lines:
        item = json.loads(line)
        if "position" in item and item["position"] > 2:
            item["position"] += 10
        gapped.append(json.dumps(item))
    code, out, err = import_text(capsys, monkeypatch, new_store, "\n".join(gapped) + "\n")
    assert code == 0, err
    positions = [row[0] for row in log_of(new_store)]
    if new_store.startswith("postgresql://"):
        assert positions == [1, 2] + [p + 10 for p in range(3, len(positions) + 1)]
        assert "new positions" not in out
    else:  # SQLite numbers its rows itself: the order is kept, the gap is not
        assert positions == list(range(1, len(positions) + 1))
        assert "new positions" in out


# -- refusing, all or nothing ------------------------------------------------------------------


def corrupt(lines: list[str], number: int, change: Any) -> str:
    item = json.loads(lines[number - 1])
    changed = change(item)
    lines = list(lines)
    lines[number - 1] = changed if isinstance(changed, str) else json.dumps(changed)
    return "\n".join(lines) + "\n"


def _without(field: str) -> Any:
    def change(item: dict[str, Any]) -> dict[str, Any]:
        del item["data"][field]
        return item
    return change


def _with(path: tuple[str, ...], value: Any) -> Any:
    def change(item: dict[str, Any]) -> dict[str, Any]:
        target = item
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
        return item
    return change


CORRUPTIONS = {
    "bad JSON": (lambda item: json.dumps(item)[:-3], "not JSON"),
    "unknown type": (_with(("type",), "tokenledger.domain.token_events:TokenTeleported"), "unknown event type"),
    "type outside the domain": (_with(("type",), "os:system"), "unknown event type"),
    "missing field": (_without("accessor"), "needs the field(s) 'accessor'"),
    "unknown field": (_with(("data", "colour"), "red"), "has no field(s) 'colour'"),
    "bad UUID in the data": (_with(("data", "parent_id"), "not-a-uuid"), "field 'parent_id'"),
    "wrong field type": (_with(("data", "num_uses"), "five"), "field 'num_uses' must be an integer"),
    "position going back": (_with(("position",), 1), "'position' must be an integer greater"),
    "missing timestamp": (lambda item: {k: v for k, v in item.items() if k != "timestamp"}, "needs 'timestamp'"),
    "not an object": (lambda item: "[1, 2]", "not a JSON object"),
}


def test_a_bad_line_is_named_and_nothing_is_imported(
    client: FlaskClient, store: str, new_store: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build_ledger(client)
    lines = export(capsys, store).splitlines()
    # the last line is the tidy; the one before it, in this ledger, a token created with a parent
    number = max(i for i, line in enumerate(lines, 1) if '"parent_id":"' in line and "TokenCreated" in line)
    for name, (change, reason) in CORRUPTIONS.items():
        code, out, err = import_text(capsys, monkeypatch, new_store, corrupt(lines, number, change))
        assert code == 1, name
        assert f"line {number}: " in err and reason in err, (name, err)
        assert "nothing was imported" in err
        assert log_of(new_store) == [] and keys_of(new_store) == [], name


def test_a_failure_part_way_leaves_the_store_without_any_event(
    client: FlaskClient, store: str, new_store: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build_ledger(client)
    text = export(capsys, store)
    inserts = 0
    real_insert = ledger_import._insert

    def failing_insert(*args: Any) -> Any:
        nonlocal inserts
        inserts += 1
        if inserts == 3:
            raise RuntimeError("the disk is full")
        return real_insert(*args)

    monkeypatch.setattr(ledger_import, "_insert", failing_insert)
    with opened_ledger(new_store) as ledger, pytest.raises(RuntimeError, match="disk is full"):
        import_ledger(ledger, index_of(ledger), io.StringIO(text), batch_size=5)
    assert inserts == 3
    assert log_of(new_store) == [] and keys_of(new_store) == []
    with opened_ledger(new_store) as ledger:
        index = index_of(ledger)
        assert all(index.rows(table) == [] for table in ("token_lookup", "accessor_index", "acl_policies"))
        assert index.position() == 0

    monkeypatch.setattr(ledger_import, "_insert", real_insert)  # the retry starts from position 1
    with opened_ledger(new_store) as ledger:
        summary = import_ledger(ledger, index_of(ledger), io.StringIO(text), batch_size=5)
    assert summary.positions_preserved
    assert [row[:5] for row in log_of(new_store)] == [row[:5] for row in log_of(store)]


def test_a_store_with_events_is_refused(
    client: FlaskClient, store: str, new_store: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    issue(client, policies=["web"], ttl="1h")
    text = export(capsys, store)
    before = log_of(store)
    code, _, err = import_text(capsys, monkeypatch, store, text)
    assert code == 1 and "already has events" in err and "nothing was imported" in err
    assert log_of(store) == before

    with served(new_store, initialise=True) as fresh:  # its root token is an event
        assert call(fresh, "GET", "lookup-self").status_code == 200
    copy = tmp_path / "export.jsonl"
    copy.write_text(text)
    code, _, err = run_cli(capsys, "ledger", "import", "--store", new_store, "--file", str(copy))
    assert code == 1 and "already has events" in err


def test_an_opened_empty_store_takes_the_files_keys(
    client: FlaskClient, store: str, new_store: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A store opened by ``bootstrap`` and never initialised has keys of its own but no event:
    the import replaces them, or no restored token could be looked up by its value."""
    token = issue(client, policies=["web"], ttl="1h", meta={"who": "me"})
    text = export(capsys, store)
    app = create_app(Settings(store=new_store))
    runtime_of(app).close()
    assert keys_of(new_store) and keys_of(new_store) != keys_of(store)
    code, _, err = import_text(capsys, monkeypatch, new_store, text)
    assert code == 0, err
    assert keys_of(new_store) == keys_of(store)
    with served(new_store) as restored:
        assert call(restored, "GET", "lookup-self", token).json["data"]["meta"] == {"who": "me"}


def test_without_keys_the_tokens_are_restored_but_no_value_opens_them(
    client: FlaskClient, store: str, new_store: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An export without keys is for the record: the restored store has every token, found by
    accessor, but hashes values with keys of its own, so no value (not even the root token's)
    authenticates."""
    made = create(client, policies=["web"], ttl="1h")
    text = export(capsys, store, "--without-keys")
    assert '"key"' not in text
    code, _, err = import_text(capsys, monkeypatch, new_store, text)
    assert code == 0 and "no keys" in err
    with served(new_store) as restored:
        index = runtime_of(restored.application).read_models
        assert index.token_id_for_accessor(made["auth"]["accessor"]) is not None
        assert call(restored, "GET", "lookup-self", made["auth"]["client_token"]).status_code == 403
        assert call(restored, "GET", "lookup-self", ROOT_TOKEN).status_code == 403


def test_a_key_line_after_an_event_or_twice_is_refused(
    client: FlaskClient, store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = export(capsys, store).splitlines()
    moved = lines[1:4] + lines[:1] + lines[4:]  # three keys, then events
    code, _, err = import_text(capsys, monkeypatch, str(tmp_path / "a.db"), "\n".join(moved))
    assert code == 1 and "line 4: key lines must come before the first event" in err
    twice = lines[:1] + lines
    code, _, err = import_text(capsys, monkeypatch, str(tmp_path / "b.db"), "\n".join(twice))
    assert code == 1 and "line 2: key" in err and "given twice" in err
    bad = [json.dumps({"key": "token-hmac", "material": "not base64!"})] + lines[2:]
    code, _, err = import_text(capsys, monkeypatch, str(tmp_path / "c.db"), "\n".join(bad))
    assert code == 1 and "line 1: the material of key 'token-hmac' is not base64" in err


def test_a_sqlite_export_restores_into_postgresql(
    client: FlaskClient, store: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    if store.startswith("postgresql://"):
        pytest.skip("one direction is enough: the SQLite run exports, PostgreSQL imports")
    made = build_ledger(client)
    before = answers(client, made)
    text = export(capsys, store)
    with fresh_schema() as url:
        code, _, err = import_text(capsys, monkeypatch, url, text)
        assert code == 0, err
        with served(url) as restored:
            assert answers(restored, made) == before
        assert [row[:5] for row in log_of(url)] == [row[:5] for row in log_of(store)]
