"""Serving the app on gunicorn, after initialising the store once in the master process."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from flask import Flask
from gunicorn.app.base import BaseApplication

from tokenledger.web.app import create_app, runtime_of
from tokenledger.web.json_logging import configure_json_logging
from tokenledger.web.metrics import MULTIPROCESS_DIR
from tokenledger.wiring.bootstrap import bootstrap
from tokenledger.wiring.expiry import ExpirySweeper
from tokenledger.wiring.settings import HttpTimeouts, Settings
from tokenledger.wiring.whole_request import WholeRequestFirst, WsgiApp, asgi_app

log = logging.getLogger(__name__)


def _create_app_riding_out_outages(settings: Settings, patience_seconds: float = 15.0) -> Flask:
    """A worker whose database connection drops while it starts tries again: gunicorn takes a
    worker that fails to boot as fatal and stops the whole server."""
    deadline = time.monotonic() + patience_seconds
    pause = 0.1
    while True:
        try:
            return create_app(settings)
        except (OperationalError, InterfaceError) as error:
            if time.monotonic() + pause > deadline:
                raise
            log.warning("store unavailable while starting (%s); retrying in %.1f s", error, pause)
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


def initialise_store(settings: Settings, root_token: str = "", *, dev: bool = False) -> str | None:
    """The new root token if this call initialised the store, else None. ``dev`` with a
    ``root_token``: a dev server's ``--dev-root-token-id``, shaped as Vault's dev server makes it."""
    runtime = bootstrap(settings)
    try:
        return runtime.service.initialise(root_token, dev=dev and bool(root_token))
    finally:
        runtime.close()


def remove_store(store: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(store + suffix).unlink(missing_ok=True)


class HttpServer(BaseApplication):  # type: ignore[misc]
    """A WSGI app served by gunicorn's master and ``workers`` processes of ``tokenledger.wiring.http_worker``:
    requests are read whole in an event loop, then run on one of ``threads`` threads."""

    def __init__(self, settings: Settings, bind: str, workers: int, threads: int) -> None:
        # Before any worker starts (and so before prometheus_client is imported anywhere): the
        # workers count into files here and any of them sums them all at a scrape.
        os.environ.setdefault(MULTIPROCESS_DIR, tempfile.mkdtemp(prefix="tokenledger-metrics-"))
        self._settings = settings
        self._threads = threads
        self._options = {
            "bind": bind,
            "workers": workers,
            "worker_class": "tokenledger.wiring.http_worker.LedgerWorker",
            "accesslog": None,  # legacy paths carry tokens (lookup/<token>): never log URLs
            "graceful_timeout": 10,
            "control_socket_disable": True,  # one shared socket path would clash between servers
        }
        super().__init__()

    @property
    def http_timeouts(self) -> HttpTimeouts:
        return self._settings.http_timeouts

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> WholeRequestFirst:
        return asgi_app(self.load_wsgi_app(), self._threads, self._settings.max_request_size)

    def load_wsgi_app(self) -> WsgiApp:
        raise NotImplementedError

    def init(self, parser: Any, opts: Any, args: Any) -> None:
        return None


class LedgerServer(HttpServer):
    def load_wsgi_app(self) -> WsgiApp:
        configure_json_logging()
        app = _create_app_riding_out_outages(self._settings)
        runtime = runtime_of(app)
        if self._settings.expiry_sweep_seconds > 0:
            ExpirySweeper(runtime.service, self._settings.expiry_sweep_seconds).start()
        return app
