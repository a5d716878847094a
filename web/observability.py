"""Operations: ``sys/health`` in Vault's shape, ``sys/metrics?format=prometheus``, and a request
id, a latency measurement and a JSON log line for every request."""

from __future__ import annotations

import logging
import time
import uuid

from flask import Blueprint, Flask, Response, g, request

from tokenledger.domain.caller import Caller
from tokenledger.web.access import Gate
from tokenledger.web.envelope import error_response, json_response
from tokenledger.web.metrics import UNMATCHED_ROUTE, Metrics
from tokenledger.web.openapi_schemas import HealthSchema
from tokenledger.web.routes import BARE, PLAIN, Answer, Doc, Route, RoutedBlueprint
from tokenledger.web.served import request_globals, served_request
from tokenledger.wiring.bootstrap import Runtime

log = logging.getLogger("tokenledger.request")
VERSION = "tokenledger 0.1.0"


def install_observability(app: Flask, runtime: Runtime) -> None:
    metrics = Metrics(runtime)

    @app.before_request
    def _start() -> None:
        g.request_id = str(uuid.uuid4())
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        served, state = served_request(), request_globals()
        seconds = time.perf_counter() - state.get("started", time.perf_counter())
        route = served.url_rule.rule if served.url_rule else UNMATCHED_ROUTE
        metrics.observe(route, served.method, response.status_code, seconds)
        log.info("request", extra={"request_id": state.get("request_id", ""), "method": served.method,
                                   "route": route, "status": response.status_code,
                                   "duration_ms": round(seconds * 1000, 3),
                                   "accessor": state.get("accessor", ""), "remote_addr": served.remote_addr})
        return response

    app.register_blueprint(_operations_blueprint(runtime, metrics), url_prefix="/v1/sys")


def _operations_blueprint(runtime: Runtime, metrics: Metrics) -> Blueprint:
    blueprint = RoutedBlueprint("operations", __name__, Gate(runtime.service, runtime.settings.index_wait_seconds),
                                "sys")

    def health() -> Response:
        """Unauthenticated, as in Vault: 200 when initialised and the store answers."""
        try:
            initialised = runtime.ledger.is_initialised()
            reachable = True
        except Exception:
            initialised, reachable = False, False
        status = 200 if initialised else (501 if reachable else 503)
        body = {"initialized": initialised, "sealed": False, "standby": False,
                "performance_standby": False, "replication_performance_mode": "disabled",
                "replication_dr_mode": "disabled", "server_time_utc": int(time.time()),
                "version": VERSION, "store_reachable": reachable}
        response = json_response(body, status)
        return response if request.method != "HEAD" else Response(status=status)

    def prometheus(caller: Caller) -> Response:
        if request.args.get("format") != "prometheus":
            return error_response(400, "only format=prometheus is supported")
        text, content_type = metrics.exposition()
        return Response(text, mimetype=content_type.split(";")[0], headers={"Cache-Control": "no-store"})

    blueprint.add_routes((
        Route(("/health",), ("GET", "HEAD"), health, Doc(
            "Health, in Vault's shape",
            (Answer(200, kind=BARE, data=HealthSchema, description="initialised and serving"),
             Answer(501, kind=BARE, data=HealthSchema, description="not initialised"),
             Answer(503, kind=BARE, data=HealthSchema, description="the store does not answer")),
            tag="sys/health", security=(), vault_parameters=False, errors=(500,),
            description="Unauthenticated, as in Vault.")),
        Route(("/metrics",), ("GET",), prometheus, Doc(
            "Metrics in Prometheus' text format", (Answer(200, kind=PLAIN, description="the exposition"),),
            query=("format",), tag="sys/metrics")),
    ))
    return blueprint
