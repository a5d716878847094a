"""``tokenledger token|policy``, the Vault-style CLI, against a real server over HTTP: every command
in table and JSON form, and every kind of bad input as one line on stderr with a non-zero exit."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from scripts.servers import dev_server, free_port
from tests.support.paths import REPO
from tokenledger.cli.main import main

ROOT = "vault-cli-root-token"
ENVIRONMENT = ("TOKENLEDGER_ADDR", "TOKENLEDGER_TOKEN", "TOKENLEDGER_NAMESPACE", "VAULT_NAMESPACE",
               "VAULT_FORMAT", "VAULT_CACERT", "VAULT_SKIP_VERIFY", "VAULT_CLIENT_TIMEOUT")


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def table(self) -> dict[str, str]:
        """Vault's ``Key  Value`` table as a dict (header lines dropped)."""
        lines = self.out.strip().splitlines()
        assert lines[:2] == [lines[0], lines[1]] and lines[0].split() == ["Key", "Value"], self.out
        rows = [re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in lines[2:]]
        return {row[0]: row[1] if len(row) > 1 else "" for row in rows}

    @property
    def json(self) -> dict[str, Any]:
        loaded = json.loads(self.out)
        assert isinstance(loaded, dict)
        return loaded

    def assert_one_line_error(self, code: int, *fragments: str) -> None:
        assert self.code == code, (self.code, self.out, self.err)
        assert self.out == ""
        assert "Traceback" not in self.err
        assert len(self.err.strip().splitlines()) == 1, self.err
        for fragment in fragments:
            assert fragment in self.err, self.err


Run = Callable[..., Result]


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with dev_server(ROOT, tmp_path_factory.mktemp("vault-cli") / "ledger.db") as server:
        yield server.url


