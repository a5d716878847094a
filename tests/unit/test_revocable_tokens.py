"""A cascade of revocations reads each token from the last event of its stream alone
(``TokenLedger.revocable``): it must agree with the whole token on whether it is live and on its
version, record the very event ``Token.revoke`` would, and leave snapshots where they fall due.
A large batch runs with the garbage collector paused, and leaves it as it found it."""

from __future__ import annotations

import gc
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from tests.support.runtimes import ROOT_TOKEN
from tokenledger.application import revocation
from tokenledger.application.revocation import SubtreeRevoker
from tokenledger.domain.actor import SYSTEM, Actor
from tokenledger.domain.commands import CreateToken
from tokenledger.domain.issuance import TokenPlan
from tokenledger.domain.leases import TtlLimits
from tokenledger.domain.token import RevocableToken, Token
from tokenledger.domain.token_events import TokenRevoked
from tokenledger.domain.token_secrets import new_accessor
from tokenledger.wiring.bootstrap import Runtime

ALICE = Actor(accessor="alice-accessor", remote_addr="10.0.0.1")
LIMITS = TtlLimits(default_ttl=3600, max_ttl=4 * 3600)


def issue(runtime: Runtime, parent_id: UUID | None = None, num_uses: int = 0) -> Token:
    plan = TokenPlan(parent_id=parent_id, policies=["default"], meta=None, display_name="token",
                     path="auth/token/create", num_uses=num_uses, renewable=True, ttl=3600,
                     explicit_max_ttl=0, period=0, token_type="service")
    token = Token.issue(uuid4(), new_accessor(), plan, datetime.now(tz=UTC), SYSTEM)
    runtime.ledger.save(token)
    return token


def tokens_in_every_state(runtime: Runtime) -> list[Token]:
    now = datetime.now(tz=UTC)
    live, renewed, used, orphaned, revoked, expired = (
        issue(runtime), issue(runtime), issue(runtime, num_uses=3), issue(runtime, parent_id=uuid4()),
        issue(runtime), issue(runtime),
    )
    renewed.renew(600, now, ALICE, LIMITS)
    used.use(now, ALICE)
    orphaned.orphan(now, ALICE)
    revoked.revoke(now, ALICE, "revoked")
    expired.expire(now)
    runtime.ledger.save(renewed, used, orphaned, revoked, expired)
    return [live, renewed, used, orphaned, revoked, expired]


def test_the_last_event_tells_whether_a_token_is_live_and_its_version(runtime: Runtime) -> None:
    tokens = tokens_in_every_state(runtime)
    asked = [token.id for token in reversed(tokens)] + [uuid4()]  # an unknown ID is left out

    revocable = runtime.ledger.revocable(asked)
    whole = runtime.ledger.get_many(asked)

    assert all(isinstance(token, RevocableToken) for token in revocable)
    assert [(t.id, t.version, t.is_live) for t in revocable] == [(t.id, t.version, t.is_live) for t in whole]
    assert [t.is_live for t in revocable] == [False, False, True, True, True, True]


def test_revoking_from_the_last_event_records_what_the_whole_token_would(runtime: Runtime) -> None:
    first, second = issue(runtime), issue(runtime)
    now = datetime.now(tz=UTC)
    [light] = runtime.ledger.revocable([first.id])
    [whole] = runtime.ledger.get_many([second.id])
    light.revoke(now, ALICE, "parent revoked")
    whole.revoke(now, ALICE, "parent revoked")
    runtime.ledger.save(light, whole)

    [recorded_light] = runtime.ledger.events.get(first.id, gt=1)
    [recorded_whole] = runtime.ledger.events.get(second.id, gt=1)
    assert isinstance(recorded_light, TokenRevoked)
    assert type(recorded_light) is type(recorded_whole)
    assert {**vars(recorded_light), "originator_id": None} == {**vars(recorded_whole), "originator_id": None}
    assert runtime.ledger.revocable([first.id])[0].is_live is False


def test_a_revocation_due_a_snapshot_loads_the_whole_token_and_takes_it(runtime: Runtime) -> None:
    service = runtime.service
    root = service.authenticate(ROOT_TOKEN, "127.0.0.1")
    parent = service.create(root, CreateToken(policies=("web",), ttl=3600)).client_token
    child = service.create(service.authenticate(parent, "127.0.0.1"),
                           CreateToken(policies=("web",), ttl=3600)).client_token
    child_id = service.lookup(child).token_id
    interval = runtime.ledger.snapshotting_intervals[Token]
    for _ in range(interval - 2):  # the child's revocation will be its interval-th event
        service.renew(root, child, 3600)
    assert isinstance(runtime.ledger.revocable([child_id])[0], Token)

    service.revoke(root, parent)

    snapshots = runtime.ledger.snapshots
    assert snapshots is not None
    [latest] = snapshots.get(child_id, desc=True, limit=1)
    assert latest.originator_version == interval
    loaded = runtime.ledger.get_or_none(child_id)
    assert loaded.version == interval and not loaded.is_live


def test_a_large_batch_runs_with_the_collector_paused_then_restored(runtime: Runtime,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(revocation, "LARGE_BATCH", 3)
    parent = issue(runtime)
    children = [issue(runtime, parent_id=parent.id) for _ in range(3)]
    collector_enabled_at_save: list[bool] = []
    save = runtime.ledger.save
    monkeypatch.setattr(runtime.ledger, "save",
                        lambda *tokens: collector_enabled_at_save.append(gc.isenabled()) or save(*tokens))

    recorded = SubtreeRevoker(runtime.ledger, runtime.read_models).revoke(
        parent.id, now=datetime.now(tz=UTC), actor=ALICE, reason="revoked")

    assert recorded == 4 and runtime.ledger.revocable([children[0].id])[0].is_live is False
    assert collector_enabled_at_save == [False, True]  # the three children, then the parent alone
    assert gc.isenabled()


def test_a_paused_collector_stays_paused(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(revocation, "LARGE_BATCH", 1)
    parent = issue(runtime)
    gc.disable()
    try:
        SubtreeRevoker(runtime.ledger, runtime.read_models).revoke(
            parent.id, now=datetime.now(tz=UTC), actor=ALICE, reason="revoked")
        assert not gc.isenabled()
    finally:
        gc.enable()
