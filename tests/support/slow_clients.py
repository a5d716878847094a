"""Idle and slow HTTP clients against a loopback server: connections that send nothing, that send
their headers a byte at a time, or full headers and then their body a byte at a time.

Every loop here is bounded by a deadline, and ``SlowClients`` closes its sockets on exit."""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType

SLOW_HEADERS_START = b"GET /v1/auth/token/lookup-self HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
SLOW_BODY_START = (b"POST /v1/auth/token/lookup HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n")


@dataclass
class SlowClients:
    """``idle`` connections send nothing; ``slow`` ones alternate between slow headers and slow
    bodies and send one more byte every ``interval`` seconds until ``stop()`` or ``lifetime``."""

    port: int
    idle: int
    slow: int
    interval: float = 0.2
    lifetime: float = 60.0
    sockets: list[socket.socket] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _trickler: threading.Thread | None = None

    def __enter__(self) -> SlowClients:
        try:
            for index in range(self.idle + self.slow):
                connection = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                if index >= self.idle:
                    connection.sendall(SLOW_BODY_START if index % 2 else SLOW_HEADERS_START)
                self.sockets.append(connection)
        except BaseException:
            self.close()
            raise
        self._trickler = threading.Thread(target=self._trickle, daemon=True)
        self._trickler.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def _trickle(self) -> None:
        deadline = time.monotonic() + self.lifetime
        while time.monotonic() < deadline and not self._stopping.wait(self.interval):
            for connection in self.sockets[self.idle:]:
                with contextlib.suppress(OSError):  # closed by the server: what the read timeouts are for
                    connection.send(b"a")

    def stop(self) -> None:
        self._stopping.set()
        if self._trickler is not None:
            self._trickler.join(timeout=10)

    def close(self) -> None:
        self.stop()
        for connection in self.sockets:
            connection.close()

    def still_open(self, within: float) -> int:
        """How many connections the server has not closed after ``within`` seconds at most: a
        closed one reads as end of file or a reset (after whatever response it got)."""
        open_ones = len(self.sockets)
        deadline = time.monotonic() + within
        with selectors.DefaultSelector() as waiting:
            for connection in self.sockets:
                waiting.register(connection, selectors.EVENT_READ)
            while open_ones and time.monotonic() < deadline:
                for key, _ in waiting.select(timeout=0.2):
                    if _closed_by_peer(key.fileobj):  # type: ignore[arg-type]
                        waiting.unregister(key.fileobj)
                        open_ones -= 1
        return open_ones

def _closed_by_peer(connection: socket.socket) -> bool:
    try:
        return connection.recv(65536) == b""
    except OSError:
        return True
