"""One writer at a time across the processes sharing a SQLite file.

SQLite itself lets a second writer wait by polling (its busy handler sleeps 1, 2, 5, 10 ... ms
between tries), which turns every clash between server processes into milliseconds of idle
latency. A blocking ``flock`` on a file beside the database hands the write over the moment the
holder is done. Within one process the library's own lock already serialises writers.
"""

from __future__ import annotations

import fcntl
import os
import threading
from types import TracebackType


class WriterLock:
    def __init__(self, path: str | None) -> None:
        self._path = path
        self._descriptor: int | None = None
        self._this_process = threading.Lock()  # flock is per process: threads queue here first

    @classmethod
    def beside(cls, db_name: str) -> WriterLock:
        """A lock file next to a file database; none for an in-memory one."""
        in_memory = ":memory:" in db_name or "mode=memory" in db_name
        path = db_name.removeprefix("file:").split("?", 1)[0]
        return cls(None if in_memory else path + ".writer-lock")

    def __enter__(self) -> None:
        if self._path is None:
            return
        self._this_process.acquire()
        try:
            if self._descriptor is None:
                self._descriptor = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._descriptor, fcntl.LOCK_EX)
        except BaseException:
            self._this_process.release()
            raise

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._path is None or self._descriptor is None:
            return
        fcntl.flock(self._descriptor, fcntl.LOCK_UN)
        self._this_process.release()
