"""OpenBao's ``bao`` command line (Vault's CLI) as a real client: the same commands against a real
``bao server -dev`` and a real ``tokenledger server --dev`` print the same thing.

Each scenario is a sequence of ``bao`` commands, run against both servers at once (one thread
each), each server with the same root token and its own ``HOME``. Their exit statuses, stderr lines
and output rows (the ``Key  Value`` table, ``-format=json`` flattened, lists, plain lines) are
compared row by row by ``tests/compat/cli_bao.py``: token and accessor values by shape and by which
earlier value they repeat, times by shape, TTL countdowns within a tolerance, the rest exactly.
A differing row fails the scenario unless ``ACCEPTED`` lists it with the reason it stays.
Where OpenBao and Vault differ, the expectation is Vault's.

Run with ``-s`` to see the tally of rows compared and each difference.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from scripts.servers import dev_server
from tests.compat.cli_bao import BaoCli, Difference, Masker, Outcome, Tally, compare, parse, same_value, shape
from tests.support.openbao import require_bao, running_openbao

Scenario = Callable[[BaoCli, Path], None]


@dataclass(frozen=True)
class Target:
    address: str
    home: Path


@dataclass(frozen=True)
class Pair:
    binary: str
    root: str
    openbao: Target
    tokenledger: Target
    files: Path  # inputs both runs read (policy files)


TALLY = Tally()


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    binary = require_bao()
    with running_openbao() as openbao, tempfile.TemporaryDirectory(prefix="tokenledger-bao-cli-") as scratch:
        base = Path(scratch)
        for name in ("home-openbao", "home-tokenledger", "files"):
            (base / name).mkdir()
        with dev_server(openbao.root_token, base / "ledger.db") as ledger:
            yield Pair(binary, openbao.root_token, Target(openbao.address, base / "home-openbao"),
                       Target(ledger.url, base / "home-tokenledger"), base / "files")
    print(f"\nbao CLI rows compared: {TALLY.rows}, identical: {TALLY.identical}, "
          f"different: {len(TALLY.differences)}")
    for difference in TALLY.differences:
        listed = ACCEPTED.get((difference.label, difference.key), "not listed: its scenario fails or is xfailed")
        print(f"  {difference}  [{listed}]")


def run_both(pair: Pair, scenario: Scenario) -> tuple[list[Outcome], list[Outcome]]:
    clis = [BaoCli(pair.binary, target.address, pair.root, target.home) for target in (pair.openbao, pair.tokenledger)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        for running in [pool.submit(scenario, cli, pair.files) for cli in clis]:
            running.result()
    return clis[0].outcomes, clis[1].outcomes


# Rows that differ, (command label, row key) -> why: "kept" where tokenledger differs on purpose,
# "open" where it should answer as Vault does but the fix is not the command line's (the API's).
ACCEPTED: dict[tuple[str, str], str] = {
    ("create with id", "stderr"): "kept: Vault warns that a custom token ID is hashed with SHA1 rather than "
                                  "the SHA2-256 HMAC; tokenledger hashes every token alike, so the warning "
                                  "would be untrue",
    ("read default", "policy text"): "kept: tokenledger's built-in default policy names only the paths it serves "
                                     "(tokens, capabilities, control groups, OIDC authorize); Vault's also "
                                     "grants cubbyhole, leases, wrapping and tools, which tokenledger has not",
}


def check(pair: Pair, scenario: Scenario,
          custom: dict[str, Callable[[Outcome, Outcome], list[Difference]]] | None = None) -> None:
    openbao, tokenledger = run_both(pair, scenario)
    tally = Tally()
    compare(openbao, tokenledger, pair.root, pair.root, tally, custom)
    TALLY.rows += tally.rows
    TALLY.identical += tally.identical
    TALLY.differences.extend(tally.differences)
    unexpected = [str(d) for d in tally.differences if (d.label, d.key) not in ACCEPTED]
    assert not unexpected, "\n".join(unexpected)


# ------------------------------------------------------------------------------- token create


def create_table(cli: BaoCli, files: Path) -> None:
    made = cli("create", "token", "create", "-policy", "web", "-policy=db,ops", "-ttl", "1h", "-use-limit", "3",
               "-metadata", "team=a", "-metadata=env=prod", "-display-name", "ci")
    cli("lookup created", "token", "lookup", made.value("token"))
    cli("create field", "token", "create", "-policy=default", "-renewable=false", "-field=token_renewable")
    cli("create without default policy", "token", "create", "-no-default-policy", "-policy=web")
    cli("create ttl over explicit max", "token", "create", "-policy=default", "-ttl=2h", "-explicit-max-ttl=30m")
    cli("create periodic", "token", "create", "-policy=default", "-period=1h")
    cli("create through write", "write", "auth/token/create", "policies=default", "ttl=1h", "num_uses=1")
    cli("create with id", "token", "create", "-id=cli-chosen-token-id", "-policy=default")
    cli("lookup id", "token", "lookup", "cli-chosen-token-id")


def test_create_table(pair: Pair) -> None:
    check(pair, create_table)


def create_json(cli: BaoCli, files: Path) -> None:
    made = cli("create json", "token", "create", "-format=json", "-orphan", "-period", "30m",
               "-explicit-max-ttl=2h", "-metadata", "k=v", "-renewable=true", json_output=True)
    cli("lookup created", "token", "lookup", made.value("auth.client_token"))
    cli("lookup created json", "token", "lookup", "-format=json", made.value("auth.client_token"), json_output=True)


def test_create_json(pair: Pair) -> None:
    check(pair, create_json)


def create_batch(cli: BaoCli, files: Path) -> None:
    made = cli("create batch json", "token", "create", "-type=batch", "-ttl=5m", "-policy=default",
               "-format=json", json_output=True)
    cli("create batch table", "token", "create", "-type=batch", "-ttl=5m", "-policy=default")
    cli("lookup batch", "token", "lookup", made.value("auth.client_token"))
    cli("batch from root", "token", "create", "-type=batch")


def test_create_batch(pair: Pair) -> None:
    check(pair, create_batch)


def create_with_role(cli: BaoCli, files: Path) -> None:
    cli("write role", "write", "auth/token/roles/deploy", "allowed_policies=app,db", "orphan=true",
        "path_suffix=blue", "token_explicit_max_ttl=3h", "token_bound_cidrs=127.0.0.0/8,::1/128")
    made = cli("create with role", "token", "create", "-role=deploy", "-policy=app", "-ttl=1h")
    cli("lookup role token", "token", "lookup", made.value("token"))
    cli("create with role json", "token", "create", "-role=deploy", "-format=json", json_output=True)


def test_create_with_role(pair: Pair) -> None:
    check(pair, create_with_role)


def create_with_periodic_role(cli: BaoCli, files: Path) -> None:
    cli("write role", "write", "auth/token/roles/periodic", "allowed_policies=app", "token_period=1h")
    made = cli("create with role", "token", "create", "-role=periodic", "-policy=app")
    cli("renew role token", "token", "renew", "-increment=3h", made.value("token"))
    cli("lookup periodic role token", "token", "lookup", made.value("token"))
    cli("create with role and lesser period", "token", "create", "-role=periodic", "-period=30m")


def test_create_with_periodic_role(pair: Pair) -> None:
    check(pair, create_with_periodic_role)


# ------------------------------------------------------------------------------- token lookup


def lookup(cli: BaoCli, files: Path) -> None:
    child = cli("create child", "token", "create", "-ttl=1h", "-metadata", "team=a", "-policy=default")
    token, accessor = child.value("token"), child.value("token_accessor")
    cli("lookup self as child", "token", "lookup", token=token)
    cli("lookup by token", "token", "lookup", token)
    cli("lookup by accessor", "token", "lookup", "-accessor", accessor)
    cli("lookup by accessor json", "token", "lookup", "-format=json", "-accessor", accessor, json_output=True)
    cli("read lookup-self", "read", "auth/token/lookup-self", token=token)
    cli("lookup self json", "token", "lookup", "-format=json", token=token, json_output=True)
    cli("read lookup-self field", "read", "-field=policies", "auth/token/lookup-self", token=token)


def test_lookup(pair: Pair) -> None:
    check(pair, lookup)


def lookup_root(cli: BaoCli, files: Path) -> None:
    cli("lookup self as root", "token", "lookup")
    cli("read lookup-self as root", "read", "auth/token/lookup-self")


def test_lookup_of_the_dev_root_token(pair: Pair) -> None:
    check(pair, lookup_root)


# ------------------------------------------------------------------------------- token renew


def renew(cli: BaoCli, files: Path) -> None:
    child = cli("create", "token", "create", "-ttl=10m", "-explicit-max-ttl=5h", "-policy=default")
    token, accessor = child.value("token"), child.value("token_accessor")
    cli("renew token with increment", "token", "renew", "-increment=1h", token)
    cli("renew by accessor", "token", "renew", "-accessor", "-increment=20m", accessor)
    cli("renew by accessor json", "token", "renew", "-format=json", "-accessor", "-increment=25m", accessor,
        json_output=True)
    cli("renew self", "token", "renew", "-increment=90s", token=token)
    cli("renew self without increment", "token", "renew", token=token)
    cli("lookup renewed", "token", "lookup", token)
    fixed = cli("create not renewable", "token", "create", "-policy=default", "-renewable=false").value("token")
    cli("renew not renewable", "token", "renew", fixed)


def test_renew(pair: Pair) -> None:
    check(pair, renew)


# ------------------------------------------------------------------------------- token revoke


CREATOR = 'path "auth/token/create" {\n  capabilities = ["update"]\n}\n'


def revoke(cli: BaoCli, files: Path) -> None:
    cli("write creator policy", "policy", "write", "cli-creator", "-", stdin=CREATOR)
    parent = cli("create parent", "token", "create", "-policy=cli-creator").value("token")
    child = cli("create child", "token", "create", "-policy=default", token=parent).value("token")
    cli("revoke token", "token", "revoke", parent)
    cli("lookup revoked parent", "token", "lookup", parent)
    cli("lookup revoked child", "token", "lookup", child)

    by_accessor = cli("create for accessor", "token", "create", "-policy=default")
    cli("revoke by accessor", "token", "revoke", "-accessor", by_accessor.value("token_accessor"))
    cli("lookup revoked by accessor", "token", "lookup", by_accessor.value("token"))

    itself = cli("create for self", "token", "create", "-policy=default").value("token")
    cli("revoke self", "token", "revoke", "-self", token=itself)
    cli("lookup revoked self", "token", "lookup", itself)

    parent = cli("create orphaning parent", "token", "create", "-policy=cli-creator").value("token")
    child = cli("create orphaned child", "token", "create", "-policy=default", token=parent).value("token")
    cli("revoke mode orphan", "token", "revoke", "-mode=orphan", parent)
    cli("lookup orphaned child", "token", "lookup", child)


def test_revoke(pair: Pair) -> None:
    check(pair, revoke)


# ------------------------------------------------------------------------------- capabilities


CAPS_POLICY = 'path "secret/*" {\n  capabilities = ["read", "create"]\n}\n'


def capabilities(cli: BaoCli, files: Path) -> None:
    cli("write policy", "policy", "write", "cli-caps", "-", stdin=CAPS_POLICY)
    holder = cli("create holder", "token", "create", "-policy=cli-caps").value("token")
    cli("root one path", "token", "capabilities", "secret/app")
    cli("of a token", "token", "capabilities", holder, "secret/app")
    cli("self as holder", "token", "capabilities", "secret/app", token=holder)
    cli("denied path", "token", "capabilities", holder, "other/path")
    cli("of a token json", "token", "capabilities", "-format=json", holder, "secret/app", json_output=True)
    cli("one path through write", "write", "sys/capabilities-self", "paths=secret/a", token=holder)


def test_capabilities(pair: Pair) -> None:
    check(pair, capabilities)


def capabilities_of_several_paths(cli: BaoCli, files: Path) -> None:
    holder = cli("create holder", "token", "create", "-policy=cli-caps").value("token")
    cli("several paths self", "write", "sys/capabilities-self", "paths=secret/a,other/b,auth/token/create",
        token=holder)
    cli("several paths of a token", "write", "sys/capabilities", f"token={holder}", "paths=secret/a,other/b")
    cli("several paths json", "write", "-format=json", "sys/capabilities-self", "paths=secret/a,other/b",
        token=holder, json_output=True)


def test_capabilities_of_several_paths(pair: Pair) -> None:
    check(pair, capabilities_of_several_paths)


# ------------------------------------------------------------------------------- policies


DEPLOYER = 'path "auth/token/create/deploy" {\n  capabilities = ["update"]\n}\n'
LOOKER = json.dumps({"path": {"auth/token/lookup": {"capabilities": ["update"]}}})


def policies(cli: BaoCli, files: Path) -> None:
    cli("write from file", "policy", "write", "deployer", str(files / "deployer.hcl"))
    cli("write from stdin", "policy", "write", "looker", "-", stdin=LOOKER)
    cli("read hcl", "policy", "read", "deployer")
    cli("read json policy", "policy", "read", "looker")
    cli("read as json", "policy", "read", "-format=json", "deployer", json_output=True)
    cli("list", "policy", "list")
    cli("list json", "policy", "list", "-format=json", json_output=True)
    cli("delete", "policy", "delete", "looker")
    cli("list after delete", "policy", "list")
    cli("read deleted", "policy", "read", "looker")
    cli("read default", "policy", "read", "default")


def same_default_policy(openbao: Outcome, tokenledger: Outcome) -> list[Difference]:
    """The built-in default policy: read alike, but its text is each server's own."""
    if (openbao.code, openbao.errors) != (tokenledger.code, tokenledger.errors):
        return [Difference(openbao.label, "exit", f"{openbao.code} {openbao.errors}",
                           f"{tokenledger.code} {tokenledger.errors}")]
    if openbao.stdout == tokenledger.stdout:
        return []
    return [Difference(openbao.label, "policy text", f"{len(openbao.rows)} lines", f"{len(tokenledger.rows)} lines")]


