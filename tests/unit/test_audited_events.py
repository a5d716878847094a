"""Every event a caller causes records who and from where, declared once (``AuditedEvent``) and
filled in once (``AuditedAggregate``), under the field names every stored ledger already uses."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from dataclasses import replace
from datetime import UTC, datetime
from uuid import uuid4

from eventsourcing.domain import AggregateEvent

import tokenledger.domain
from tokenledger.domain.actor import Actor, AuditedEvent
from tokenledger.domain.batch_tokens import BatchTokenRecord
from tokenledger.domain.issuance import initial_root_plan
from tokenledger.domain.leases import TtlLimits
from tokenledger.domain.policy import Policy
from tokenledger.domain.role import Role
from tokenledger.domain.role_settings import RoleSettings
from tokenledger.domain.tidy import IndexRepair, TidyRun
from tokenledger.domain.token import Token

NOW = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)
ALICE = Actor(accessor="alice-accessor", remote_addr="192.0.2.7")
ACTOR_FIELDS = ("actor_accessor", "remote_addr")
AUDITED = {
    "TokenCreated", "TokenUsed", "TokenRenewed", "TokenRevoked", "TokenOrphaned", "BatchTokenIssued",
    "RoleWritten", "RoleCreated", "RoleDeleted", "PolicyWritten", "PolicyRewritten", "PolicyDeleted",
    "TidyCompleted",
}


def domain_event_classes() -> dict[str, type]:
    found: dict[str, type] = {}
    for module_info in pkgutil.iter_modules(tokenledger.domain.__path__):
        module = importlib.import_module(f"tokenledger.domain.{module_info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, AggregateEvent) and cls.__module__ == module.__name__:
                found[name] = cls
    return found


def test_the_events_that_record_an_actor_take_both_fields_from_the_one_base() -> None:
    classes = domain_event_classes()
    with_actor = {name for name, cls in classes.items()
                  if {"actor_accessor", "remote_addr"} <= {field.name for field in dataclasses.fields(cls)}}
    assert with_actor == AUDITED | {"AuditedEvent"}
    for name in AUDITED:
        assert issubclass(classes[name], AuditedEvent), name
        assert not set(ACTOR_FIELDS) & set(classes[name].__dict__.get("__annotations__", {})), name
    assert not issubclass(classes["TokenExpired"], AuditedEvent)  # the service notices an expiry itself


def test_each_aggregate_fills_them_in_from_the_actor_it_is_given() -> None:
    plan = replace(initial_root_plan(), parent_id=uuid4(), num_uses=2, ttl=60, renewable=True)
    token = Token.issue(uuid4(), "accessor-1", plan, NOW, ALICE)
    token.use(NOW, ALICE)
    token.renew(0, NOW, ALICE, TtlLimits(default_ttl=60, max_ttl=60))
    token.orphan(NOW, ALICE)
    token.revoke(NOW, ALICE, "revoked")
    role = Role.create(uuid4(), RoleSettings(name="ci"), NOW, ALICE)
    role.write(RoleSettings(name="ci", orphan=True), NOW, ALICE)
    role.delete(NOW, ALICE)
    policy = Policy.write_new("", "web", 'path "x" {}', NOW, ALICE)
    policy.rewrite('path "y" {}', NOW, ALICE)
    policy.delete(NOW, ALICE)
    batch = BatchTokenRecord.issue(uuid4(), initial_root_plan(), "", NOW, ALICE)
    tidy = TidyRun.completed(0, IndexRepair(0, 0, []), NOW, ALICE)
    events = [event for aggregate in (token, role, policy, batch, tidy)
              for event in aggregate.collect_events()]
    assert {type(event).__name__ for event in events} == AUDITED
    for event in events:
        assert (event.actor_accessor, event.remote_addr) == (ALICE.accessor, ALICE.remote_addr)
