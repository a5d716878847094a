"""Several real server processes on one ledger (a SQLite file, or PostgreSQL): what one process
writes, every other process honours on its very next request."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import psycopg
import pytest
import requests

from scripts.servers import Server, running, start_server
from tests.support.paths import REPO
from tests.support.postgres import SERVER_URL, fresh_schema
from tests.support.runtimes import ROOT_TOKEN, recorded_topics
from tests.support.threads import Threads
from tests.support.vault_http import CREATES_TOKENS
from tokenledger.wiring.bootstrap import bootstrap
from tokenledger.wiring.server import initialise_store
from tokenledger.wiring.settings import Settings

HEADERS = {"X-Vault-Token": ROOT_TOKEN}
TIMEOUT = 10


@pytest.fixture
def ledger_store(store: str) -> str:
    initialise_store(Settings(store=store), ROOT_TOKEN)
    return store


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def two_servers(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    """Two servers on one ledger, on each store, started once for the tests that take them: each
    works on tokens of its own, and the one policy they write (``web``) is the same every time."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            store = str(tmp_path_factory.mktemp("two-servers") / "ledger.db")
        else:
            store = stack.enter_context(fresh_schema())
        initialise_store(Settings(store=store), ROOT_TOKEN)
        short_wait = {"TOKENLEDGER_INDEX_WAIT_SECONDS": "0.3"}
        a = stack.enter_context(running("--store", store, env=short_wait))
        b = stack.enter_context(running("--store", store, env=short_wait))
        yield a, b


def post(server: Server, path: str, as_token: str = ROOT_TOKEN, **body: Any) -> requests.Response:
    return requests.post(f"{server.url}/v1/auth/token/{path}", json=body,
                         headers={"X-Vault-Token": as_token}, timeout=TIMEOUT)


def lookup_self(server: Server, token: str, **headers: str) -> requests.Response:
    return requests.get(f"{server.url}/v1/auth/token/lookup-self",
                        headers={"X-Vault-Token": token, **headers}, timeout=TIMEOUT)


def let_web_create_tokens(server: Server) -> None:
    response = requests.put(f"{server.url}/v1/sys/policy/web", json={"policy": CREATES_TOKENS},
                            headers={"X-Vault-Token": ROOT_TOKEN}, timeout=TIMEOUT)
    assert response.status_code == 204, response.text


def create(server: Server, as_token: str = ROOT_TOKEN, **body: Any) -> dict[str, Any]:
    response = post(server, "create", as_token, **body)
    assert response.status_code == 200, response.text
    auth: dict[str, Any] = response.json()["auth"]
    return auth


def test_a_revoke_through_one_process_is_honoured_by_another_at_once(
    two_servers: tuple[Server, Server],
) -> None:
    a, b = two_servers
    for _ in range(15):
        token = create(a, policies=["web"])["client_token"]
        assert lookup_self(b, token).status_code == 200
        assert post(a, "revoke", token=token).status_code == 204
        assert lookup_self(b, token).status_code == 403


def test_a_one_use_token_works_once_across_four_workers(ledger_store: str) -> None:
    with running("--store", ledger_store, "--workers", "4") as server:
        token = create(server, policies=["web"], num_uses=1)["client_token"]
        with ThreadPoolExecutor(max_workers=50) as pool:
            statuses = list(pool.map(lambda _: lookup_self(server, token).status_code, range(50)))
    assert statuses.count(200) == 1
    assert set(statuses) <= {200, 403}


def test_no_child_created_on_one_process_outlives_a_revoke_on_another(
    two_servers: tuple[Server, Server],
) -> None:
    a, b = two_servers
    let_web_create_tokens(a)
    parent = create(a, policies=["web"])["client_token"]
    issued: list[str] = []
    stop = threading.Event()

    def keep_creating() -> None:
        while not stop.is_set():
            response = post(a, "create", parent, policies=["web"])
            if response.status_code != 200:
                return
            issued.append(response.json()["auth"]["client_token"])

    creator = threading.Thread(target=keep_creating)
    creator.start()
    deadline = time.monotonic() + TIMEOUT
    while len(issued) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert post(b, "revoke", token=parent).status_code == 204
    survivors = [t for t in list(issued) if lookup_self(b, t).status_code != 403]
    stop.set()
    creator.join()
    assert len(issued) >= 5
    assert survivors == []
    assert [t for t in issued if lookup_self(a, t).status_code != 403] == []