def test_policies(pair: Pair) -> None:
    (pair.files / "deployer.hcl").write_text(DEPLOYER)
    check(pair, policies, {"read default": same_default_policy})


# ------------------------------------------------------------------------------- roles, accessors


ROLE = ("allowed_policies=a,b", "orphan=true", "token_period=1h", "token_bound_cidrs=127.0.0.0/8")


def roles(cli: BaoCli, files: Path) -> None:
    cli("write role", "write", "auth/token/roles/generic", *ROLE)
    cli("list roles", "list", "auth/token/roles")
    cli("write role from stdin", "write", "auth/token/roles/generic", "-", stdin='{"token_period": "2h"}')
    cli("read one field", "read", "-field=token_period", "auth/token/roles/generic")
    cli("delete role", "delete", "auth/token/roles/generic")
    cli("read deleted role", "read", "auth/token/roles/generic")
    cli("list roles after delete", "list", "auth/token/roles")


def test_roles(pair: Pair) -> None:
    check(pair, roles)


def role_read(cli: BaoCli, files: Path) -> None:
    cli("write role", "write", "auth/token/roles/readable", *ROLE)
    cli("read role", "read", "auth/token/roles/readable")
    cli("read role json", "read", "-format=json", "auth/token/roles/readable", json_output=True)
    cli("delete role", "delete", "auth/token/roles/readable")


