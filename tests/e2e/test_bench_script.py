"""The benchmark stays runnable: CI runs its --smoke mode (every measurement, on the smallest sizes) as a
smoke test, not as a timed test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.paths import REPO

KEYS = {
    "create_per_s", "create_ratio_vs_sqlite", "http_create_ratio_vs_hello", "http_lookup_ratio_vs_hello",
    "rebuild_ratio_vs_scan", "revoke_100k_tree_s", "revoke_10k_chain_s", "list_page_ms", "rss_mb_100k",
    "rss_mb_1m", "event_bytes_per_create", "event_bytes_per_renew",
    "activity_events", "activity_chart_week_by_hour_ms", "activity_chart_90d_by_day_ms", "search_role_page_ms",
    "report_unused_page_ms", "report_addresses_page_ms", "report_counts_by_policy_ms",
    "usage_lookup_cost_ratio_on_vs_off", "usage_lookup_cost_ratio_every_use_vs_off",
}


def test_the_smoke_benchmark_reports_every_figure(tmp_path: Path) -> None:
    report = tmp_path / "bench.json"
    finished = subprocess.run(
        [sys.executable, "scripts/bench.py", "--smoke", "--json", str(report)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    figures = json.loads(report.read_text())
    assert set(figures) >= KEYS
    assert figures["revoke_completed"] is True
    assert figures["list_tokens"] > figures["sizes"]["rss_large"]  # plus the root and what the RSS load created
    assert all(figures[f"http_{op}_errors"] == 0 for op in ("hello", "create", "lookup", "renew"))
    assert "tokenledger benchmark" in finished.stdout
    assert figures["usage_lookup_cost_ratio_every_use_vs_off"] > figures["usage_lookup_cost_ratio_on_vs_off"] > 1
