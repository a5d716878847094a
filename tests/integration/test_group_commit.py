"""Group commit on both stores: saves that meet share one transaction, a conflicting save fails
alone, a batch whose transaction fails leaves nothing and acknowledges nothing, and tokens created
by many threads at once are all there, in the read models and the hash chain."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from tests.support.chain import verify as verify_chain
from tokenledger.domain.caller import Caller
from tokenledger.domain.commands import CreateToken
from tokenledger.projections.group_commit import PendingSave
from tokenledger.projections.replay import verify as verify_read_models
from tokenledger.wiring.bootstrap import Runtime


class Scratch(Aggregate):
    """Any aggregate's events take the same insert as a token's."""


def a_save(runtime: Runtime) -> PendingSave:
    events = Scratch().collect_events()
    return PendingSave([runtime.ledger.mapper.to_stored_event(event) for event in events],
                       {"saved_events": events})


def stream_length(runtime: Runtime, save: PendingSave) -> int:
    return len(runtime.ledger.recorder.select_events(save.stored_events[0].originator_id))


def test_a_conflicting_save_in_a_batch_fails_alone(runtime: Runtime) -> None:
    first, second = a_save(runtime), a_save(runtime)
    again = PendingSave(first.stored_events, first.kwargs)  # the same stream version as the first
    runtime.ledger.recorder.write_batch([first, again, second])
    assert isinstance(again.error, IntegrityError) and again.notification_ids is None
    assert first.error is None and second.error is None
    assert first.notification_ids and second.notification_ids
    assert (stream_length(runtime, first), stream_length(runtime, second)) == (1, 1)
    assert verify_chain(runtime).problem is None


def test_a_batch_whose_transaction_fails_leaves_nothing(runtime: Runtime,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = runtime.ledger.recorder
    saves = [a_save(runtime) for _ in range(3)]
    insert_on, calls = recorder.insert_on, []

    def failing_last(cursor: Any, stored_events: Any, saved_events: Any) -> Any:
        calls.append(stored_events)
        if len(calls) == len(saves):
            raise RuntimeError("the store failed mid-batch")
        return insert_on(cursor, stored_events, saved_events)

    monkeypatch.setattr(recorder, "insert_on", failing_last)
    group = recorder.group_commit
    with pytest.raises(RuntimeError, match="mid-batch"):
        group.write(saves)
    monkeypatch.undo()
    assert [stream_length(runtime, save) for save in saves] == [0, 0, 0]
    assert verify_chain(runtime).problem is None


def test_tokens_created_by_many_threads_at_once_are_all_recorded(runtime: Runtime, root: Caller) -> None:
    recorder = runtime.ledger.recorder
    batch_sizes: list[int] = []
    write = recorder.group_commit.write

    def counting(batch: list[PendingSave]) -> None:
        batch_sizes.append(len(batch))
        write(batch)

    recorder.group_commit.write = counting
    created: list[str] = []
    failures: list[BaseException] = []

    def create_some() -> None:
        try:
            for _ in range(15):
                created.append(runtime.service.create(root, CreateToken(policies=("web",), ttl=3600)).view.accessor)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=create_some) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(created) == 120
    assert all(runtime.read_models.token_id_for_accessor(accessor) for accessor in created)
    assert max(batch_sizes) > 1, batch_sizes  # eight writers at once did share transactions
    assert verify_chain(runtime).problem is None
    assert verify_read_models(runtime.ledger, runtime.read_models) == []
