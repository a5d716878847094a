"""The load script stays runnable: a tiny bounded run on SQLite reports every operation, and one on a
fleet (a primary and a standby built here) reports token checks, writes and CPU per tier."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.paths import REPO
from tests.support.pg_fleet import require_postgres_binaries


def test_the_load_script_reports_rates_and_latencies(tmp_path: Path) -> None:
    report = tmp_path / "load.json"
    finished = subprocess.run(
        [sys.executable, "scripts/load.py", "--stores", "sqlite", "--workers", "1",
         "--seconds", "0.3", "--clients", "2", "--json", str(report)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert finished.returncode == 0, finished.stderr
    rows = json.loads(report.read_text())["results"]
    assert [row["operation"] for row in rows] == ["create", "lookup-self", "renew-self", "revoke"]
    assert all(row["requests"] > 0 and row["errors"] == 0 and row["p99_ms"] >= row["p50_ms"] for row in rows)


def test_the_fleet_mode_reports_token_checks_writes_and_cpu_per_tier(tmp_path: Path) -> None:
    require_postgres_binaries()
    report = tmp_path / "fleet.json"
    finished = subprocess.run(
        [sys.executable, "scripts/load.py", "--fleet", "1x1", "--workers", "1", "--seconds", "0.5",
         "--clients", "2", "--json", str(report)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert finished.returncode == 0, finished.stderr
    rows = json.loads(report.read_text())["fleet"]
    assert [row["operation"] for row in rows] == ["lookup-self", "create"]
    assert all(row["requests"] > 0 and row["errors"] == 0 and row["servers"] == row["replicas"] == 1 for row in rows)
    assert rows[0]["reads_on_replicas"] > 0.5  # the standby served the token checks
    assert rows[1]["cpu_ms_per_request_primary"] > 0 and rows[1]["cpu_ms_per_request_replicas"] > 0
