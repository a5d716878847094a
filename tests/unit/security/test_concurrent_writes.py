"""The retry helper behind every optimistic write (finding 6 of issue 13): it retries a conflict,
and gives up after its attempts with the message it was given."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import RecordConflictError

from tokenledger.application.retry import retry_on_conflict
from tokenledger.domain.errors import ConcurrentUpdate


def test_the_retry_helper_gives_up_after_its_attempts_with_its_message() -> None:
    calls: list[int] = []

    def always_conflicts() -> None:
        calls.append(1)
        raise RecordConflictError("taken")

    with pytest.raises(ConcurrentUpdate, match="^busy, try again$"):
        retry_on_conflict(always_conflicts, attempts=3, gave_up="busy, try again")
    assert len(calls) == 3
    assert retry_on_conflict(lambda: 7, attempts=1, gave_up="never") == 7
