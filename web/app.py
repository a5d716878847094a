"""The Flask app factory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from tokenledger.domain.clock import Clock
from tokenledger.web.access import Gate
from tokenledger.web.errors import register_error_handlers
from tokenledger.web.media_type import refuse_unpatchable
from tokenledger.web.observability import install_observability
from tokenledger.web.openapi import register_openapi
from tokenledger.web.request_input import body_reader, refuse_nul_characters
from tokenledger.web.sys_api import create_sys_blueprint
from tokenledger.web.token_api import create_token_blueprint
from tokenledger.web.ui import create_ui_blueprint
from tokenledger.web.unrouted import add_unmounted_paths
from tokenledger.wiring.bootstrap import Runtime, bootstrap
from tokenledger.wiring.settings import Settings

EXTENSION_KEY = "tokenledger"


class LedgerFlask(Flask):
    """Flask, but asking once per function whether it is a coroutine function: Flask asks
    ``inspect`` again on every call of every hook and view (nine times a lookup-self), through
    ``ensure_sync``, the method its documentation gives to override."""

    def __init__(self, import_name: str) -> None:
        super().__init__(import_name)
        self._synchronous: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        synchronous = self._synchronous.get(func)
        if synchronous is None:
            synchronous = self._synchronous[func] = super().ensure_sync(func)
        return synchronous


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> Flask:
    """A Flask app serving Vault's token API at ``/v1/auth/token`` and the policy and lease
    endpoints at ``/v1/sys``, over the configured store."""
    runtime = bootstrap(settings or Settings.from_env(), clock)
    app = LedgerFlask("tokenledger")
    app.extensions[EXTENSION_KEY] = runtime
    app.register_blueprint(create_token_blueprint(runtime), url_prefix="/v1/auth/token")
    app.register_blueprint(create_sys_blueprint(runtime), url_prefix="/v1/sys")
    app.register_blueprint(create_ui_blueprint(runtime), url_prefix="/ui")
    install_observability(app, runtime)  # first: its request ID and clock cover refused requests too
    app.before_request(body_reader(runtime.settings.max_request_size))
    app.before_request(refuse_nul_characters)
    app.before_request(refuse_unpatchable)
    register_openapi(app)
    register_error_handlers(app)
    add_unmounted_paths(app, Gate(runtime.service, runtime.settings.index_wait_seconds))
    return app


def runtime_of(app: Flask) -> Runtime:
    runtime: Runtime = app.extensions[EXTENSION_KEY]
    return runtime
