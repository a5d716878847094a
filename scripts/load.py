"""Load test: requests/s and p50/p99 latency of create, lookup-self, renew-self and revoke against
real servers with 1, 2 and 4 workers, on SQLite and on PostgreSQL; or, with ``--fleet``, of
token checks and writes on a PostgreSQL fleet built here: N servers, a primary and R hot standbys
serving reads (``scripts/load_fleet.py``).

Loopback only; every phase is bounded in time and in requests, and the script stops its servers.

    python scripts/load.py [--stores sqlite,postgres] [--workers 1,2,4] [--seconds 3]
                           [--clients 8] [--json FILE]
    python scripts/load.py --fleet 1x0,2x0,2x1 [--workers 1] [--seconds 3] [--clients 8] [--json FILE]
"""

from __future__ import annotations

import argparse
import atexit
import http.client
import json
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scripts.scratch_schema import schema_on  # noqa: E402
from scripts.servers import running  # noqa: E402
from tokenledger.wiring.server import initialise_store  # noqa: E402
from tokenledger.wiring.settings import Settings  # noqa: E402

ROOT = "load-test-root"
POSTGRES = os.environ.get("TOKENLEDGER_LOAD_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
OPERATIONS = ("create", "lookup-self", "renew-self", "revoke")
TOKEN_API = "/v1/auth/token"
HELLO = "hello"
HELLO_PATH = "/hello"  # served by scripts/hello_app.py, the baseline of scripts/bench.py
MAX_REQUESTS_PER_CLIENT = 20_000


def main() -> int:
    options = _options()
    if options.fleet:
        from scripts import load_fleet

        rows = load_fleet.run(load_fleet.parse_shapes(options.fleet), options.workers[0], options.clients,
                              options.seconds, measure, ROOT)
        if options.json:
            Path(options.json).write_text(json.dumps({"fleet": rows}, indent=2))
        return 0
    results: list[dict[str, Any]] = []
    for store_kind in options.stores:
        for workers in options.workers:
            with fresh_store(store_kind) as store:
                initialise_store(Settings(store=store), ROOT)
                with running("--store", store, "--workers", str(workers), "--threads", "4",
                             env={"TOKENLEDGER_EXPIRY_SWEEP_SECONDS": "0"}) as server:
                    for operation in OPERATIONS:
                        row = measure([server.port], operation, options.clients, options.seconds)
                        row.update(store=store_kind, workers=workers)
                        results.append(row)
                        print(_line(row), flush=True)
    summary = {"results": results, "scaling": scaling(results)}
    for line in summary["scaling"]:
        print(line)
    if options.json:
        Path(options.json).write_text(json.dumps(summary, indent=2))
    return 0


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", default="sqlite,postgres", type=lambda v: v.split(","))
    parser.add_argument("--workers", default="1,2,4", type=lambda v: [int(w) for w in v.split(",")])
    parser.add_argument("--seconds", default=3.0, type=float, help="length of each phase")
    parser.add_argument("--clients", default=8, type=int, help="client processes")
    parser.add_argument("--json", default="", help="also write the figures to this file")
    parser.add_argument("--fleet", default="", help="NxR,...: N servers on a primary and R read replicas built here")
    return parser.parse_args()


@contextmanager
def fresh_store(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            yield str(Path(directory) / "load.db")
        return
    with schema_on(POSTGRES, prefix="tl_load_") as url:
        yield url


def measure(ports: list[int], operation: str, clients: int, seconds: float) -> dict[str, Any]:
    """``clients`` client processes, spread over the servers at ``ports``."""
    pool = _client_processes(clients)
    started = time.perf_counter()
    outcomes = pool.starmap(client_loop, [(ports[i % len(ports)], operation, seconds) for i in range(clients)],
                            chunksize=1)
    latencies = sorted(latency for outcome in outcomes for latency in outcome["latencies"])
    elapsed = max(outcome["elapsed"] for outcome in outcomes) or time.perf_counter() - started
    errors = sum(outcome["errors"] for outcome in outcomes)
    return {
        "operation": operation,
        "requests": len(latencies),
        "errors": errors,
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(_percentile(latencies, 0.50) * 1000, 2),
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 2),
    }


_POOLS: dict[int, Pool] = {}


def _client_processes(count: int) -> Pool:
    """``count`` client processes, started once and kept for every later measurement with as many
    clients: a spawned process imports this script anew (about a second of CPU), which a run of
    several measurements paid again for each. Idle between measurements, each takes one client."""
    if count not in _POOLS:
        pool = multiprocessing.get_context("spawn").Pool(count)
        atexit.register(pool.terminate)
        _POOLS[count] = pool
    return _POOLS[count]


def client_loop(port: int, operation: str, seconds: float) -> dict[str, Any]:
    """One client: a keep-alive connection, requests back to back until time or count runs out."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    token = "" if operation == HELLO else _new_token(connection)
    victims = _victims(connection, operation, seconds)
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    begin = time.perf_counter()
    while time.perf_counter() < deadline and len(latencies) < MAX_REQUESTS_PER_CLIENT:
        if operation == "revoke" and not victims:
            break
        method, path, as_token, body = _call(operation, token, victims)
        sent = time.perf_counter()
        try:
            _request(connection, method, path, as_token, body)
            latencies.append(time.perf_counter() - sent)
        except (OSError, http.client.HTTPException, RuntimeError):
            errors += 1
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.close()
    return {"latencies": latencies, "errors": errors, "elapsed": time.perf_counter() - begin}


def _victims(connection: http.client.HTTPConnection, operation: str, seconds: float) -> list[str]:
    if operation != "revoke":
        return []
    count = int(min(400 * seconds, 2000))
    return [_new_token(connection) for _ in range(count)]


def _new_token(connection: http.client.HTTPConnection) -> str:
    created = _request(connection, "POST", f"{TOKEN_API}/create", ROOT, {"policies": ["web"], "ttl": "1h"})
    return str(created["auth"]["client_token"])


def _call(operation: str, token: str, victims: list[str]) -> tuple[str, str, str, dict[str, Any] | None]:
    if operation == HELLO:
        return "GET", HELLO_PATH, "", None
    if operation == "create":
        return "POST", f"{TOKEN_API}/create", ROOT, {"policies": ["web"], "ttl": "1h"}
    if operation == "lookup-self":
        return "GET", f"{TOKEN_API}/lookup-self", token, None
    if operation == "renew-self":
        return "POST", f"{TOKEN_API}/renew-self", token, {"increment": "1h"}
    return "POST", f"{TOKEN_API}/revoke", ROOT, {"token": victims.pop()}


def _request(connection: http.client.HTTPConnection, method: str, path: str, token: str,
             body: dict[str, Any] | None) -> Any:
    payload = json.dumps(body) if body is not None else None
    connection.request(method, path, body=payload,
                       headers={"X-Vault-Token": token, "Content-Type": "application/json"})
    response = connection.getresponse()
    data = response.read()
    if response.status >= 400:
        raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
    return json.loads(data) if data else None


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(fraction * len(values)))]


def scaling(results: list[dict[str, Any]]) -> list[str]:
    lines = []
    for store in sorted({row["store"] for row in results}):
        for operation in OPERATIONS:
            rates = {row["workers"]: row["requests_per_s"] for row in results
                     if row["store"] == store and row["operation"] == operation}
            if 1 in rates and rates[1] and len(rates) > 1:
                top = max(rates)
                lines.append(f"{store:8} {operation:12} {top} workers / 1 worker = {rates[top] / rates[1]:.2f}x")
    return lines


def _line(row: dict[str, Any]) -> str:
    return (f"{row['store']:8} workers={row['workers']} {row['operation']:12} "
            f"{row['requests_per_s']:9.1f} req/s  p50 {row['p50_ms']:7.2f} ms  p99 {row['p99_ms']:7.2f} ms  "
            f"({row['requests']} requests, {row['errors']} errors)")


if __name__ == "__main__":
    sys.exit(main())
