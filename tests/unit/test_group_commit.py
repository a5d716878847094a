"""Group commit's protocol, with a fake transaction: batching, isolation of a conflict, and no
save told it succeeded before its batch committed."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from tokenledger.projections.group_commit import GroupCommit, PendingSave


class FakeStore:
    """Writes a batch as a transaction would: savepoint per save, then a commit that may fail."""

    def __init__(self) -> None:
        self.committed: list[str] = []
        self.batches: list[list[str]] = []
        self.first_batch_entered = threading.Event()
        self.release_first_batch = threading.Event()
        self.fail_commit = False
        self.taken: set[str] = set()

    def write(self, batch: list[PendingSave]) -> None:
        names = [str(pending.kwargs["name"]) for pending in batch]
        self.batches.append(names)
        if len(self.batches) == 1:
            self.first_batch_entered.set()
            assert self.release_first_batch.wait(5)
        inserted = []
        for number, pending in enumerate(batch):
            name = names[number]
            if name in self.taken or name in inserted:
                pending.error = IntegrityError(f"{name} is taken")
                continue
            inserted.append(name)
            pending.notification_ids = [len(self.committed) + len(inserted)]
        assert not any(pending.done for pending in batch), "a save was told before its commit"
        if self.fail_commit:
            raise OSError("disk I/O error at commit")
        self.committed.extend(inserted)
        self.taken.update(inserted)


def saves_in_two_batches(store: FakeStore, names: list[str]) -> list[Any]:
    """Each save's outcome, in the order of ``names``: the first alone in a batch held open until
    every other save is queued behind it."""
    group = GroupCommit(store.write)
    outcomes: list[Any] = [None] * len(names)

    def save(number: int) -> None:
        try:
            outcomes[number] = group.save([], name=names[number])
        except Exception as error:
            outcomes[number] = error

    first = threading.Thread(target=save, args=(0,))
    first.start()
    assert store.first_batch_entered.wait(5)
    others = [threading.Thread(target=save, args=(number,)) for number in range(1, len(names))]
    for thread in others:
        thread.start()
    while len(group._queue) < len(others):  # every other save is queued behind the first
        threading.Event().wait(0.001)
    store.release_first_batch.set()
    for thread in (first, *others):
        thread.join(5)
    return outcomes


def test_saves_that_arrive_together_share_one_transaction() -> None:
    store = FakeStore()
    outcomes = saves_in_two_batches(store, ["a", "b", "c", "d"])
    assert store.batches[0] == ["a"]
    assert sorted(store.batches[1]) == ["b", "c", "d"]
    assert sorted(store.committed) == ["a", "b", "c", "d"]
    assert all(isinstance(outcome, list) for outcome in outcomes)


def test_a_conflicting_save_fails_alone() -> None:
    store = FakeStore()
    outcomes = saves_in_two_batches(store, ["x", "a", "b", "a", "c"])  # one "a" conflicts with the other
    assert sorted(store.batches[1]) == ["a", "a", "b", "c"]
    assert sum(isinstance(outcome, IntegrityError) for outcome in outcomes) == 1
    assert sum(isinstance(outcome, list) for outcome in outcomes) == 4
    assert sorted(store.committed) == ["a", "b", "c", "x"]


def test_no_save_of_a_batch_whose_commit_failed_is_acknowledged() -> None:
    store = FakeStore()
    group = GroupCommit(store.write)
    store.release_first_batch.set()
    group.save([], name="first")
    store.fail_commit = True
    with pytest.raises(OSError, match="at commit"):
        group.save([], name="second")
    assert store.committed == ["first"]


def test_a_failed_batch_fails_every_save_in_it_and_the_next_batch_goes_on() -> None:
    store = FakeStore()
    store.fail_commit = True
    outcomes = saves_in_two_batches(store, ["a", "b", "c"])
    assert all(isinstance(outcome, OSError) for outcome in outcomes)
    assert store.committed == []
    store.fail_commit = False
    assert GroupCommit(store.write).save([], name="d") == [1]
