"""The peer benchmark stays runnable: its --quick mode against a real OpenBao on raft, for two
operations, reports every figure and no error. A smoke test, never a timed one.

Without wrk it skips, except under CI (``CI=true``), where it fails: .ci/run installs wrk."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.openbao import require_bao
from tests.support.paths import REPO

OPERATIONS = ("lookup_self", "create_root")
FIGURES = ("req_per_s", "p50_ms", "p99_ms", "cpu_ms_per_request", "errors", "exhausted_rounds")
RATIOS = ("req_per_s_ratio_higher_is_better", "p99_ratio_lower_is_better", "cpu_ratio_lower_is_better")


def require_wrk() -> None:
    if shutil.which("wrk") is not None:
        return
    if os.environ.get("CI", "") == "true":
        pytest.fail("wrk is missing: the peer benchmark's smoke test must run under CI (.ci/run installs it)")
    pytest.skip("wrk is missing (Debian: apt-get install wrk)")


def test_the_quick_peer_benchmark_reports_every_figure_and_no_error(tmp_path: Path) -> None:
    require_wrk()
    require_bao()
    report = tmp_path / "peer.json"
    finished = subprocess.run(
        [sys.executable, "scripts/peer_bench.py", "--quick", "--stores", "sqlite",
         "--operations", "lookup-self,create-root", "--json", str(report)],
        cwd=REPO, capture_output=True, text=True, timeout=180,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    figures = json.loads(report.read_text())
    for operation in OPERATIONS:
        prefix = f"sqlite_vs_raft_{operation}"
        for system in ("tokenledger", "openbao"):
            assert all(f"{prefix}_{system}_{figure}" in figures for figure in FIGURES)
            assert figures[f"{prefix}_{system}_errors"] == 0
            assert figures[f"{prefix}_{system}_req_per_s"] > 0
            assert figures[f"{prefix}_{system}_cpu_ms_per_request"] > 0
        assert all(figures[f"{prefix}_{ratio}"] is not None for ratio in RATIOS)
    assert "| sqlite_vs_raft | create-root |" in finished.stdout
    assert figures["floor_hello_req_per_s"] > 0 and figures["floor_hello_cpu_ms_per_request"] > 0
    assert "floor, the smallest Flask app served as tokenledger is" in finished.stdout
