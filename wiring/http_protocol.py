"""uvicorn's HTTP/1.1 protocol (httptools) with the read timeouts of Vault's listener.

uvicorn reads requests in its event loop, so a slow client costs a coroutine, not a thread; but it
never gives up on one: it has a timeout between kept-alive requests only. Here, as in Go's
net/http under Vault, the headers must arrive within ``read_header`` seconds of the accept (or of
a kept-alive request's first byte), the whole request within ``read`` seconds, and the headers
may not exceed ``MAX_HEADER_BYTES`` (Go's default; httptools sets no bound of its own).

httptools (llhttp) knows a fixed list of methods, without Vault's ``LIST``: a request that starts
with ``LIST `` is parsed as a ``GET`` and handed on as a ``LIST``. A pipelined ``LIST`` that
starts inside a read rather than at its start is refused with a 400 (clients do not pipeline).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from tokenledger.wiring.settings import HttpTimeouts

MAX_HEADER_BYTES = 1 << 20
_LIST, _PARSED_AS = b"LIST ", b"GET "


class TimedHttpProtocol(HttpToolsProtocol):
    timeouts: HttpTimeouts = HttpTimeouts()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._request_started = 0.0
        self._reading_headers = False
        self._header_bytes = 0
        self._at_message_start = True
        self._held = b""  # the first bytes of a request that may still turn out to be a LIST
        self._listing = False

    @classmethod
    def with_timeouts(cls, timeouts: HttpTimeouts) -> type[TimedHttpProtocol]:
        return type(cls.__name__, (cls,), {"timeouts": timeouts})

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_request()

    def data_received(self, data: bytes) -> None:
        if self._reading_headers:
            self._header_bytes += len(data)
            if self._header_bytes > MAX_HEADER_BYTES:
                self._refuse(431, "request headers too large")
                return
        if self._at_message_start:
            data = self._held + data
            self._held = b""
            if len(data) < len(_LIST) and _LIST.startswith(data):
                self._held = data
                return
            if data.startswith(_LIST):
                data = _PARSED_AS + data[len(_LIST):]
                self._listing = True
        super().data_received(data)

    def on_message_begin(self) -> None:
        self._at_message_start = False
        super().on_message_begin()
        if not self._reading_headers:  # the next request on a kept-alive connection
            self._start_request()

    def on_headers_complete(self) -> None:
        self._reading_headers = False
        self._arm(self.timeouts.read)
        super().on_headers_complete()
        if self._listing:  # before the request's task first runs
            self._listing = False
            self.scope["method"] = "LIST"

    def on_message_complete(self) -> None:
        self._disarm()
        self._at_message_start = True
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _start_request(self) -> None:
        self._request_started = self.loop.time()
        self._reading_headers = True
        self._header_bytes = 0
        # Go's net/http reads headers under the read timeout when there is no header timeout.
        self._arm(self.timeouts.read_header or self.timeouts.read)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        if seconds > 0:
            self._deadline = self.loop.call_at(self._request_started + seconds, self._timed_out)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _timed_out(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self._reading_headers or self.cycle is None or self.cycle.response_started:
            self.transport.close()  # no request to answer yet (Go closes silently too)
        else:
            self._refuse(408, "request body not received in time")

    def send_400_response(self, msg: str) -> None:
        """What the parser refuses gets Vault's error shape too."""
        self._refuse(400, "malformed HTTP request")

    def _refuse(self, status: int, message: str) -> None:
        body = json.dumps({"errors": [message]}).encode()
        head = b"content-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n" % len(body)
        self.transport.write(STATUS_LINE[status] + head + body)
        self.transport.close()
