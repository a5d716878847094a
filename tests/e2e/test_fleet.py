"""tokenledger servers on a real PostgreSQL fleet built here (a primary and hot standbys, streaming):
reads from replicas never show a stale state, and the loss of the primary costs a few 503s and no
acknowledged write."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from scripts.load_fleet import replica_scope_reads
from scripts.pg_fleet import Fleet, multi_host_url
from scripts.servers import Server, running
from tests.support.paths import REPO
from tests.support.pg_fleet import fleet
from tests.support.runtimes import ROOT_TOKEN
from tests.support.threads import Threads
from tokenledger.web.errors import STORE_UNAVAILABLE
from tokenledger.wiring.server import initialise_store
from tokenledger.wiring.settings import Settings

STORE_TIMEOUT = 2.0  # seconds: the longest a request waits for a primary before its 503
HTTP_TIMEOUT = 4 * STORE_TIMEOUT + 5  # a request that takes longer than this hung
RECOVERY_BOUND = 20.0  # seconds from the promotion to the first create served again
FIGURES = os.environ.get("TOKENLEDGER_FLEET_FIGURES")  # a file the failover test appends its figures to


def call(server: Server, method: str, path: str, token: str = ROOT_TOKEN, **body: Any) -> requests.Response:
    return requests.request(method, f"{server.url}/v1/{path}", json=body or None,
                            headers={"X-Vault-Token": token}, timeout=HTTP_TIMEOUT)


def create(server: Server, **body: Any) -> dict[str, Any]:
    response = call(server, "POST", "auth/token/create", policies=["default"], **body)
    assert response.status_code == 200, response.text
    auth: dict[str, Any] = response.json()["auth"]
    return auth


def lookup_self(server: Server, token: str) -> requests.Response:
    return call(server, "GET", "auth/token/lookup-self", token)


def replica_reads(server: Server) -> dict[str, float]:
    """How many of the server's reads in replica scopes went to a replica, and to the primary."""
    return replica_scope_reads([server], ROOT_TOKEN)


def servers_on(store: str, count: int, stack: ExitStack, **env: str) -> list[Server]:
    initialise_store(Settings(store=store), ROOT_TOKEN)
    settings = {"TOKENLEDGER_STORE_TIMEOUT": str(STORE_TIMEOUT), **env}
    return [stack.enter_context(running("--store", store, "--workers", "1", env=settings)) for _ in range(count)]


@pytest.fixture(scope="module")
def replicated() -> Iterator[tuple[Fleet, str, list[Server]]]:
    """A primary and a standby, and two servers that write to the primary and read from the standby;
    built once for the tests that take it: each works on tokens of its own, compares the replica
    metric with its own earlier reading, and leaves the standby replaying."""
    with fleet(standbys=1) as built, ExitStack() as stack:
        database = built.database("ledger")
        standby = built.standbys[0]
        store = multi_host_url([built.primary, standby], database)
        servers = servers_on(store, 2, stack, TOKENLEDGER_READ_REPLICAS=standby.url(database),
                             TOKENLEDGER_REPLICA_WAIT_SECONDS="0.5")
        yield built, store, servers


def test_what_any_server_writes_every_server_reads_and_a_revoke_is_refused_everywhere_at_once(
    replicated: tuple[Fleet, str, list[Server]],
) -> None:
    _, _, (a, b) = replicated
    for round_ in range(20):
        writer, reader = (a, b) if round_ % 2 == 0 else (b, a)
        auth = create(writer, meta={"round": str(round_)})
        seen = lookup_self(reader, auth["client_token"])
        assert seen.status_code == 200, seen.text
        assert seen.json()["data"]["meta"] == {"round": str(round_)}
        assert call(reader, "POST", "auth/token/revoke-accessor", accessor=auth["accessor"]).status_code == 204
        for server in (writer, reader):
            refused = lookup_self(server, auth["client_token"])
            assert refused.status_code == 403, (round_, refused.text)
    assert replica_reads(a)["replica"] > 0 and replica_reads(b)["replica"] > 0


def test_a_replica_that_falls_behind_serves_nothing_stale(replicated: tuple[Fleet, str, list[Server]]) -> None:
    built, _, (a, b) = replicated
    standby = built.standbys[0]
    before = create(a)
    assert lookup_self(b, before["client_token"]).status_code == 200
    standby.pause_replay()
    try:
        from_primary = replica_reads(b)["primary"]
        created = create(a)
        assert call(a, "POST", "auth/token/revoke-accessor", accessor=before["accessor"]).status_code == 204
        assert standby.replay_lsn() < built.primary.current_lsn()
        assert lookup_self(b, created["client_token"]).status_code == 200  # the replica has not seen it
        assert lookup_self(b, before["client_token"]).status_code == 403  # the replica still holds it live
        assert replica_reads(b)["primary"] >= from_primary + 2
    finally:
        standby.resume_replay()
    replica_before = replica_reads(b)["replica"]
    deadline = time.monotonic() + 10
    while replica_reads(b)["replica"] == replica_before and time.monotonic() < deadline:
        assert lookup_self(b, created["client_token"]).status_code == 200
    assert replica_reads(b)["replica"] > replica_before  # caught up: used again


