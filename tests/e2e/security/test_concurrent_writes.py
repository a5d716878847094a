"""Finding 6 of issue 13 across processes: two worker processes racing writes of one policy only
retry, and every write is acknowledged; the last one recorded stands. The same race between
threads of one process is in tests/unit/security/test_concurrent_writes.py."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from scripts.servers import running
from tests.support.runtimes import ROOT_TOKEN
from tokenledger.domain.policy import policy_id
from tokenledger.wiring.bootstrap import bootstrap
from tokenledger.wiring.server import initialise_store
from tokenledger.wiring.settings import Settings


def _policy_text(thread: int, round_: int) -> str:
    return f'path "secret/{thread}/{round_}" {{ capabilities = ["read"] }}'


def test_two_processes_racing_writes_of_one_policy_all_succeed(store: str) -> None:
    """Threads of one process take turns; two worker processes only retry, and must still all
    succeed."""
    initialise_store(Settings(store=store), ROOT_TOKEN)
    texts = [_policy_text(n, 0) for n in range(24)]
    with running("--store", store, "--workers", "2") as server:
        def write(n: int) -> int:
            return requests.put(f"{server.url}/v1/sys/policy/racy", json={"policy": texts[n]},
                                headers={"X-Vault-Token": ROOT_TOKEN}, timeout=30).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            assert set(pool.map(write, range(len(texts)))) == {204}
        read = requests.get(f"{server.url}/v1/sys/policy/racy", headers={"X-Vault-Token": ROOT_TOKEN},
                            timeout=30)
    runtime = bootstrap(Settings(store=store))
    try:
        events = list(runtime.ledger.events.get(policy_id("", "racy")))
    finally:
        runtime.close()
    assert sorted(event.text for event in events) == sorted(texts)
    assert read.json()["data"]["rules"] == events[-1].text