def test_role_read(pair: Pair) -> None:
    check(pair, role_read)


def accessors(cli: BaoCli, files: Path) -> None:
    cli("list accessors", "list", "auth/token/accessors")
    cli("list accessors json", "list", "-format=json", "auth/token/accessors", json_output=True)


def same_accessor_shapes(openbao: Outcome, tokenledger: Outcome) -> list[Difference]:
    """The accessors are random and unordered: the same exit, the same number, the same shapes."""
    def seen(outcome: Outcome) -> str:
        shapes = sorted(shape(value) for key, value in outcome.rows.items() if key.startswith(("keys.", "data.keys.")))
        others = sorted(key for key in outcome.rows if not key.startswith(("keys.", "data.keys.", "request_id")))
        return f"exit {outcome.code}, {len(shapes)} accessors {sorted(set(shapes))}, rows {others}"
    left, right = seen(openbao), seen(tokenledger)
    return [] if left == right else [Difference(openbao.label, "accessors", left, right)]


def test_accessors(pair: Pair) -> None:
    check(pair, accessors, {"list accessors": same_accessor_shapes, "list accessors json": same_accessor_shapes})


# ------------------------------------------------------------------------------- failures


def failures(cli: BaoCli, files: Path) -> None:
    cli("bad token", "token", "lookup", token="hvs.NotAnyTokenAtAllHere1")
    cli("unknown token as argument", "token", "lookup", "hvs.NotAnyTokenAtAllHere2")
    limited = cli("create limited", "token", "create", "-policy=default").value("token")
    cli("denied policy list", "policy", "list", token=limited)
    cli("denied role read", "read", "auth/token/roles/generic", token=limited)
    cli("missing role create", "token", "create", "-role=nope")
    cli("missing role read", "read", "auth/token/roles/nope")
    cli("missing role delete", "delete", "auth/token/roles/nope")
    cli("missing policy read", "policy", "read", "nope")
    cli("revoke unknown accessor", "token", "revoke", "-accessor", "NotAnAccessorAtAll123456")
    cli("orphan without sudo", "token", "create", "-orphan", token=limited)
    cli("period without sudo", "token", "create", "-period=1h", token=limited)
    twice = cli("create use-limit 2", "token", "create", "-policy=default", "-use-limit=2").value("token")
    cli("use 1 of 2", "token", "lookup", token=twice)
    cli("use 2 of 2", "token", "lookup", token=twice)
    cli("use 3 of 2", "token", "lookup", token=twice)
    cli("bad duration", "token", "create", "-ttl=forever")
    cli("negative use limit", "write", "auth/token/create", "num_uses=-1")


