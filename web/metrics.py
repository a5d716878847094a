"""Prometheus metrics: requests by route and status, latency histograms, events appended, and,
read from the store at each scrape, live tokens, the log's head and the read models' lag.

``prometheus_client`` is imported lazily: in multiprocess mode (several gunicorn workers, one
``PROMETHEUS_MULTIPROC_DIR``) it must first be imported after that variable is set, and the
server sets it before its workers start.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from tokenledger.wiring.bootstrap import Runtime

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# Label values come from this fixed set, never from the request as sent: a client, with or without
# a token, could otherwise add a series per made-up method and grow every scrape without bound.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "LIST", "OPTIONS"})
OTHER_METHOD = "other"
UNMATCHED_ROUTE = "unmatched"


class Metrics:
    def __init__(self, runtime: Runtime) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self._runtime = runtime
        self._registry = CollectorRegistry()
        self._requests = Counter("tokenledger_requests", "HTTP requests served, by route, method and status",
                                 ["route", "method", "status"], registry=self._registry)
        self._latency = Histogram("tokenledger_request_duration_seconds", "Time to serve a request, by route",
                                  ["route"], buckets=LATENCY_BUCKETS, registry=self._registry)
        self._events = Counter("tokenledger_events_appended", "Events this server appended to the ledger",
                               registry=self._registry)
        runtime.ledger.saved_event_observers.append(self._events.inc)
        if runtime.replicas is not None:
            routed = Counter("tokenledger_replica_scope_reads", "Reads of requests that may use a read replica, "
                             "by where they went (replica, or primary when none had replayed far enough)",
                             ["target"], registry=self._registry)
            runtime.replicas.counted.append(lambda target: routed.labels(target).inc())
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        """``route`` is the URL rule that matched (never the raw path), else ``UNMATCHED_ROUTE``."""
        key = (route, method if method in KNOWN_METHODS else OTHER_METHOD, status)
        series = self._series.get(key)
        if series is None:  # the labelled children, looked up once per route, method and status
            series = self._series[key] = (self._requests.labels(key[0], key[1], str(status)),
                                          self._latency.labels(key[0]))
        series[0].inc()
        series[1].observe(seconds)

    def exposition(self) -> tuple[bytes, str]:
        """The text format, summed over every worker process when there are several."""
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
        from prometheus_client.multiprocess import MultiProcessCollector

        registry = CollectorRegistry()
        if os.environ.get(MULTIPROCESS_DIR):
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        else:
            registry.register(self._registry)
        registry.register(_StoreCollector(self._runtime))
        return generate_latest(registry), CONTENT_TYPE_LATEST


class _StoreCollector:
    """Gauges read from the store at scrape time, so every worker reports the same values."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        index = self._runtime.read_models
        head = self._runtime.ledger.recorder.max_notification_id() or 0
        live = int(index.query("SELECT COUNT(*) AS n FROM token_lookup", [])[0]["n"])
        yield GaugeMetricFamily("tokenledger_tokens_live", "Live service tokens", value=live)
        yield GaugeMetricFamily("tokenledger_ledger_position", "Position of the last event in the log",
                                value=head)
        yield GaugeMetricFamily("tokenledger_projection_lag_events",
                                "Events in the log the read models have not applied yet",
                                value=max(0, head - index.position()))
