"""The Token aggregate decides and records; no Flask, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from tokenledger.domain.actor import Actor
from tokenledger.domain.errors import InvalidRequest, PermissionDenied
from tokenledger.domain.issuance import TokenPlan, initial_root_plan
from tokenledger.domain.leases import TtlLimits
from tokenledger.domain.token import Token
from tokenledger.domain.token_events import TokenCreated, TokenRenewed, TokenRevoked, TokenUsed

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ALICE = Actor(accessor="alice-accessor", remote_addr="10.0.0.1")
LIMITS = TtlLimits(default_ttl=3600, max_ttl=4 * 3600)


def issue(**changes: object) -> Token:
    plan = TokenPlan(
        parent_id=None, policies=["default"], meta={"team": "a"}, display_name="token",
        path="auth/token/create", num_uses=0, renewable=True, ttl=3600, explicit_max_ttl=0,
        period=0, token_type="service",
    )
    for key, value in changes.items():
        object.__setattr__(plan, key, value)
    return Token.issue(uuid4(), "x" * 24, plan, T0, ALICE)


def test_issuing_records_who_created_the_token_and_from_where() -> None:
    token = issue()
    [created] = token.collect_events()
    assert isinstance(created, TokenCreated)
    assert (created.actor_accessor, created.remote_addr) == ("alice-accessor", "10.0.0.1")
    assert created.expire_at == T0 + timedelta(hours=1)
    assert created.timestamp == T0


def test_renewal_counts_from_now_and_stops_at_the_max_ttl() -> None:
    token = issue()
    lease = token.renew(7200, T0 + timedelta(minutes=30), ALICE, LIMITS)
    assert lease.ttl == 7200
    assert token.expire_at == T0 + timedelta(minutes=150)
    late = token.renew(7200, T0 + timedelta(minutes=135), ALICE, LIMITS)
    assert late.ttl == 6300
    assert late.warnings == [
        'TTL of "2h" exceeded the effective max_ttl of "1h45m"; TTL value is capped accordingly'
    ]
    assert [type(event) for event in token.collect_events()] == [TokenCreated, TokenRenewed, TokenRenewed]


def test_without_increment_renewal_grants_the_last_ttl_again() -> None:
    token = issue()
    assert token.renew(0, T0 + timedelta(minutes=10), ALICE, LIMITS).ttl == 3600


def test_a_periodic_token_renews_for_its_period_whatever_the_increment() -> None:
    token = issue(period=600, ttl=600)
    assert token.renew(9999, T0 + timedelta(minutes=5), ALICE, LIMITS).ttl == 600
    assert token.renew(9999, T0 + timedelta(minutes=14), ALICE, LIMITS).ttl == 600


def test_explicit_max_ttl_is_never_passed() -> None:
    token = issue(explicit_max_ttl=5400)
    assert token.renew(7200, T0 + timedelta(minutes=30), ALICE, LIMITS).ttl == 3600
    assert token.renew(7200, T0 + timedelta(minutes=80), ALICE, LIMITS).ttl == 600


def test_a_token_past_a_lowered_max_ttl_cannot_be_renewed() -> None:
    token = issue(ttl=3 * 3600)
    lowered = TtlLimits(default_ttl=3600, max_ttl=3600)
    with pytest.raises(InvalidRequest, match="past the max TTL, cannot renew"):
        token.renew(60, T0 + timedelta(hours=2), ALICE, lowered)


def test_non_renewable_and_root_tokens_refuse_renewal() -> None:
    with pytest.raises(InvalidRequest, match="lease is not renewable"):
        issue(renewable=False).renew(60, T0, ALICE, LIMITS)
    root = Token.issue(uuid4(), "r" * 24, initial_root_plan(), T0, ALICE)
    with pytest.raises(InvalidRequest, match="invalid lease ID"):
        root.renew(60, T0, ALICE, LIMITS)


def test_each_use_of_a_limited_token_is_recorded_until_none_is_left() -> None:
    token = issue(num_uses=2)
    token.use(T0, ALICE)
    token.use(T0, ALICE)
    with pytest.raises(PermissionDenied):
        token.use(T0, ALICE)
    used = [event for event in token.collect_events() if isinstance(event, TokenUsed)]
    assert [event.uses_left for event in used] == [1, 0]


def test_a_use_of_an_unlimited_token_records_when_where_path_and_operation() -> None:
    token = issue()
    token.use(T0 + timedelta(seconds=5), ALICE, "auth/token/lookup-self", "read")
    used = token.collect_events()[-1]
    assert isinstance(used, TokenUsed)
    assert (used.uses_left, used.path, used.operation) == (None, "auth/token/lookup-self", "read")
    view = token.view()
    assert (view.uses_left, view.last_used_time) == (None, T0 + timedelta(seconds=5))
    assert view.last_used_remote_addr == ALICE.remote_addr


def test_an_expired_or_revoked_token_cannot_be_used() -> None:
    with pytest.raises(PermissionDenied):
        issue().use(T0 + timedelta(hours=1), ALICE)
    token = issue()
    token.revoke(T0, ALICE, "revoked")
    with pytest.raises(PermissionDenied):
        token.use(T0, ALICE)


def test_revoking_twice_records_once() -> None:
    token = issue()
    token.revoke(T0, ALICE, "revoked")
    token.revoke(T0, ALICE, "revoked")
    revocations = [event for event in token.collect_events() if isinstance(event, TokenRevoked)]
    assert len(revocations) == 1
