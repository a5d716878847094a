"""Each namespace's policy texts, kept in the process while the namespace's policies stay as they were.

A request's ACL needs the texts of its token's policies. Rather than a query for them on every
request, the statement that reads the token (``ReadModelStore.find``) also reads its namespace's
*change marker*: the (aggregate, version) of the last policy event recorded there, unique to that
event, so any write or delete of a policy changes it. The texts are served from memory while the
marker the request saw is the marker they were loaded under, so a request never sees texts older
than the snapshot its own token was read in: a policy change is seen at once by every process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

Texts = dict[str, str]
Loader = Callable[[str], tuple[str | None, Texts]]  # namespace -> (marker, every text there)
SEEN_FOR_SECONDS = 1.0  # a marker vouches for the request that read it, not for later work on the thread


class PolicyTextCache:
    def __init__(self) -> None:
        self._by_namespace: dict[str, tuple[str, Texts]] = {}
        self._seen = threading.local()

    def saw(self, namespace: str, marker: str | None) -> None:
        """This thread read ``namespace``'s marker (None: no policy was ever written there)."""
        self._seen.marker = (namespace, marker, time.monotonic())

    def texts(self, namespace: str, load: Loader) -> Texts:
        """``namespace``'s texts: from memory if this thread's last read of the marker (used
        once, and only just after it was read) shows them current; else loaded and kept with
        their marker."""
        seen: tuple[str, str | None, float] | None = getattr(self._seen, "marker", None)
        self._seen.marker = None
        if seen is not None and seen[0] == namespace and time.monotonic() - seen[2] < SEEN_FOR_SECONDS:
            if seen[1] is None:
                return {}
            cached = self._by_namespace.get(namespace)
            if cached is not None and cached[0] == seen[1]:
                return cached[1]
        marker, texts = load(namespace)
        if marker is not None:
            self._by_namespace[namespace] = (marker, texts)
        return texts
