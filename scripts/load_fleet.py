"""The load script's fleet mode: a PostgreSQL primary and hot standbys built on this machine
(``scripts/pg_fleet.py``), N tokenledger servers that write to the primary and read from the
standbys, and what the fleet serves: token checks (``lookup-self``) and writes (``create``) per
second, with the CPU each tier spent per request and the primary's WAL fsyncs and bytes per request.

A shape ``NxR`` is N servers and R read replicas (R = 0: the servers read the primary too).
"""

from __future__ import annotations

import time
import urllib.request
from contextlib import ExitStack
from typing import Any

from scripts.pg_fleet import Fleet, fleet, multi_host_url
from scripts.process_cpu import tree_cpu_seconds
from scripts.servers import Server, running
from tokenledger.wiring.server import initialise_store
from tokenledger.wiring.settings import Settings

OPERATIONS = ("lookup-self", "create")


def parse_shapes(value: str) -> list[tuple[int, int]]:
    shapes = []
    for shape in value.split(","):
        servers, _, replicas = shape.partition("x")
        shapes.append((int(servers), int(replicas or 0)))
    return shapes


def run(shapes: list[tuple[int, int]], workers: int, clients: int, seconds: float, measure: Any,
        root_token: str) -> list[dict[str, Any]]:
    """``measure(ports, operation, clients, seconds)`` is the load script's measurement."""
    rows = []
    for servers, replicas in shapes:
        with fleet(standbys=replicas) as built, ExitStack() as stack:
            started = _servers(built, servers, replicas, workers, root_token, stack)
            for operation in OPERATIONS:
                before, wal_before = _cpu(built, started), _wal(built)
                routed_before = replica_scope_reads(started, root_token)
                row = measure([server.port for server in started], operation, clients, seconds)
                row.update(store="postgres-fleet", servers=servers, replicas=replicas, workers=workers)
                row.update(_per_request(before, _cpu(built, started), row["requests"]))
                row.update(_per_request(wal_before, _wal(built), row["requests"], scale=1))
                if operation == "lookup-self":
                    row.update(_share(routed_before, replica_scope_reads(started, root_token)))
                rows.append(row)
                print(line(row), flush=True)
    return rows


def _servers(built: Fleet, count: int, replicas: int, workers: int, root_token: str,
             stack: ExitStack) -> list[Server]:
    database = built.database("load")
    store = multi_host_url([built.primary, *built.standbys], database)
    initialise_store(Settings(store=store), root_token)
    env = {"TOKENLEDGER_EXPIRY_SWEEP_SECONDS": "0"}
    if replicas:
        env["TOKENLEDGER_READ_REPLICAS"] = " ".join(standby.url(database) for standby in built.standbys)
    return [stack.enter_context(running("--store", store, "--workers", str(workers), "--threads", "4", env=env))
            for _ in range(count)]


def _cpu(built: Fleet, servers: list[Server]) -> dict[str, float]:
    """CPU seconds so far of the tokenledger servers, the primary and the standbys."""
    return {
        "servers": sum(tree_cpu_seconds(server.process.pid) for server in servers),
        "primary": tree_cpu_seconds(built.primary.postmaster_pid() or 0),
        "replicas": sum(tree_cpu_seconds(standby.postmaster_pid() or 0) for standby in built.standbys),
    }


def _wal(built: Fleet) -> dict[str, float]:
    """The primary's WAL so far: fsyncs (one per commit, or per group of commits) and bytes. The
    server publishes these statistics within a second, so wait that long first."""
    time.sleep(1.1)
    ((syncs, written),) = built.primary.execute("SELECT wal_sync, wal_bytes FROM pg_stat_wal")
    return {"wal_syncs_per_request": float(syncs), "wal_bytes_per_request": float(written)}


def _per_request(before: dict[str, float], after: dict[str, float], requests: int,
                 scale: float = 1000) -> dict[str, float]:
    """``before`` and ``after`` per request; CPU seconds become milliseconds (``scale``)."""
    named = {tier: tier if tier.endswith("_per_request") else f"cpu_ms_per_request_{tier}" for tier in before}
    return {named[tier]: round((after[tier] - before[tier]) * scale / max(requests, 1), 3) for tier in before}


def replica_scope_reads(servers: list[Server], root_token: str) -> dict[str, float]:
    """Reads in replica scopes so far, by where they went (``tokenledger_replica_scope_reads_total``),
    summed over the servers."""
    counts = {"replica": 0.0, "primary": 0.0}
    for server in servers:
        request = urllib.request.Request(f"{server.url}/v1/sys/metrics?format=prometheus",
                                         headers={"X-Vault-Token": root_token})
        with urllib.request.urlopen(request, timeout=30) as response:
            for text in response.read().decode().splitlines():
                if text.startswith("tokenledger_replica_scope_reads_total{"):
                    target = text.split('target="', 1)[1].split('"', 1)[0]
                    counts[target] += float(text.rsplit(" ", 1)[1])
    return counts


def _share(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    replica, primary = (after[target] - before[target] for target in ("replica", "primary"))
    return {"reads_on_replicas": round(replica / (replica + primary), 3) if replica + primary else 0.0}


def line(row: dict[str, Any]) -> str:
    return (f"fleet {row['servers']} servers x {row['workers']} workers, {row['replicas']} replicas  "
            f"{row['operation']:12} {row['requests_per_s']:9.1f} req/s  p50 {row['p50_ms']:7.2f} ms  "
            f"p99 {row['p99_ms']:7.2f} ms  CPU ms/request: servers {row['cpu_ms_per_request_servers']}, "
            f"primary {row['cpu_ms_per_request_primary']}, replicas {row['cpu_ms_per_request_replicas']}  "
            f"primary WAL fsyncs/request {row['wal_syncs_per_request']}, bytes {row['wal_bytes_per_request']:.0f}  "
            + (f"reads on replicas {row['reads_on_replicas']:.0%}  " if "reads_on_replicas" in row else "")
            + f"({row['requests']} requests, {row['errors']} errors)")
