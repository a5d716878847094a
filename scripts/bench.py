"""Benchmarks: every figure measured beside its baseline in the same run, so the ratios survive a
noisy machine. Targets are reported, never asserted.

    python scripts/bench.py [--quick | --smoke] [--json FILE]

--quick runs the same measurements on small sizes (under a minute) and writes the same keys.
--smoke runs each measurement once on the smallest sizes that still exercise it, and writes the
same keys too: the test suite's check that the script runs; its figures mean nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import load  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from scripts.activity_bench import activity_charts  # noqa: E402
from scripts.bench_usage import usage_cost  # noqa: E402
from scripts.bulk import issue_many  # noqa: E402
from scripts.servers import hello_server, running  # noqa: E402
from tokenledger.domain.commands import CreateToken  # noqa: E402
from tokenledger.projections.replay import rebuild  # noqa: E402
from tokenledger.wiring.bootstrap import Runtime, bootstrap  # noqa: E402
from tokenledger.wiring.settings import Settings  # noqa: E402

ROOT = load.ROOT


@dataclass(frozen=True)
class Sizes:
    in_process_ops: int
    http_seconds: float  # each round of each operation
    http_rounds: int
    http_clients: int
    rebuild_events: int
    wide_tree: int
    deep_chain: int
    list_tokens: int
    rss_small: int
    rss_large: int
    activity_events: int = 1_000_000  # the activity charts' and search's ledger (issue 18)


FULL = Sizes(in_process_ops=2000, http_seconds=1.0, http_rounds=5, http_clients=4,
             rebuild_events=200_000,
             wide_tree=100_000, deep_chain=10_000, list_tokens=1_000_000,
             rss_small=100_000, rss_large=1_000_000)
QUICK = Sizes(in_process_ops=300, http_seconds=0.5, http_rounds=2, http_clients=3,
              rebuild_events=10_000,
              wide_tree=5_000, deep_chain=1_000, list_tokens=20_000, rss_small=5_000, rss_large=20_000,
              activity_events=20_000)
SMOKE = Sizes(in_process_ops=100, http_seconds=0.3, http_rounds=1, http_clients=2,
              rebuild_events=2_000,
              wide_tree=500, deep_chain=200, list_tokens=2_500, rss_small=500, rss_large=2_500,
              activity_events=2_000)
TARGETS: dict[str, tuple[str, float]] = {
    "create_ratio_vs_sqlite": (">=", 0.6),
    "http_create_ratio_vs_hello": (">=", 0.4),
    "http_lookup_ratio_vs_hello": (">=", 0.7),
    "rebuild_ratio_vs_scan": (">=", 0.5),
    "revoke_100k_tree_s": ("<=", 10.0),
    "list_page_ms": ("<", 50.0),
    "rss_ratio_1m_vs_100k": ("<=", 1.2),
    "usage_lookup_cost_ratio_on_vs_off": ("<=", 1.05),
}


def main() -> int:
    options = _options()
    sizes = SMOKE if options.smoke else QUICK if options.quick else FULL
    if options.activity_events:
        sizes = replace(sizes, activity_events=options.activity_events)
    figures: dict[str, Any] = {"quick": options.quick, "smoke": options.smoke, "sizes": sizes.__dict__}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        for section in SECTIONS:
            if options.only and section.__name__ not in options.only:
                continue
            figures.update(section(work, sizes))
            print(f"... {section.__name__} done at {time.perf_counter() - started:.0f} s", flush=True)
    figures["bench_seconds"] = round(time.perf_counter() - started, 1)
    report(figures)
    if options.json:
        Path(options.json).write_text(json.dumps(figures, indent=2))
    return 0


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--quick", action="store_true", help="small sizes, same keys, under a minute")
    sizes.add_argument("--smoke", action="store_true",
                       help="the smallest sizes, same keys: does the script run? (its figures mean nothing)")
    parser.add_argument("--json", default="", help="also write the figures to this file")
    parser.add_argument("--only", nargs="+", choices=[section.__name__ for section in SECTIONS],
                        help="run only these sections")
    parser.add_argument("--activity-events", type=int, default=0,
                        help="events in the activity charts' ledger (default 1,000,000; --quick 20,000)")
    return parser.parse_args()


# -- in process ------------------------------------------------------------------------------

def in_process(work: Path, sizes: Sizes) -> dict[str, Any]:
    n = sizes.in_process_ops
    with ledger(work / "in-process.db") as runtime:
        service = runtime.service
        root = service.authenticate(ROOT, "127.0.0.1")
        command = CreateToken(policies=("web",), ttl=3600)
        create_s, tokens = timed(lambda: [service.create(root, command).client_token for _ in range(n)])
        lookup_s, _ = timed(lambda: [service.lookup(token) for token in tokens])
        renew_s, _ = timed(lambda: [service.renew(root, token, 7200) for token in tokens])
        revoke_s, _ = timed(lambda: [service.revoke(root, token) for token in tokens])
        stored = event_bytes(work / "in-process.db")
        pages_per_create = wal_pages_per(work / "in-process.db", lambda: service.create(root, command))
    sqlite_s = durable_sqlite_inserts(work / "baseline.db", n)
    return {
        "create_per_s": round(n / create_s),
        "lookup_per_s": round(n / lookup_s),
        "renew_per_s": round(n / renew_s),
        "revoke_per_s": round(n / revoke_s),
        "sqlite_durable_insert_per_s": round(n / sqlite_s),
        "create_ratio_vs_sqlite": round(sqlite_s / create_s, 3),
        "wal_pages_per_create": pages_per_create,
        "wal_pages_per_sqlite_insert": wal_pages_per(work / "baseline.db", _baseline_insert(work / "baseline.db")),
        "event_bytes_per_create": stored.get("TokenCreated", 0),
        "event_bytes_per_renew": stored.get("TokenRenewed", 0),
        "event_bytes_per_revoke": stored.get("TokenRevoked", 0),
    }


def durable_sqlite_inserts(path: Path, n: int) -> float:
    """The raw baseline: a token-like row per transaction, WAL and synchronous=FULL as the ledger."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("CREATE TABLE tokens (token_id TEXT PRIMARY KEY, accessor TEXT, policies TEXT, "
                       "meta TEXT, expire_at INTEGER, state BLOB)")
    body = json.dumps({"policies": ["default", "web"], "ttl": 3600, "display_name": "token"}).encode()
    started = time.perf_counter()
    for i in range(n):
        connection.execute("BEGIN")
        connection.execute("INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?)",
                           (f"{i:032x}", f"accessor{i:016d}", '["default","web"]', None, i, body))
        connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def wal_pages_per(path: Path, write: Callable[[], Any], times: int = 10) -> float:
    """Pages each durable commit of ``write`` adds to the WAL: what one fsync must flush (few
    enough commits that no automatic checkpoint restarts the WAL meanwhile)."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for _ in range(times):
            write()
        _, frames, _ = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return round(frames / times, 1)


def _baseline_insert(path: Path) -> Callable[[], None]:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous=FULL")

    def insert() -> None:
        connection.execute("INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?)",
                           (os.urandom(16).hex(), os.urandom(8).hex(), '["default","web"]', None, 0, b"{}"))
    return insert


def event_bytes(path: Path) -> dict[str, int]:
    """Average stored bytes of an event, by event class."""
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT topic, AVG(LENGTH(originator_id) + LENGTH(topic) + LENGTH(state) + 8) "
            "FROM stored_events GROUP BY topic"
        ).fetchall()
    return {topic.rsplit(":", 1)[-1]: round(size) for topic, size in rows}


# -- HTTP --------------------------------------------------------------------------------------

def usage(work: Path, sizes: Sizes) -> dict[str, Any]:
    """Recording uses: the lookup-self path with it on (60 s) against off (``scripts/bench_usage.py``)."""
    return usage_cost(work, max(sizes.in_process_ops // 4, 100), ROOT)


HTTP_OPERATIONS = (("create", "create"), ("lookup-self", "lookup"), ("renew-self", "renew"))


def http(work: Path, sizes: Sizes) -> dict[str, Any]:
    """Both servers run side by side and are measured in turn, in rounds: the rate this machine
    gives hello-world moves by a third from one measurement to the next (3,300 to 4,650 req/s),
    and interleaved rounds put the same drift into both sides of a ratio."""
    store = str(work / "http.db")
    with ledger(Path(store)):
        pass
    rounds: dict[str, list[dict[str, Any]]] = {"hello": [], **{key: [] for _, key in HTTP_OPERATIONS}}
    with hello_server() as hello, running("--store", store, "--workers", "2", "--threads", "4",
                                          env={"TOKENLEDGER_EXPIRY_SWEEP_SECONDS": "0"}) as server:
        for _ in range(sizes.http_rounds):
            rounds["hello"].append(load.measure([hello.port], load.HELLO, sizes.http_clients, sizes.http_seconds))
            for operation, key in HTTP_OPERATIONS:
                rounds[key].append(load.measure([server.port], operation, sizes.http_clients, sizes.http_seconds))
    figures: dict[str, Any] = {}
    for key, rows in rounds.items():
        figures.update(_http_row(key, _combined(rows)))
        figures[f"http_{key}_rounds_per_s"] = [row["requests_per_s"] for row in rows]
    for _, key in HTTP_OPERATIONS:
        figures[f"http_{key}_ratio_vs_hello"] = round(figures[f"http_{key}_per_s"] / figures["http_hello_per_s"], 3)
    return figures


def _combined(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Rounds of one operation: the mean rate, the median p50, the worst p99, every error."""
    return {"requests_per_s": round(statistics.fmean(row["requests_per_s"] for row in rows), 1),
            "p50_ms": round(statistics.median(row["p50_ms"] for row in rows), 2),
            "p99_ms": max(row["p99_ms"] for row in rows),
            "errors": sum(row["errors"] for row in rows)}


