"""A ledger with a past: tokens created, renewed, used, revoked and expired over a span of hours,
written straight through the aggregates a thousand tokens per save (as ``scripts/bulk.py`` does),
with the instants of that past. For the activity charts' benchmark and the screenshots.

Every token either ends within the span or lives for a year, so a server started on the store
later finds nothing left to expire all at once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tokenledger.domain.actor import Actor
from tokenledger.domain.issuance import TokenPlan
from tokenledger.domain.token import Token
from tokenledger.domain.token_events import TokenExpired, TokenRenewed, TokenRevoked, TokenUsed
from tokenledger.domain.token_secrets import new_accessor
from tokenledger.domain.token_view import TokenType
from tokenledger.wiring.bootstrap import Runtime

ROLES = ("", "", "ci", "deploy", "nightly")
POLICIES = (["default", "web"], ["default", "db"], ["default", "web", "db"], ["default", "ops"])
ADDRESSES = tuple(f"10.0.{n // 250}.{n % 250 + 1}" for n in range(40))
YEAR = 365 * 24 * 3600
EVENTS_PER_TOKEN = 2.3  # about, with the odds below


@dataclass
class History:
    start: datetime
    hours: int
    creators: list[str] = field(default_factory=list)  # accessors of the tokens that create the rest
    tokens: int = 0
    events: int = 0


def write_history(runtime: Runtime, start: datetime, hours: int, events: int, *, creators: int = 6,
                  seed: int = 7, batch: int = 1000) -> History:
    """About ``events`` events over ``hours`` hours from ``start``: ``creators`` tokens made by
    root first, then tokens created by them, with busy and quiet hours."""
    rng = random.Random(seed)
    history = History(start, hours)
    made = [_issue(runtime, n, start, None, "", Actor("", "127.0.0.1"), rng, name="creator")
            for n in range(creators)]
    history.creators = [token.accessor for token in made]
    runtime.ledger.save(*made)
    pending: list[Token] = []
    for n in range(int(events / EVENTS_PER_TOKEN)):
        created = start + timedelta(seconds=_busy_second(rng, hours))
        parent = rng.choice(made)
        fate = _fate(created, start + timedelta(hours=hours), rng)
        token = _issue(runtime, creators + n, created, parent, rng.choice(ROLES),
                       Actor(parent.accessor, rng.choice(ADDRESSES)), rng, fate=fate)
        _live_a_while(token, created, fate, start + timedelta(hours=hours), rng)
        pending.append(token)
        if len(pending) == batch:
            history.events += _save(runtime, pending)
    history.events += _save(runtime, pending) + creators
    history.tokens = creators + int(events / EVENTS_PER_TOKEN)
    return history


def _save(runtime: Runtime, tokens: list[Token]) -> int:
    count = sum(len(token.pending_events) for token in tokens)
    if tokens:
        runtime.ledger.save(*tokens)
    tokens.clear()
    return count


def _busy_second(rng: random.Random, hours: int) -> float:
    """Working hours (UTC 08:00 to 18:00) are four times as busy as the rest."""
    while True:
        second = rng.uniform(0, hours * 3600)
        if 8 <= (second // 3600) % 24 < 18 or rng.random() < 0.25:
            return second


@dataclass(frozen=True)
class Fate:
    ended: datetime | None  # None: lives on past the span
    expires: bool


def _fate(created: datetime, end: datetime, rng: random.Random) -> Fate:
    ended = created + timedelta(hours=rng.expovariate(1 / 12))
    if ended >= end or rng.random() < 0.2:
        return Fate(None, False)
    return Fate(ended, rng.random() < 0.4)


def _issue(runtime: Runtime, n: int, now: datetime, parent: Token | None, role: str, actor: Actor,
           rng: random.Random, *, name: str = "", fate: Fate = Fate(None, False)) -> Token:
    """An expiring token's TTL ends when it expires; the others live a year."""
    ttl = int((fate.ended - now).total_seconds()) + 1 if fate.ended and fate.expires else YEAR
    limited = parent is not None and rng.random() < 0.2
    plan = TokenPlan(parent_id=parent.id if parent else None, policies=rng.choice(POLICIES), meta=None,
                     display_name=f"token-{name or (role or 'app')}-{n % 50}",
                     path=f"auth/token/create/{role}" if role else "auth/token/create",
                     num_uses=3 if limited else 0, renewable=True, ttl=ttl, explicit_max_ttl=0, period=0,
                     token_type=TokenType.SERVICE, role_name=role)
    return Token.issue(runtime.service._hasher.token_id(f"history-{n}"), new_accessor(), plan, now, actor)


def _live_a_while(token: Token, created: datetime, fate: Fate, end: datetime, rng: random.Random) -> None:
    """Uses (of a limited token) and a renewal (of one that will not expire) before its fate, within the span."""
    now, address = created, rng.choice(ADDRESSES)
    last = min(fate.ended or end, end)
    for uses_left in (2, 1) if token.num_uses else ():
        now += timedelta(minutes=rng.uniform(1, 90))
        if now < last:
            token.trigger_event(TokenUsed, timestamp=now, uses_left=uses_left, actor_accessor=token.accessor,
                                remote_addr=address)
    if not fate.expires and rng.random() < 0.3 and (now := now + timedelta(minutes=rng.uniform(5, 300))) < last:
        token.trigger_event(TokenRenewed, timestamp=now, increment=YEAR, ttl=YEAR,
                            expire_at=now + timedelta(seconds=YEAR), actor_accessor=token.accessor,
                            remote_addr=address)
    if fate.ended is not None and fate.ended > now:
        if fate.expires:
            token.trigger_event(TokenExpired, timestamp=fate.ended)
        else:
            token.trigger_event(TokenRevoked, timestamp=fate.ended, reason="revoke", actor_accessor="",
                                remote_addr="127.0.0.1")