def test_a_client_switching_processes_reads_its_own_writes(two_servers: tuple[Server, Server]) -> None:
    a, b = two_servers
    response = post(a, "create", policies=["web"])
    assert response.status_code == 200 and "X-Vault-Index" in response.headers, (
        response.status_code, dict(response.headers), response.text)
    position = response.headers["X-Vault-Index"]
    token = response.json()["auth"]["client_token"]
    caught_up = lookup_self(b, token, **{"X-Vault-Index": position})
    assert caught_up.status_code == 200, (position, caught_up.status_code, caught_up.text)
    ahead = lookup_self(b, token, **{"X-Vault-Index": str(int(position) + 10**6)})
    assert ahead.status_code == 412, (ahead.status_code, ahead.text)


def test_expiry_is_recorded_exactly_once_by_competing_sweepers(ledger_store: str) -> None:
    sweep_fast = {"TOKENLEDGER_EXPIRY_SWEEP_SECONDS": "0.1"}
    with running("--store", ledger_store, "--workers", "2", env=sweep_fast) as a, \
            running("--store", ledger_store, env=sweep_fast):
        let_web_create_tokens(a)
        parents = [create(a, policies=["web"], ttl="1s")["client_token"] for _ in range(6)]
        children = [create(a, parent, ttl="1h")["client_token"] for parent in parents]
        time.sleep(2.5)
        assert all(lookup_self(a, t).status_code == 403 for t in parents + children)
    runtime = bootstrap(Settings(store=ledger_store))
    try:
        topics = [topic for _, topic in recorded_topics(runtime)]
        per_token: dict[str, int] = {}
        for token_id, topic in recorded_topics(runtime):
            if topic in ("TokenExpired", "TokenRevoked"):
                per_token[token_id] = per_token.get(token_id, 0) + 1
    finally:
        runtime.close()
    assert topics.count("TokenExpired") == 6
    assert topics.count("TokenRevoked") == 6
    assert set(per_token.values()) == {1}


class WriteStream(Threads):
    """Writer threads creating tokens and revoking some, remembering what was acknowledged."""

    def __init__(self, server: Server, writers: int = 4) -> None:
        super().__init__()
        self.server = server
        self.created: list[dict[str, Any]] = []
        self.revoked: set[str] = set()
        self.revoke_attempted: set[str] = set()
        self.failures = 0
        for _ in range(writers):
            self.add(self._write)

    def _write(self) -> None:
        while self.running():
            try:
                created = post(self.server, "create", policies=["web"])
                if created.status_code != 200:
                    self.failures += 1
                    continue
                self.created.append(created.json()["auth"])
                victim = self.created[-1]["accessor"]
                if len(self.created) % 3 == 0:
                    self.revoke_attempted.add(victim)
                    if post(self.server, "revoke-accessor", accessor=victim).status_code == 204:
                        self.revoked.add(victim)
            except requests.RequestException:
                self.failures += 1
                time.sleep(0.05)

    def check_every_acknowledged_write_against(self, server: Server) -> None:
        """Acknowledged creates and revokes are all there; a revoke cut off before its answer
        may or may not have landed."""
        assert len(self.created) > 10 and self.revoked
        for auth in self.created:
            accessor = auth["accessor"]
            found = post(server, "lookup-accessor", accessor=accessor).status_code
            if accessor in self.revoked:
                assert found == 400, accessor
            elif accessor not in self.revoke_attempted:
                assert found == 200, accessor


def verify_projections(store: str) -> None:
    verified = subprocess.run(
        [sys.executable, "-m", "tokenledger.cli", "projections", "verify", "--store", store],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "0 difference(s)" in verified.stdout


def test_a_killed_process_loses_no_acknowledged_write(ledger_store: str) -> None:
    server = start_server("--store", ledger_store, "--workers", "2")
    with WriteStream(server) as stream:
        time.sleep(1.5)
        server.kill()
    with running("--store", ledger_store) as restarted:
        stream.check_every_acknowledged_write_against(restarted)
    verify_projections(ledger_store)


@pytest.fixture
def postgres_ledger_store() -> Iterator[str]:
    with fresh_schema() as store:
        initialise_store(Settings(store=store), ROOT_TOKEN)
        yield store


def test_severed_database_connections_lose_no_acknowledged_write(postgres_ledger_store: str) -> None:
    ledger_store = postgres_ledger_store
    with running("--store", ledger_store, "--workers", "2") as server:
        with WriteStream(server) as stream:
            time.sleep(0.7)
            severed = terminate_other_backends()
            time.sleep(1.0)
        assert severed > 0
        stream.check_every_acknowledged_write_against(server)
        assert post(server, "create", policies=["web"]).status_code == 200
    verify_projections(ledger_store)


def terminate_other_backends() -> int:
    with psycopg.connect(SERVER_URL, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        ).fetchall()
    return len(rows)