def _http_row(key: str, row: dict[str, Any]) -> dict[str, Any]:
    return {f"http_{key}_per_s": row["requests_per_s"], f"http_{key}_p50_ms": row["p50_ms"],
            f"http_{key}_p99_ms": row["p99_ms"], f"http_{key}_errors": row["errors"]}


# -- rebuild, revoke, list, memory -------------------------------------------------------------

def rebuild_rate(work: Path, sizes: Sizes) -> dict[str, Any]:
    with ledger(work / "rebuild.db") as runtime:
        issue_many(runtime, sizes.rebuild_events - 2, parent=None, prefix="r")
        events = runtime.ledger.recorder.max_notification_id()
        scan_s, _ = timed(lambda: scan_log(runtime))
        rebuild_s, _ = timed(lambda: rebuild(runtime.ledger, runtime.read_models))
    return {
        "rebuild_events": events,
        "scan_events_per_s": round(events / scan_s),
        "rebuild_events_per_s": round(events / rebuild_s),
        "rebuild_ratio_vs_scan": round(scan_s / rebuild_s, 3),
    }


def scan_log(runtime: Runtime) -> int:
    """The raw rate: read every notification and decode it into its domain event."""
    position, decoded = 0, 0
    while notifications := runtime.ledger.recorder.select_notifications(
        start=position, limit=1000, inclusive_of_start=False
    ):
        decoded += len([runtime.ledger.mapper.to_domain_event(n) for n in notifications])
        position = notifications[-1].id
    return decoded


