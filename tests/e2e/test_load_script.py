"""The load script stays runnable: a tiny bounded run on SQLite reports every operation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.paths import REPO


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
