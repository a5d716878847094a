"""Serving the app on gunicorn, after initialising the store once in the master process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from web.app import create_app, runtime_of
from web.bootstrap import bootstrap
from web.expiry import ExpirySweeper
from web.settings import Settings


def initialise_store(settings: Settings, root_token: str = "") -> str | None:
    """The new root token if this call initialised the store, else None."""
    runtime = bootstrap(settings)
    try:
        return runtime.service.initialise(root_token)
    finally:
        runtime.close()


def remove_store(store: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(store + suffix).unlink(missing_ok=True)


class LedgerServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, bind: str, workers: int, threads: int) -> None:
        self._settings = settings
        self._options = {
            "bind": bind,
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "accesslog": None,  # legacy paths carry tokens (lookup/<token>): never log URLs
            "graceful_timeout": 10,
            "control_socket_disable": True,  # one shared socket path would clash between servers
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        app = create_app(self._settings)
        runtime = runtime_of(app)
        if self._settings.expiry_sweep_seconds > 0:
            ExpirySweeper(runtime.service, self._settings.expiry_sweep_seconds).start()
        return app

    def init(self, parser: Any, opts: Any, args: Any) -> None:
        return None