def revoke_trees(work: Path, sizes: Sizes) -> dict[str, Any]:
    with ledger(work / "trees.db") as runtime:
        root = runtime.service.authenticate(ROOT, "127.0.0.1")
        [parent] = issue_many(runtime, 1, parent=root.view.token_id, prefix="wide-parent")
        parent_id = runtime.service.lookup(parent).token_id
        issue_many(runtime, sizes.wide_tree, parent=parent_id, prefix="wide")
        wide_s, _ = timed(lambda: runtime.service.revoke(root, parent))
        chain = issue_many(runtime, sizes.deep_chain, parent=root.view.token_id, prefix="deep", chain=True)
        chain_s, _ = timed(lambda: runtime.service.revoke(root, chain[0]))
        complete = runtime.read_models.accessors() == [root.view.accessor]
    return {
        "revoke_100k_tree_s": round(wide_s, 2),
        "revoke_tree_size": sizes.wide_tree,
        "revoke_10k_chain_s": round(chain_s, 2),
        "revoke_chain_depth": sizes.deep_chain,
        "revoke_completed": complete,
    }


def list_and_rss(work: Path, sizes: Sizes) -> dict[str, Any]:
    store = work / "big.db"
    figures: dict[str, Any] = {}
    with ledger(store) as runtime:
        issue_many(runtime, sizes.rss_small, parent=None, prefix="small")
    figures["rss_mb_100k"] = server_rss_mb(str(store), sizes)
    with ledger(store) as runtime:
        issue_many(runtime, sizes.rss_large - sizes.rss_small, parent=None, prefix="large")
        figures.update(page_through_accessors(runtime))
    figures["rss_mb_1m"] = server_rss_mb(str(store), sizes)
    figures["rss_ratio_1m_vs_100k"] = round(figures["rss_mb_1m"] / figures["rss_mb_100k"], 3)
    figures["rss_token_counts"] = [sizes.rss_small, sizes.rss_large]
    return figures