@pytest.fixture
def cli(server_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    for variable in ENVIRONMENT:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("VAULT_ADDR", server_url)
    monkeypatch.setenv("VAULT_TOKEN", ROOT)

    def run(*argv: str, stdin: str | None = None, env: dict[str, str | None] | None = None) -> Result:
        with monkeypatch.context() as scoped:
            for variable, value in (env or {}).items():
                if value is None:
                    scoped.delenv(variable, raising=False)
                else:
                    scoped.setenv(variable, value)
            if stdin is not None:
                scoped.setattr("sys.stdin", io.StringIO(stdin))
            capsys.readouterr()
            try:
                code = main(list(argv))
            except SystemExit as exit:
                code = int(exit.code or 0)
            out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


def api(server_url: str, method: str, path: str, body: dict[str, Any] | None = None,
        token: str = ROOT) -> requests.Response:
    return requests.request(method, f"{server_url}/v1/{path}", json=body, timeout=10,
                            headers={"X-Vault-Token": token})


def created(cli: Run, *flags: str) -> dict[str, Any]:
    result = cli("token", "create", "-format=json", *flags)
    assert result.code == 0, result.err
    auth: dict[str, Any] = result.json["auth"]
    return auth


# -- token create ---------------------------------------------------------------------------


def test_create_prints_vaults_table(cli: Run, server_url: str) -> None:
    result = cli("token", "create", "-policy", "web", "-policy=db,ops", "-ttl", "1h", "-use-limit", "3",
                 "-metadata", "team=a", "--metadata=env=prod", "-display-name", "ci")
    assert result.code == 0, result.err
    table = result.table
    assert list(table)[:7] == ["token", "token_accessor", "token_duration", "token_renewable",
                               "token_policies", "identity_policies", "policies"]
    assert table["token"].startswith("hvs.")
    assert (table["token_duration"], table["token_renewable"]) == ("1h", "true")
    assert table["token_policies"] == table["policies"] == '["db" "default" "ops" "web"]'
    assert table["identity_policies"] == "[]"
    assert (table["token_meta_env"], table["token_meta_team"]) == ("prod", "a")
    assert 'Policy "web" does not exist' in result.err  # the server's warnings, on stderr

    looked_up = api(server_url, "POST", "auth/token/lookup", {"token": table["token"]}).json()["data"]
    assert looked_up["accessor"] == table["token_accessor"]
    assert (looked_up["num_uses"], looked_up["display_name"]) == (3, "token-ci")
    assert looked_up["meta"] == {"team": "a", "env": "prod"}
    assert 3590 <= looked_up["ttl"] <= 3600


def test_create_json_is_the_api_response(cli: Run, server_url: str) -> None:
    result = cli("token", "create", "-format=json", "-orphan", "-period", "30m", "-explicit-max-ttl=2h",
                 "-metadata", "k=v", "-renewable=true")
    assert result.code == 0, result.err
    body = result.json
    direct = api(server_url, "POST", "auth/token/create", {"period": "30m", "no_parent": True}).json()
    assert list(body) == list(direct)
    assert list(body["auth"]) == list(direct["auth"])
    auth = body["auth"]
    assert (auth["orphan"], auth["lease_duration"], auth["renewable"]) == (True, 1800, True)
    assert auth["metadata"] == {"k": "v"} and auth["policies"] == ["root"]
    looked_up = api(server_url, "POST", "auth/token/lookup", {"token": auth["client_token"]}).json()["data"]
    assert (looked_up["period"], looked_up["explicit_max_ttl"], looked_up["orphan"]) == (1800, 7200, True)


def test_create_with_id_type_and_no_default_policy(cli: Run, server_url: str) -> None:
    custom = created(cli, "-id", "cli-custom-token-id", "-policy", "web", "-no-default-policy")
    assert custom["client_token"] == "cli-custom-token-id" and custom["policies"] == ["web"]
    batch = created(cli, "-type=batch", "-ttl=5m", "-policy=web")
    assert batch["client_token"].startswith("hvb.") and batch["renewable"] is False
    assert cli("token", "create", "-renewable=false", "-field", "token_renewable").out == "false\n"
    token = cli("token", "create", "-field=token").out.strip()
    assert token.startswith("hvs.") and "\n" not in token


# -- token lookup ---------------------------------------------------------------------------


def test_lookup_self_by_token_and_by_accessor(cli: Run, server_url: str) -> None:
    own = cli("token", "lookup")
    # a dev server's -dev-root-token-id token: Vault creates it at auth/token/create
    assert own.code == 0 and (own.table["id"], own.table["display_name"]) == (ROOT, "token")
    assert own.table["path"] == "auth/token/create"
    assert own.table["policies"] == "[root]" and own.table["ttl"] == "0s"

    child = created(cli, "-ttl", "1h", "-metadata", "team=a")
    by_token = cli("token", "lookup", child["client_token"]).table
    assert by_token["accessor"] == child["accessor"] and by_token["creation_ttl"] == "1h"
    assert by_token["meta"] == "map[team:a]" and by_token["entity_id"] == "n/a"

    by_accessor = cli("token", "lookup", "-accessor", child["accessor"]).table
    assert by_accessor["id"] == "n/a" and by_accessor["path"] == "auth/token/create"

    from_stdin = cli("token", "lookup", "-", "-field=accessor", stdin=child["client_token"] + "\n")
    assert from_stdin.out.strip() == child["accessor"]

    printed = cli("token", "lookup", "-format=json", "-accessor", child["accessor"]).json
    direct = api(server_url, "POST", "auth/token/lookup-accessor", {"accessor": child["accessor"]}).json()
    assert list(printed) == list(direct)
    assert {**printed["data"], "ttl": 0} == {**direct["data"], "ttl": 0}


# -- token renew ----------------------------------------------------------------------------


def test_renew_by_token_by_accessor_and_self(cli: Run, server_url: str) -> None:
    child = created(cli, "-ttl", "10m")
    by_token = cli("token", "renew", child["client_token"], "-increment", "1h")
    assert by_token.code == 0 and by_token.table["token_duration"] == "1h"
    assert by_token.table["token_accessor"] == child["accessor"]

    by_accessor = cli("token", "renew", "-accessor", child["accessor"], "-i=20m", "-format=json")
    assert by_accessor.json["auth"]["lease_duration"] == 1200

    itself = cli("token", "renew", "-increment=90s", env={"VAULT_TOKEN": child["client_token"]})
    assert itself.code == 0 and itself.table["token_duration"] == "1m30s"
    assert api(server_url, "POST", "auth/token/lookup", {"token": child["client_token"]}).json()["data"][
        "ttl"] <= 90


# -- token revoke ---------------------------------------------------------------------------


def _alive(server_url: str, token: str) -> bool:
    return api(server_url, "GET", "auth/token/lookup-self", token=token).status_code == 200


def test_revoke_by_token_self_accessor_and_orphan_mode(cli: Run, server_url: str) -> None:
    parent = created(cli)
    grandchild = api(server_url, "POST", "auth/token/create", {}, token=parent["client_token"]).json()["auth"]
    result = cli("token", "revoke", parent["client_token"])
    assert (result.code, result.out) == (0, "Success! Revoked token (if it existed)\n")
    assert not _alive(server_url, parent["client_token"]) and not _alive(server_url, grandchild["client_token"])

    itself = created(cli)
    assert cli("token", "revoke", "-self", env={"VAULT_TOKEN": itself["client_token"]}).code == 0
    assert not _alive(server_url, itself["client_token"])

    by_accessor = created(cli)
    assert cli("token", "revoke", "-accessor", by_accessor["accessor"]).code == 0
    assert not _alive(server_url, by_accessor["client_token"])

    parent = created(cli)
    child = api(server_url, "POST", "auth/token/create", {}, token=parent["client_token"]).json()["auth"]
    assert cli("token", "revoke", "-mode=orphan", parent["client_token"]).code == 0
    assert not _alive(server_url, parent["client_token"]) and _alive(server_url, child["client_token"])
    assert api(server_url, "GET", "auth/token/lookup-self", token=child["client_token"]).json()["data"]["orphan"]


# -- token capabilities ---------------------------------------------------------------------


def test_capabilities_of_self_and_of_a_token(cli: Run, server_url: str) -> None:
    policy = 'path "secret/*" { capabilities = ["read", "create"] }'
    assert api(server_url, "PUT", "sys/policies/acl/cli-caps", {"policy": policy}).status_code == 204
    holder = created(cli, "-policy", "cli-caps")["client_token"]

    assert cli("token", "capabilities", "secret/app").out == "root\n"
    assert cli("token", "capabilities", holder, "secret/app").out == "create, read\n"
    assert cli("token", "capabilities", "secret/app", env={"VAULT_TOKEN": holder}).out == "create, read\n"
    assert cli("token", "capabilities", holder, "other/path").out == "deny\n"
    printed = cli("token", "capabilities", "-format=json", holder, "secret/app").json
    assert sorted(printed["data"]["secret/app"]) == ["create", "read"]
    # the answer's keys, with the path's (Vault repeats data at the top level here)
    answered = api(server_url, "POST", "sys/capabilities-self", {"paths": ["x"]}).json()
    assert set(printed) - {"secret/app"} == set(answered) - {"x"}


# -- token role -----------------------------------------------------------------------------


def test_roles_write_read_list_delete(cli: Run, server_url: str) -> None:
    written = cli("token", "role", "write", "deploy", "allowed_policies=app,db", "orphan=true",
                  "token_period=1h", "path_suffix=blue", "token_bound_cidrs=127.0.0.0/8",
                  "token_bound_cidrs=::1")
    assert (written.code, written.out) == (0, "Success! Data written to: auth/token/roles/deploy\n")

    read = cli("token", "role", "read", "deploy")
    assert read.code == 0
    assert (read.table["allowed_policies"], read.table["orphan"]) == ("[app db]", "true")
    assert (read.table["token_period"], read.table["path_suffix"]) == ("1h", "blue")
    assert read.table["token_bound_cidrs"] == "[127.0.0.0/8 ::1]"
    printed = cli("token", "role", "read", "deploy", "-format=json").json
    assert printed["data"] == api(server_url, "GET", "auth/token/roles/deploy").json()["data"]

    listed = cli("token", "role", "list")
    assert listed.out.splitlines()[:2] == ["Keys", "----"] and "deploy" in listed.out.splitlines()
    assert "deploy" in cli("token", "role", "list", "-format=json").json["data"]["keys"]

    issued = created(cli, "-role", "deploy", "-policy", "app")
    assert issued["orphan"] is True and issued["policies"] == ["app", "default"]

    assert cli("token", "role", "write", "deploy", "-", stdin='{"token_period": "2h"}').code == 0
    assert cli("token", "role", "read", "deploy", "-field", "token_period").out == "2h\n"

    deleted = cli("token", "role", "delete", "deploy")
    assert deleted.out == "Success! Data deleted (if it existed) at: auth/token/roles/deploy\n"
    cli("token", "role", "read", "deploy").assert_one_line_error(2, "No value found at auth/token/roles/deploy")


# -- policy ---------------------------------------------------------------------------------


def test_policies_write_from_file_and_stdin_read_list_delete(cli: Run, server_url: str,
                                                              tmp_path: Path) -> None:
    hcl = 'path "auth/token/create/deploy" {\n  capabilities = ["update"]\n}\n'
    source = tmp_path / "deployer.hcl"
    source.write_text(hcl)
    written = cli("policy", "write", "deployer", str(source))
    assert (written.code, written.out) == (0, "Success! Uploaded policy: deployer\n")
    as_json = json.dumps({"path": {"auth/token/lookup": {"capabilities": ["update"]}}})
    assert cli("policy", "write", "looker", "-", stdin=as_json).code == 0

    assert cli("policy", "read", "deployer").out == hcl.strip() + "\n"
    assert cli("policy", "read", "looker").out.strip() == as_json
    printed = cli("policy", "read", "deployer", "-format=json").json
    assert printed["data"] == api(server_url, "GET", "sys/policies/acl/deployer").json()["data"]
    names = cli("policy", "list").out.splitlines()
    assert {"default", "deployer", "looker"} <= set(names)
    assert "looker" in cli("policy", "list", "-format", "json").json["data"]["keys"]

    holder = created(cli, "-policy", "looker")["client_token"]
    assert cli("token", "capabilities", holder, "auth/token/lookup").out == "update\n"

    assert cli("policy", "delete", "looker").out == "Success! Deleted policy: looker\n"
    assert "looker" not in cli("policy", "list").out.splitlines()
    cli("policy", "read", "looker").assert_one_line_error(2, "No policy named: looker")


# -- where the server is, which token, which namespace --------------------------------------


def test_tokenledger_variables_win_and_namespace_is_sent(cli: Run, server_url: str) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    result = cli("token", "lookup", "-field", "id",
                 env={"VAULT_ADDR": nowhere, "VAULT_TOKEN": "hvs.wrong", "TOKENLEDGER_ADDR": server_url,
                      "TOKENLEDGER_TOKEN": ROOT})
    assert (result.code, result.out) == (0, f"{ROOT}\n")
    assert cli("token", "lookup", "-address", server_url, env={"VAULT_ADDR": nowhere}).code == 0

    in_eu = created(cli, "-namespace", "eu")["client_token"]
    assert in_eu.endswith(".eu")
    in_eu_env = cli("token", "create", "-field=token", env={"VAULT_NAMESPACE": "eu"}).out.strip()
    assert in_eu_env.endswith(".eu")
    assert cli("token", "create", "-field=token", "-ns", "").out.strip().count(".") == 1


# -- bad input: one line on stderr, a non-zero exit, never a traceback ----------------------


@pytest.mark.parametrize(("argv", "fragments"), [
    (["token", "create", "-bogus"], ["flag provided but not defined: -bogus"]),
    (["token", "lookup", "-tokn=hvs.secret-value"], ["flag provided but not defined: -tokn"]),
    (["token", "create", "-ttl", "forever"], ['invalid duration "forever"', "-ttl"]),
    (["token", "create", "-period=-5m"], ["must not be negative"]),
    (["token", "renew", "-increment", "1 hour"], ["invalid duration"]),
    (["token", "create", "-use-limit", "many"], ["-use-limit", "not a whole number"]),
    (["token", "create", "-orphan=maybe"], ['invalid boolean value "maybe" for flag -orphan']),
    (["token", "create", "-format=yaml"], ["-format", "invalid choice"]),
    (["token", "create", "-metadata", "novalue"], ["-metadata expects KEY=VALUE"]),
    (["token", "role", "write", "r", "token_period=soon"], ['invalid token_period: time: invalid duration']),
    (["token", "role", "write", "r", "orphan"], ['invalid key/value pair "orphan"']),
    (["token", "role"], ["required: ACTION"]),
    (["token", "revoke"], ["not enough arguments"]),
    (["token", "revoke", "-self", "-accessor"], ["-self takes no argument"]),
    (["token", "revoke", "-accessor", "-mode=orphan", "abc"], ["-accessor cannot be used with -mode"]),
    (["token", "lookup", "-accessor"], ["-accessor needs an ACCESSOR"]),
    (["token", "capabilities", "hvs.one-secret", "hvs.two-secret", "path"], ["too many arguments"]),
    (["policy", "write", "p"], ["required: FILE"]),
    (["token", "lookup", "hvs.first-secret", "hvs.extra-secret"], ["too many arguments"]),
])
def test_usage_errors_exit_2(cli: Run, argv: list[str], fragments: list[str]) -> None:
    result = cli(*argv)
    result.assert_one_line_error(2, *fragments)
    assert "secret" not in result.err


def test_missing_token_and_bad_address(cli: Run) -> None:
    cli("token", "lookup", env={"VAULT_TOKEN": None}).assert_one_line_error(
        2, "Error looking up token: no token: set VAULT_TOKEN")
    cli("token", "create", env={"VAULT_ADDR": "ftp://example"}).assert_one_line_error(
        2, 'invalid server address "ftp://example"')
    cli("token", "create", env={"VAULT_CLIENT_TIMEOUT": "soon"}).assert_one_line_error(
        2, "invalid VAULT_CLIENT_TIMEOUT")


def test_unreachable_server_exits_1(cli: Run) -> None:
    address = f"http://127.0.0.1:{free_port()}"
    result = cli("token", "create", "-policy", "web", env={"VAULT_ADDR": address})
    result.assert_one_line_error(1, f"Error creating token: server unreachable at {address}: connection refused")
    cli("policy", "list", env={"VAULT_ADDR": address}).assert_one_line_error(
        1, f"Error listing policies: server unreachable at {address}")


def test_server_refusals_exit_1_without_echoing_tokens(cli: Run, server_url: str, tmp_path: Path) -> None:
    forged = "hvs.forged-and-secret-token"
    result = cli("token", "lookup", env={"VAULT_TOKEN": forged})
    result.assert_one_line_error(1, "Error looking up token: Error making API request.",
                                 f"URL: GET {server_url}/v1/auth/token/lookup-self", "Code: 403.",
                                 "Errors: * permission denied")
    assert forged not in result.err

    creates = 'path "auth/token/create" { capabilities = ["update"] }'
    assert api(server_url, "PUT", "sys/policies/acl/cli-creator", {"policy": creates}).status_code == 204
    ordinary = created(cli, "-policy", "cli-creator")["client_token"]
    policy = tmp_path / "p.hcl"
    policy.write_text('path "*" { capabilities = ["sudo"] }')
    refused = cli("policy", "write", "escalate", str(policy), env={"VAULT_TOKEN": ordinary})
    refused.assert_one_line_error(1, "Error uploading policy:", "Code: 403.", "permission denied")
    assert ordinary not in refused.err

    invalid = cli("token", "create", "-policy", "admin", env={"VAULT_TOKEN": ordinary})
    invalid.assert_one_line_error(1, "Code: 400.", "child policies must be subset of parent")
    cli("token", "lookup", "hvs.nobody-has-this").assert_one_line_error(1, "Code: 403.")
    cli("policy", "write", "x", str(tmp_path / "missing.hcl")).assert_one_line_error(
        1, "Error uploading policy: cannot read", "No such file or directory")


def test_the_installed_command_reports_usage_errors_on_one_line() -> None:
    """Through the real entry point: argparse's exit is a clean status 2, not a traceback."""
    finished = subprocess.run([sys.executable, "-m", "tokenledger.cli", "token", "create", "-bogus"],
                              check=False, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert finished.returncode == 2 and finished.stdout == ""
    assert finished.stderr.strip().splitlines() == [
        "Error: flag provided but not defined: -bogus (see 'tokenledger token create -h')"]
