"""Threads that run for the length of a ``with`` block: load generators of the multi-process tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Self


class Threads:
    """Each added target runs in its own thread from the block's start; its loop should end once
    ``running()`` is false, which it is from the block's end, and the block waits for it."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def add(self, target: Callable[..., None], *args: Any) -> None:
        self._threads.append(threading.Thread(target=target, args=args))

    def running(self) -> bool:
        return not self._stop.is_set()

    def __enter__(self) -> Self:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()
