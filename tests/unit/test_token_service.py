"""The token service's rules, on the in-memory ledger: trees, uses, expiry, races. They run again
on SQLite and PostgreSQL from tests/integration/unit_on_real_stores."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from freezegun import freeze_time

from scripts.bulk import issue_many
from tests.support.runtimes import ROOT_TOKEN, event_count, recorded_topics
from tests.support.services import ADDR, child_of, is_usable, login
from tokenledger.application.token_service import TokenService
from tokenledger.domain.caller import Caller
from tokenledger.domain.commands import CreateToken
from tokenledger.domain.errors import InvalidRequest, PermissionDenied
from tokenledger.domain.token_events import TokenOrphaned, TokenRevoked
from tokenledger.wiring.bootstrap import Runtime


def test_revoking_a_token_revokes_its_whole_subtree_children_first(
    runtime: Runtime, service: TokenService, root: Caller
) -> None:
    parent = child_of(service, root)
    child = child_of(service, login(service, parent))
    grandchild = child_of(service, login(service, child))
    sibling = child_of(service, root)

    service.revoke(root, parent)

    assert [is_usable(service, t) for t in (parent, child, grandchild, sibling)] == [False, False, False, True]
    revoked = [oid for oid, topic in recorded_topics(runtime) if topic == "TokenRevoked"]
    ids = [service._hasher.token_id(t).hex for t in (grandchild, child, parent)]
    assert revoked == ids


def test_revoke_orphan_keeps_the_children_alive_as_orphans(service: TokenService, root: Caller) -> None:
    parent = child_of(service, root)
    child = child_of(service, login(service, parent))
    grandchild = child_of(service, login(service, child))

    service.revoke_orphan(root, parent)

    assert not is_usable(service, parent)
    assert login(service, child).view.orphan
    assert is_usable(service, grandchild)
    service.revoke(root, child)
    assert not is_usable(service, grandchild)


def test_revoke_orphan_needs_sudo_and_an_existing_token(service: TokenService, root: Caller) -> None:
    holder = login(service, child_of(service, root))
    with pytest.raises(InvalidRequest, match="^root or sudo privileges required to revoke and orphan$"):
        service.revoke_orphan(holder, ROOT_TOKEN)
    with pytest.raises(InvalidRequest, match="^missing token ID$"):  # asked before sudo, as in Vault
        service.revoke_orphan(holder, "")
    with pytest.raises(InvalidRequest, match="token to revoke not found"):
        service.revoke_orphan(root, "no-such-token")


def test_a_one_use_token_dies_after_its_use(service: TokenService, root: Caller) -> None:
    once = child_of(service, root, num_uses=1)
    caller = login(service, once)
    assert caller.view.uses_left == 0
    with pytest.raises(PermissionDenied):
        login(service, once)
    service.settle(caller)
    with pytest.raises(PermissionDenied):
        login(service, once)


def successes_when_hit_at_once(service: TokenService, token: str, clients: int) -> int:
    outcomes: list[bool] = []
    start = threading.Barrier(clients)

    def attempt() -> None:
        start.wait()
        outcomes.append(is_usable(service, token))

    threads = [threading.Thread(target=attempt) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes.count(True)


def test_a_one_use_token_hit_concurrently_succeeds_exactly_once(
    service: TokenService, root: Caller
) -> None:
    assert successes_when_hit_at_once(service, child_of(service, root, num_uses=1), 16) == 1


def test_five_uses_by_concurrent_clients_are_five_successes(service: TokenService, root: Caller) -> None:
    assert successes_when_hit_at_once(service, child_of(service, root, num_uses=5), 12) == 5


def test_no_child_created_during_a_revoke_survives_it(service: TokenService, root: Caller) -> None:
    for _ in range(5):
        parent = child_of(service, root)
        parent_caller = login(service, parent)
        issued: list[str] = []
        stop = threading.Event()

        def keep_creating(stop: threading.Event = stop, issued: list[str] = issued,
                          parent_caller: Caller = parent_caller) -> None:
            while not stop.is_set():
                try:
                    issued.append(child_of(service, parent_caller))
                except (InvalidRequest, PermissionDenied):
                    return

        creator = threading.Thread(target=keep_creating)
        creator.start()
        while len(issued) < 3:
            pass
        service.revoke(root, parent)
        survivors_at_return = [t for t in list(issued) if is_usable(service, t)]
        stop.set()
        creator.join()
        assert survivors_at_return == []
        assert [t for t in issued if is_usable(service, t)] == []


def test_a_custom_id_is_unique_and_the_original_is_untouched(
    runtime: Runtime, service: TokenService, root: Caller
) -> None:
    original = service.create(root, CreateToken(custom_id="my-token", policies=("web",), meta={"v": "1"}))
    before = event_count(runtime)
    with pytest.raises(InvalidRequest, match="cannot create a token with a duplicate ID"):
        service.create(root, CreateToken(custom_id="my-token", policies=("other",)))
    assert event_count(runtime) == before
    assert service.lookup("my-token").accessor == original.view.accessor
    assert service.lookup("my-token").meta == {"v": "1"}


def test_an_expired_token_is_refused_at_once_and_its_expiry_recorded_once(
    runtime: Runtime, service: TokenService, root: Caller
) -> None:
    with freeze_time("2026-01-01 00:00:00") as clock:
        parent = child_of(service, root, ttl=60)
        child = child_of(service, login(service, parent), ttl=3600)
        orphan = child_of(service, login(service, parent), ttl=3600, orphan_endpoint=True)
        clock.tick(timedelta(seconds=61))
        assert not is_usable(service, parent)
        assert is_usable(service, child)
        assert service.expire_due() == 1
        assert service.expire_due() == 0
        assert not is_usable(service, child)
        assert is_usable(service, orphan)
    topics = [topic for _, topic in recorded_topics(runtime)]
    assert topics.count("TokenExpired") == 1
    assert topics[-2:] == ["TokenRevoked", "TokenExpired"]


def test_renewal_is_refused_for_missing_tokens(service: TokenService, root: Caller) -> None:
    with pytest.raises(InvalidRequest, match="token not found"):
        service.renew(root, "hvs.missing", 60)
    with pytest.raises(InvalidRequest, match="invalid accessor"):
        service.renew_accessor(root, "nope", 60)
    with pytest.raises(InvalidRequest, match="missing token ID"):
        service.renew(root, "", 60)


def test_a_ten_thousand_deep_chain_revokes(runtime: Runtime, root: Caller) -> None:
    chain = issue_many(runtime, 10_000, parent=root.view.token_id, prefix="chain", chain=True)
    assert is_usable(runtime.service, chain[-1])

    runtime.service.revoke(root, chain[0])

    assert not is_usable(runtime.service, chain[-1])
    assert not is_usable(runtime.service, chain[5000])
    assert runtime.read_models.accessors() == [root.view.accessor]


def test_events_record_the_actor_and_remote_address(runtime: Runtime, root: Caller) -> None:
    token = child_of(runtime.service, root)
    holder = login(runtime.service, token)
    runtime.service.revoke_self(holder)
    created, revoked = runtime.ledger.events.get(holder.view.token_id)
    assert created.actor_accessor == root.view.accessor
    assert isinstance(revoked, TokenRevoked)
    assert (revoked.actor_accessor, revoked.remote_addr, revoked.reason) == (
        holder.view.accessor, ADDR, "revoked by itself"
    )


def test_revoke_orphan_records_the_orphaning_on_each_child(runtime: Runtime, root: Caller) -> None:
    parent = child_of(runtime.service, root)
    child = login(runtime.service, child_of(runtime.service, login(runtime.service, parent)))
    runtime.service.revoke_orphan(root, parent)
    *_, orphaned = runtime.ledger.events.get(child.view.token_id)
    assert isinstance(orphaned, TokenOrphaned)
    assert orphaned.former_parent_id == child.view.parent_id is not None
    assert runtime.service.lookup(child.raw_token).parent_id is None
