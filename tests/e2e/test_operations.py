"""Prometheus metrics of a real server with several worker processes: each scrape sums them all."""

from __future__ import annotations

import re
from pathlib import Path

import requests

from scripts.servers import running
from tests.support.runtimes import ROOT_TOKEN
from tokenledger.wiring.server import initialise_store
from tokenledger.wiring.settings import Settings


def test_a_multi_worker_server_sums_its_workers_metrics(tmp_path: Path) -> None:
    store = str(tmp_path / "ledger.db")
    initialise_store(Settings(store=store), ROOT_TOKEN)
    with running("--store", store, "--workers", "2", "--threads", "2") as server:
        headers = {"X-Vault-Token": ROOT_TOKEN}
        for _ in range(20):
            assert requests.get(f"{server.url}/v1/auth/token/lookup-self", headers=headers, timeout=10).ok
        counts = set()
        for _ in range(6):
            text = requests.get(f"{server.url}/v1/sys/metrics?format=prometheus", headers=headers, timeout=10).text
            match = re.search(r'tokenledger_requests_total\{method="GET",route="/v1/auth/token/lookup-self",'
                              r'status="200"\} (\S+)', text)
            assert match, text
            counts.add(float(match.group(1)))
        assert counts == {20.0}
