"""gunicorn's worker for tokenledger: uvicorn's event loop reads every request whole (see
``tokenledger.wiring.http_protocol`` and ``tokenledger.wiring.whole_request``) and the WSGI app
runs on a thread pool."""

from __future__ import annotations

import logging
from typing import Any

from uvicorn_worker import UvicornWorker

from tokenledger.wiring.http_protocol import TimedHttpProtocol
from tokenledger.wiring.settings import HttpTimeouts


class LedgerWorker(UvicornWorker):  # type: ignore[misc]
    def __init__(self, age: int, ppid: int, sockets: list[Any], app: Any, timeout: int, cfg: Any,
                 log: Any) -> None:
        timeouts: HttpTimeouts = app.http_timeouts
        self.CONFIG_KWARGS = {
            **UvicornWorker.CONFIG_KWARGS,
            "http": TimedHttpProtocol.with_timeouts(timeouts),
            "timeout_keep_alive": timeouts.effective_idle,
            # One second inside gunicorn's graceful_timeout, so the worker exits on its own.
            "timeout_graceful_shutdown": max(cfg.graceful_timeout - 1, 1),
            "lifespan": "off",
            "access_log": False,  # legacy paths carry tokens (lookup/<token>): never log URLs
            "server_header": False,
            # X-Forwarded-For must never become the client address: tokens' bound CIDRs check it.
            "proxy_headers": False,
        }
        super().__init__(age, ppid, sockets, app, timeout, cfg, log)
        # uvicorn's own messages go where the app's go: the JSON lines on stderr.
        uvicorn_log = logging.getLogger("uvicorn.error")
        uvicorn_log.handlers.clear()
        uvicorn_log.propagate = True
        uvicorn_log.addFilter(_without_colour)


def _without_colour(record: logging.LogRecord) -> bool:
    record.__dict__.pop("color_message", None)  # uvicorn's copy of the message for terminals
    return True