def test_failures(pair: Pair) -> None:
    check(pair, failures)


def wrapped_errors(cli: BaoCli, files: Path) -> None:
    cli("renew unknown accessor", "token", "renew", "-accessor", "NotAnAccessorAtAll123456")
    cli("capabilities of an unknown token", "token", "capabilities", "hvs.NotAnyTokenAtAllHere3", "secret/a")


def test_wrapped_errors(pair: Pair) -> None:
    check(pair, wrapped_errors)


# ------------------------------------------------------------------------------- the comparison itself


def test_the_parser_reads_vaults_table_json_and_lists() -> None:
    table = "Key       Value\n---       -----\ntoken     hvs.abc\nmeta      map[a:b c]\n"
    assert parse(table, json_output=False) == {"token": "hvs.abc", "meta": "map[a:b c]"}
    assert parse("Keys\n----\nb\na\n", json_output=False) == {"keys.0": "b", "keys.1": "a"}
    assert parse("Success! Done\n", json_output=False) == {"line.0": "Success! Done"}
    printed = json.dumps({"data": {"keys": ["x"], "policies": ["a", "b"], "meta": {}}, "warnings": None})
    assert parse(printed, json_output=True) == {"data.keys.0": '"x"', "data.policies": '["a", "b"]',
                                                "data.meta": "{}", "warnings": "null"}


