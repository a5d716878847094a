"""The activity charts', the cross-token search's and the hygiene reports' figures over a large
ledger (``bench.py``'s ``activity_charts`` section): how long writing the ledger takes with its
read models, and each chart, search page and report page, as the median of a few runs. Figures,
never assertions."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from scripts.activity_history import write_history
from tokenledger.application.activity import activity_filter
from tokenledger.application.hygiene_request import report_request, run_report
from tokenledger.application.token_search import token_search
from tokenledger.domain.commands import CreateToken
from tokenledger.projections import registry
from tokenledger.projections.activity import HOURS, ActivityProjection
from tokenledger.wiring.activity import activity_service, search_service
from tokenledger.wiring.bootstrap import bootstrap
from tokenledger.wiring.settings import Settings

SPAN_HOURS = 90 * 24
RUNS = 5


class ActivitySizes(Protocol):
    @property
    def activity_events(self) -> int: ...


def activity_charts(work: Path, sizes: ActivitySizes) -> dict[str, Any]:
    """Charts and searches over ``sizes.activity_events`` events spread over ninety days."""
    runtime = bootstrap(Settings(store=str(work / "activity.db")))
    runtime.service.initialise("bench-root")
    try:
        end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        started = time.perf_counter()
        history = write_history(runtime, end - timedelta(hours=SPAN_HOURS), SPAN_HOURS, sizes.activity_events)
        write_s = time.perf_counter() - started
        charts, searches = activity_service(runtime), search_service(runtime)
        now = runtime.clock.now()

        def chart(days: int, step: str, **only: str) -> Callable[[], Any]:
            wanted = activity_filter("", end - timedelta(days=days), end, step, only.get("role"),
                                     only.get("creator"), now)
            return lambda: charts.activity(wanted)

        def search(**fields: Any) -> Callable[[], Any]:
            return lambda: searches.search(token_search("", **fields))

        def report(name: str, **args: str) -> Callable[[], Any]:
            asked = report_request(name, args)
            return lambda: run_report(runtime.hygiene, "", asked)

        figures = {
            "activity_events": history.events,
            "activity_tokens": history.tokens,
            "activity_write_events_per_s": round(history.events / write_s),
            "activity_bucket_rows": len(runtime.read_models.query(f"SELECT hour FROM {HOURS}", [])),
            "activity_chart_week_by_hour_ms": median_ms(chart(7, "hour")),
            "activity_chart_90d_by_day_ms": median_ms(chart(90, "day")),
            "activity_chart_week_one_role_ms": median_ms(chart(7, "hour", role="ci")),
            "activity_chart_week_one_creator_ms": median_ms(chart(7, "hour", creator=history.creators[0])),
            "search_role_page_ms": median_ms(search(role="deploy")),
            "search_policy_page_ms": median_ms(search(policy="ops")),
            "search_remote_addr_page_ms": median_ms(search(remote_addr="10.0.0.7")),
            "search_display_name_page_ms": median_ms(search(display_name="nightly-4")),
            "search_descendants_page_ms": median_ms(search(creator=history.creators[0], descendants=True)),
            "report_unused_page_ms": median_ms(report("unused", since=(end - timedelta(days=30)).isoformat())),
            "report_root_children_page_ms": median_ms(report("root-children")),
            "report_long_lived_page_ms": median_ms(report("long-lived", ttl_over="720h")),
            "report_orphans_page_ms": median_ms(report("orphans")),
            "report_addresses_page_ms": median_ms(report("addresses", more_than="1")),
            "report_counts_by_role_ms": median_ms(report("counts", by="role")),
            "report_counts_by_creator_ms": median_ms(report("counts", by="creator")),
            "report_counts_by_policy_ms": median_ms(report("counts", by="policy")),
        }
    finally:
        runtime.close()
    return figures | write_cost(work, tokens=max(20, min(300, sizes.activity_events // 3000)))


def write_cost(work: Path, tokens: int = 300, rounds: int = 5) -> dict[str, Any]:
    """What the activity read models add to a token's life: create, renew and revoke ``tokens``
    tokens with them and without them (their handlers left out of the registry), in interleaved
    rounds on one store; the medians' ratio."""
    runtime = bootstrap(Settings(store=str(work / "activity-cost.db")))
    runtime.service.initialise("bench-root")
    try:
        root = runtime.service.authenticate("bench-root", "127.0.0.1")
        seconds: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(rounds):
            for counted in (True, False):
                with _activity_projection(counted):
                    started = time.perf_counter()
                    for _ in range(tokens):
                        token = runtime.service.create(root, CreateToken(policies=("web",), ttl=3600)).client_token
                        runtime.service.renew(root, token, 7200)
                        runtime.service.revoke(root, token)
                    seconds[counted].append(time.perf_counter() - started)
    finally:
        runtime.close()
    with_, without = statistics.median(seconds[True]), statistics.median(seconds[False])
    return {"activity_token_lives_per_s": round(tokens / with_), "activity_token_lives_per_s_without": round(
        tokens / without), "activity_write_cost_ratio": round(with_ / without, 3)}


@contextmanager
def _activity_projection(kept: bool) -> Iterator[None]:
    saved = registry.PROJECTIONS
    if not kept:
        registry.PROJECTIONS = tuple(p for p in saved if not isinstance(p, ActivityProjection))
    registry._HANDLERS.clear()
    try:
        yield
    finally:
        registry.PROJECTIONS = saved
        registry._HANDLERS.clear()


def median_ms(work: Callable[[], Any]) -> float:
    """The median of ``RUNS`` runs, in milliseconds (the first warms the caches and counts too)."""
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 2)


if __name__ == "__main__":  # the section alone: python -m scripts.activity_bench [events]
    import sys

    class _Sizes:
        activity_events = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000

    with tempfile.TemporaryDirectory() as directory:
        for key, value in activity_charts(Path(directory), _Sizes()).items():
            print(f"{key}: {value}")