@dataclass
class Answer:
    at: float
    status: int
    seconds: float
    body: str


class CreateStream(Threads):
    """Writer threads creating tokens through several servers, keeping every answer."""

    def __init__(self, servers: list[Server], writers_per_server: int = 2) -> None:
        super().__init__()
        self.created: list[dict[str, Any]] = []
        self.answers: list[Answer] = []
        for server in servers:
            for _ in range(writers_per_server):
                self.add(self._write, server)

    def _write(self, server: Server) -> None:
        while self.running():
            started = time.monotonic()
            response = call(server, "POST", "auth/token/create", policies=["default"])
            self.answers.append(Answer(started, response.status_code, time.monotonic() - started, response.text))
            if response.status_code == 200:
                self.created.append(response.json()["auth"])
            elif response.status_code == 503:
                time.sleep(0.05)

    def first_success_after(self, instant: float) -> float | None:
        return min((a.at + a.seconds for a in self.answers if a.status == 200 and a.at >= instant), default=None)


def run_cli(*arguments: str) -> str:
    done = subprocess.run([sys.executable, "-m", "tokenledger.cli", *arguments], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def health(server: Server) -> int:
    return requests.get(f"{server.url}/v1/sys/health", timeout=HTTP_TIMEOUT).status_code


def test_the_primary_killed_mid_stream_and_a_standby_promoted_loses_no_acknowledged_write() -> None:
    with fleet(standbys=1, synchronous=True) as built, ExitStack() as stack:
        database = built.database("ledger")
        primary, standby = built.primary, built.standbys[0]
        store = multi_host_url([primary, standby], database)
        servers = servers_on(store, 2, stack)
        with CreateStream(servers) as stream:
            time.sleep(1.5)
            killed_at = time.monotonic()
            primary.kill()
            assert health(servers[0]) == 503
            time.sleep(1.0)
            promoted_at = time.monotonic()
            standby.promote()
            recovered = _wait_for_recovery(stream, promoted_at)
            time.sleep(1.0)
        assert recovered is not None, "no create was served after the promotion"
        during = [a for a in stream.answers if a.at >= killed_at and a.at < recovered]
        assert {a.status for a in stream.answers} <= {200, 503}, [a for a in stream.answers if a.status != 200][:3]
        assert all(STORE_UNAVAILABLE in a.body for a in stream.answers if a.status == 503)
        assert max(a.seconds for a in stream.answers) < HTTP_TIMEOUT
        assert all(health(server) == 200 for server in servers)
        _check_present(servers, stream.created)
        assert "0 difference(s)" in run_cli("projections", "verify", "--store", store)
        run_cli("ledger", "verify", "--store", store)
        _report(stream, killed_at, promoted_at, recovered, during)


def _wait_for_recovery(stream: CreateStream, promoted_at: float) -> float | None:
    deadline = promoted_at + RECOVERY_BOUND
    while time.monotonic() < deadline:
        recovered = stream.first_success_after(promoted_at)
        if recovered is not None:
            return recovered
        time.sleep(0.05)
    return None


def _check_present(servers: list[Server], created: list[dict[str, Any]]) -> None:
    """Every acknowledged create is on the new primary, read through each server."""
    assert len(created) > 20
    for index, auth in enumerate(created):
        server = servers[index % len(servers)]
        found = call(server, "POST", "auth/token/lookup-accessor", accessor=auth["accessor"])
        assert found.status_code == 200, (auth["accessor"], found.text)


def _report(stream: CreateStream, killed_at: float, promoted_at: float, recovered: float,
            during: list[Answer]) -> None:
    figures = {
        "acknowledged_creates": len(stream.created),
        "acknowledged_creates_lost": 0,  # _check_present found every one
        "seconds_from_kill_to_first_create_served": round(recovered - killed_at, 3),
        "seconds_from_promotion_to_first_create_served": round(recovered - promoted_at, 3),
        "requests_refused_503_during_switch": sum(1 for a in during if a.status == 503),
        "requests_500": sum(1 for a in stream.answers if a.status >= 500 and a.status != 503),
        "slowest_answer_seconds": round(max(a.seconds for a in stream.answers), 3),
    }
    print("failover figures:", json.dumps(figures))
    if FIGURES:
        with open(FIGURES, "a") as out:
            out.write(json.dumps(figures) + "\n")


def test_sys_health_answers_503_while_no_primary_is_reachable() -> None:
    with fleet(standbys=1) as built, ExitStack() as stack:
        database = built.database("ledger")
        primary, standby = built.primary, built.standbys[0]
        (server,) = servers_on(multi_host_url([primary, standby], database), 1, stack)
        assert health(server) == 200
        primary.kill()
        assert health(server) == 503
        refused = call(server, "POST", "auth/token/create")
        assert refused.status_code == 503 and refused.json() == {"errors": [STORE_UNAVAILABLE]}
        standby.promote()
        deadline = time.monotonic() + RECOVERY_BOUND
        while health(server) != 200:
            assert time.monotonic() < deadline, "the server never found the new primary"
            time.sleep(0.1)
        assert create(server)["client_token"]

