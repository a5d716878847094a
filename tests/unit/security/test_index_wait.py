"""Finding 4 of issue 13: the ``X-Vault-Index`` wait ran before authentication, so clients
without a token and a far-future index each held a request thread for the whole wait. Now a
request is authenticated first (403 at once), a few waiters at most wait per process (412 at
once past them), and a request that ends in 412 spends none of its token's uses."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.runtimes import ROOT_TOKEN
from tests.support.vault_http import call, issue, write_policy
from tokenledger.web.app import create_app, runtime_of
from tokenledger.web.consistency import MAX_WAITERS
from tokenledger.wiring.settings import Settings

FAR_FUTURE = {"X-Vault-Index": "999999999999"}
HANG_GUARD = 20  # seconds: only so that a failing test ends, never an expected duration


class IndexProbe:
    """Stands in for ``indexed_position``: counts calls per thread, and reports a position short
    of any index asked for until ``reach`` is called."""

    def __init__(self) -> None:
        self.calls: Counter[int] = Counter()
        self.reached = threading.Event()
        self._lock = threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            self.calls[threading.get_ident()] += 1
        return 10**18 if self.reached.is_set() else 0

    def in_the_wait_loop(self) -> int:
        """Threads past the first check, i.e. holding a waiter's place."""
        with self._lock:
            return sum(1 for count in self.calls.values() if count >= 2)


@pytest.fixture
def slow_app(settings: Settings) -> Iterator[Flask]:
    """An app whose index wait is long: a waiter holds its place until the test lets it go."""
    app = create_app(settings.with_overrides(index_wait_seconds=HANG_GUARD))
    runtime_of(app).service.initialise(ROOT_TOKEN)
    yield app
    runtime_of(app).close()


def _probe(app: Flask, monkeypatch: pytest.MonkeyPatch) -> IndexProbe:
    probe = IndexProbe()
    monkeypatch.setattr(runtime_of(app).service, "indexed_position", probe)
    return probe


@pytest.mark.parametrize("who", ["no token", "unknown token", "token the ACL denies"])
def test_a_caller_that_is_not_admitted_is_refused_without_waiting(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, who: str
) -> None:
    token = {"no token": "", "unknown token": "hvs.NotAToken0000000000000"}.get(who)
    if token is None:
        write_policy(client, "nothing", 'path "secret/*" { capabilities = ["read"] }')
        token = issue(client, policies=["nothing"], no_default_policy=True)
    probe = _probe(app, monkeypatch)
    response = call(client, "GET", "lookup-self", token, headers=FAR_FUTURE)
    assert response.status_code == 403, response.json
    assert not probe.calls, "the request waited for the index before it was refused"


def _lookup_self(app: Flask, token: str, results: list[Any], **headers: str) -> threading.Thread:
    def run() -> None:
        response = call(app.test_client(), "GET", "lookup-self", token, headers=headers)
        results.append(response.status_code)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _num_uses(client: FlaskClient, token: str) -> int:
    accessor = call(client, "POST", "lookup", body={"token": token}).json["data"]["accessor"]
    uses: int = call(client, "POST", "lookup-accessor", body={"accessor": accessor}).json["data"]["num_uses"]
    return uses


def test_waiters_are_bounded_and_one_past_the_bound_gets_412_at_once(
    slow_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = slow_app.test_client()
    limited = issue(client, num_uses=5)
    probe = _probe(slow_app, monkeypatch)
    waiting: list[int] = []
    waiters = [_lookup_self(slow_app, ROOT_TOKEN, waiting, **FAR_FUTURE) for _ in range(MAX_WAITERS)]
    for _ in range(HANG_GUARD * 100):
        if probe.in_the_wait_loop() == MAX_WAITERS:
            break
        threading.Event().wait(0.01)
    assert probe.in_the_wait_loop() == MAX_WAITERS, "the waiters did not all start waiting"

    refused: list[int] = []
    _lookup_self(slow_app, limited, refused, **FAR_FUTURE).join(HANG_GUARD / 2)
    assert refused == [412], "a waiter past the bound was not refused at once"

    probe.reached.set()
    for waiter in waiters:
        waiter.join(HANG_GUARD)
    assert waiting == [200] * MAX_WAITERS
    assert _num_uses(client, limited) == 5  # the 412 spent no use
    assert call(client, "GET", "lookup-self", limited, headers=FAR_FUTURE).status_code == 200


def test_a_request_that_times_out_spends_no_use(app: Flask, client: FlaskClient) -> None:
    limited = issue(client, num_uses=3)
    for _ in range(3):
        response = call(client, "GET", "lookup-self", limited, headers=FAR_FUTURE)
        assert response.status_code == 412, response.json
    assert _num_uses(client, limited) == 3
    assert call(client, "GET", "lookup-self", limited).status_code == 200
    assert _num_uses(client, limited) == 2


def test_an_admitted_caller_is_served_once_the_index_is_reached(client: FlaskClient) -> None:
    written = call(client, "POST", "create", body={"policies": ["default"]})
    index = written.headers["X-Vault-Index"]
    token = written.json["auth"]["client_token"]
    response = call(client, "GET", "lookup-self", token, headers={"X-Vault-Index": index})
    assert response.status_code == 200, response.json
