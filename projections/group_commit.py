"""Group commit: the saves that threads of one process make at the same moment share one
transaction, so one lock hold and one commit (one fsync, one round trip to a synchronous standby)
serve them all.

Leader and followers, as databases do it for their own log: a save queues itself; if no batch is
being written, its thread becomes the leader and writes every queued save in one transaction, each
in its own savepoint, so that a save that conflicts (its stream version is taken) is rolled back
alone and gets its own error while the others go on. Saves that arrive meanwhile wait, and one of
them leads the next batch. No save is told it succeeded before its batch committed; if the commit
fails, every save of the batch gets that error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import StoredEvent

MAX_BATCH = 64  # saves in one transaction: bounds the time a lock is held and a batch's size


@dataclass(eq=False)
class PendingSave:
    stored_events: Sequence[StoredEvent]
    kwargs: dict[str, Any]
    notification_ids: Sequence[int] | None = None
    error: BaseException | None = None
    done: bool = False

    def outcome(self) -> Sequence[int] | None:
        if self.error is not None:
            raise self.error
        return self.notification_ids


BatchWriter = Callable[[list[PendingSave]], None]


class GroupCommit:
    """``write(batch)`` writes the batch in one transaction: it sets the ``notification_ids`` of
    each save it inserted and the ``error`` of each it rolled back to its savepoint; it raises if
    the transaction as a whole failed."""

    def __init__(self, write: BatchWriter) -> None:
        self.write = write
        self._changed = threading.Condition()
        self._queue: list[PendingSave] = []
        self._leading = False

    def save(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        pending = PendingSave(stored_events, kwargs)
        with self._changed:
            self._queue.append(pending)
            while not pending.done:
                if not self._leading:
                    self._leading = True
                    batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                    break
                self._changed.wait()
            else:
                return pending.outcome()
        try:
            self._lead(batch)
        finally:
            with self._changed:
                self._leading = False
                self._changed.notify_all()
        return pending.outcome()

    def _lead(self, batch: list[PendingSave]) -> None:
        try:
            self.write(batch)
        except BaseException as error:  # the transaction failed: nothing of the batch is on disk
            for pending in batch:
                if pending.error is None:
                    pending.error, pending.notification_ids = error, None
        finally:
            for pending in batch:
                pending.done = True