def test_values_that_differ_by_nature_compare_by_shape_or_within_a_tolerance() -> None:
    assert shape("s.vRobWGrFG50IVQkAOnOF0uOl") == shape("hvs.fZi3M2ImksstId0CiaBV8f3a") == "hvs.+base6224"
    assert shape("b." + "x-" * 60) == shape("hvb." + "y" * 300) == "hvb.+long"
    assert shape("2026-12-02T02:06:13.042051868Z") == shape("2026-12-02T02:06:13Z") != shape("2026-12-02 02:06")
    assert same_value("ttl", "59m55s", "1h") and not same_value("ttl", "59m", "1h")
    assert same_value("data.ttl", "3595", "3600") and not same_value("token_duration", "59m55s", "1h")
    assert same_value("creation_time", "1796177173", "1796177999") and not same_value("num_uses", "1", "2")


def test_tokens_are_masked_by_order_of_appearance() -> None:
    token, accessor = "hvs.AAAAAAAAAAAAAAAAAAAAAAAA", "acc0000000000000000000001"
    first = Outcome("create", 0, {"token": token, "token_accessor": accessor}, [], "")
    again = Outcome("lookup", 0, {"id": token, "policies": "[root]"}, [], "")
    masker = Masker(frozenset({"ROOT"}))
    masker.learn([first, again])
    assert masker(f"{token} and {accessor} and ROOT") == (
        "<1:hvs.+base6224> and <2:base6225> and ROOT")
    tally = Tally()
    compare([first, again], [first, again], "ROOT", "ROOT", tally)
    assert (tally.rows, tally.identical, tally.differences) == (8, 8, [])  # exit, stderr, 2 rows each
