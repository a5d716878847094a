"""The Flask app served over ASGI: each request is read to its last body byte in the event loop,
and only then does the WSGI app get one of the worker's threads.

A client that trickles its body thus holds no thread; the protocol's read timeout
(``web.http_protocol``) ends it. ``a2wsgi`` runs the WSGI app on its thread pool.
"""

from __future__ import annotations

import io
import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from a2wsgi import WSGIMiddleware

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# Vault's default ``max_request_size``; the server passes its setting.
DEFAULT_MAX_REQUEST_SIZE = 32 * 1024 * 1024
_BODY = "tokenledger.body"  # the scope key a2wsgi hands on to the environ under "asgi.scope"


class WholeRequestFirst:
    """ASGI middleware: buffers the body, at most ``max_request_size`` bytes (413 beyond)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]],
                 max_request_size: int = DEFAULT_MAX_REQUEST_SIZE) -> None:
        self._app = app
        self._max_request_size = max_request_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        if _declared_length(scope) > self._max_request_size:
            await _too_large(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left, or the read timeout closed the connection
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._max_request_size:
                await _too_large(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        scope[_BODY] = b"".join(chunks)
        await self._app(scope, receive, send)


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else 0  # httptools refuses a malformed one
    return 0


async def _too_large(send: Send) -> None:
    body = json.dumps({"errors": ["request body too large"]}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def _buffered_input(app: WsgiApp) -> WsgiApp:
    """The WSGI side: the whole body as ``wsgi.input``, which therefore ends where the request
    does (``wsgi.input_terminated``, which Werkzeug needs to read a chunked body)."""

    def with_buffered_input(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ["wsgi.input"] = io.BytesIO(environ["asgi.scope"][_BODY])
        environ["wsgi.input_terminated"] = True
        return app(environ, start_response)

    return with_buffered_input


def asgi_app(app: WsgiApp, threads: int, max_request_size: int = DEFAULT_MAX_REQUEST_SIZE) -> WholeRequestFirst:
    """``app`` on ``threads`` threads, each request read whole before it takes one."""
    bridge = WSGIMiddleware(_buffered_input(app), workers=threads)  # type: ignore[arg-type]
    return WholeRequestFirst(bridge, max_request_size)  # type: ignore[arg-type]