def page_through_accessors(runtime: Runtime, page_size: int = 1000) -> dict[str, Any]:
    tracemalloc.start()
    listed, after, times = 0, None, []
    while True:
        started = time.perf_counter()
        page = runtime.read_models.accessors(after=after, limit=page_size)
        times.append(time.perf_counter() - started)
        if not page:
            break
        listed, after = listed + len(page), page[-1]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    times.sort()
    return {
        "list_tokens": listed,
        "list_page_size": page_size,
        "list_page_ms": round(sum(times) / len(times) * 1000, 2),
        "list_page_p99_ms": round(times[int(0.99 * (len(times) - 1))] * 1000, 2),
        "list_peak_mb": round(peak / 2**20, 2),
    }


def server_rss_mb(store: str, sizes: Sizes) -> float:
    """Resident memory of a server worker after it has served creates and lookups."""
    seconds = min(0.5, sizes.http_seconds)
    with running("--store", store, "--threads", "4", env={"TOKENLEDGER_EXPIRY_SWEEP_SECONDS": "0"}) as server:
        load.measure([server.port], "create", 2, seconds)
        load.measure([server.port], "lookup-self", 2, seconds)
        worker = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read_text().split()
        pids = [server.process.pid, *map(int, worker)]
        return round(max(_rss_kb(pid) for pid in pids) / 1024, 1)


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


SECTIONS: tuple[Callable[[Path, Sizes], dict[str, Any]], ...] = (
    in_process, usage, http, rebuild_rate, revoke_trees, list_and_rss, activity_charts)


# -- helpers -----------------------------------------------------------------------------------

@contextmanager
def ledger(path: Path) -> Iterator[Runtime]:
    runtime = bootstrap(Settings(store=str(path)))
    runtime.service.initialise(ROOT)
    try:
        yield runtime
    finally:
        runtime.close()


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def report(figures: dict[str, Any]) -> None:
    mode = " (--smoke)" if figures["smoke"] else " (--quick)" if figures["quick"] else ""
    table = Table(title="tokenledger benchmark" + mode)
    for column in ("figure", "value", "target", "met"):
        table.add_column(column)
    for key, value in figures.items():
        if key in ("sizes", "quick", "smoke"):
            continue
        target = TARGETS.get(key)
        met = "" if target is None else ("yes" if _meets(value, *target) else "NO")
        table.add_row(key, str(value), "" if target is None else f"{target[0]} {target[1]}", met)
    Console().print(table)


def _meets(value: float, comparison: str, bound: float) -> bool:
    return {">=": value >= bound, "<=": value <= bound, "<": value < bound}[comparison]


if __name__ == "__main__":
    os.environ.setdefault("TOKENLEDGER_EXPIRY_SWEEP_SECONDS", "0")
    sys.exit(main())
