"""The Flask app served over ASGI: each request is read to its last body byte in the event loop,
and only then does the WSGI app get one of the worker's threads.

A client that trickles its body thus holds no thread; the protocol's read timeout
(``tokenledger.wiring.http_protocol``) ends it. The environ is a2wsgi's; the response is gathered on the thread
and sent from the loop in one go, where a2wsgi's own bridge hands each piece of it back to the
loop and waits (three round trips a request, a third more server CPU for hello-world). The app
streams no response: its answers are small JSON documents and pages.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

from a2wsgi.wsgi import build_environ

from tokenledger.web.request_input import RequestTooLarge, body_limit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Answer = tuple[int, list[tuple[bytes, bytes]], bytes]

class WsgiOnThreads:
    """``app`` on a pool of ``threads`` threads, given a request whose body has been read."""

    def __init__(self, app: WsgiApp, threads: int) -> None:
        self._app = app
        self._threads = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="wsgi")

    async def __call__(self, scope: Scope, body: bytes, send: Send) -> None:
        environ = cast(dict[str, Any], build_environ(scope, None))  # type: ignore[arg-type]
        # The whole body, so it ends where the request does (Werkzeug reads a chunked one then).
        environ.update({"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True})
        status, headers, content = await asyncio.get_running_loop().run_in_executor(
            self._threads, self._answer, environ)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    def _answer(self, environ: dict[str, Any]) -> Answer:
        started: list[Any] = []
        chunks: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]],
                           exc_info: Any = None) -> Callable[[bytes], None]:
            if exc_info is not None and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [int(status.split(" ", 1)[0]),
                          [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]]
            return chunks.append

        iterable = self._app(environ, start_response)
        try:
            chunks.extend(iterable)
        finally:
            getattr(iterable, "close", lambda: None)()
        return started[0], started[1], b"".join(chunks)


class WholeRequestFirst:
    """ASGI middleware: buffers the body, at most ``limit`` bytes (413 beyond; None: no limit)."""

    def __init__(self, app: WsgiOnThreads, limit: int | None) -> None:
        self._app = app
        self._limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # lifespan is off; websockets are not served
        if self._limit is not None and _declared_length(scope) > self._limit:
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
            if self._limit is not None and size > self._limit:
                await _too_large(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self._app(scope, b"".join(chunks), send)


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else 0  # httptools refuses a malformed one
    return 0


async def _too_large(send: Send) -> None:
    body = json.dumps({"errors": [str(RequestTooLarge())]}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def asgi_app(app: WsgiApp, threads: int, max_request_size: int) -> WholeRequestFirst:
    """``app`` on ``threads`` threads, each request read whole before it takes one; bodies are
    bounded by ``max_request_size`` as Vault reads it (0 the default, negative no limit)."""
    return WholeRequestFirst(WsgiOnThreads(app, threads), body_limit(max_request_size))
