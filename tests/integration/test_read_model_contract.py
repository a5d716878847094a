"""The in-memory read models the unit tier runs on (tests/support/fakes.py) are honest: given the
events a SQL store recorded, they hold the same rows, answer every query of the ports
(``TokenQueries``, ``PolicyQueries``, ``RoleQueries``, ``AuditQueries``) the same way for a grid of
arguments, and refuse a save that breaks a key as the store does, recording nothing of it."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from tests.support.fakes import InMemoryAuditQueries, InMemoryReadModels
from tests.support.memory_ledger import memory_runtime, replayed
from tests.support.runtimes import ROOT_TOKEN, event_count
from tokenledger.application.ports import AuditQueries
from tokenledger.domain.actor import Actor
from tokenledger.domain.batch_tokens import BatchTokenRecord
from tokenledger.domain.issuance import TokenPlan
from tokenledger.domain.leases import TtlLimits
from tokenledger.domain.policy import Policy
from tokenledger.domain.role import Role
from tokenledger.domain.role_settings import role_id, write_role_settings
from tokenledger.domain.token import Token
from tokenledger.projections import registry
from tokenledger.projections.audit_queries import SqlAuditQueries
from tokenledger.projections.read_model_store import ReadModelStore
from tokenledger.wiring.bootstrap import Runtime

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
LIMITS = TtlLimits(default_ttl=3600, max_ttl=10 * 3600)
NAMESPACES = ("", "eu/", "none/")
ReadModels = ReadModelStore | InMemoryReadModels


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@dataclass
class History:
    """What the scenario made: tokens by name, and the IDs of its policies and roles."""

    tokens: dict[str, Token]
    other_ids: list[UUID]

    def accessors(self) -> list[str]:
        return [token.accessor for token in self.tokens.values()]


def accessor_maker() -> Callable[[], str]:
    """Accessors as ``new_accessor`` draws them (mixed-case base 62), but the same every run."""
    rng = random.Random(14)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    return lambda: "".join(rng.choice(alphabet) for _ in range(24))


def plan(parent: Token | None, **changes: Any) -> TokenPlan:
    return replace(TokenPlan(parent_id=parent.id if parent else None, policies=["default", "web"],
                             meta={"team": "a"}, display_name="token", path="auth/token/create", num_uses=0,
                             renewable=True, ttl=3600, explicit_max_ttl=0, period=0, token_type="service"),
                   **changes)


def make_history(runtime: Runtime) -> History:
    """A little of everything the projections write: a tree in two namespaces, role and orphan
    tokens, uses, a renewal, an orphaning, an expiry, a revocation, a batch token's record, and
    policies and roles written, rewritten and deleted."""
    ledger, accessor = runtime.ledger, accessor_maker()
    root = runtime.service.lookup(ROOT_TOKEN)
    tokens: dict[str, Token] = {}

    def issue(name: str, parent: Token | str | None, seconds: float, creator: str = "", namespace: str = "",
              **changes: Any) -> Token:
        parent_token = tokens[parent] if isinstance(parent, str) else parent
        actor = Actor(creator or (parent_token.accessor if parent_token else root.accessor), "192.0.2.1")
        token = Token.issue(UUID(int=len(tokens) + 1), accessor(), plan(parent_token, **changes), at(seconds),
                            actor, namespace)
        ledger.save(token)
        tokens[name] = token
        return token

    rooted = Token.issue(UUID(int=99), accessor(), plan(None), at(0), Actor(root.accessor, ""))
    ledger.save(rooted)
    tokens["rooted"] = rooted
    issue("a", "rooted", 1)
    issue("b", "a", 2, num_uses=3, meta=None, bound_cidrs=("10.0.0.0/8",), ttl=7200)
    issue("c", "b", 3, ttl=0, role_name="web", path="auth/token/create/web")
    issue("d", "a", 4, ttl=60, path="auth/token/create/web2")
    issue("e", None, 5, creator=tokens["a"].accessor, ttl=1800, role_name="web", path="auth/token/create-orphan")
    issue("f", None, 6, creator="eu-admin", namespace="eu/", ttl=900, role_name="web", path="auth/token/create/web")
    issue("g", "f", 7, namespace="eu/", ttl=120)
    issue("h", "a", 8, ttl=5000, path="auth/token/create/web/suffix")
    actor = Actor(tokens["a"].accessor, "192.0.2.9")
    tokens["b"].use(at(10), actor)
    tokens["b"].use(at(11), actor)
    tokens["a"].renew(7200, at(20), actor, LIMITS)
    tokens["b"].orphan(at(30), actor)
    tokens["h"].revoke(at(40), actor, "revoked")
    tokens["d"].expire(at(70))
    ledger.save(tokens["b"], tokens["a"])
    ledger.save(tokens["h"], tokens["d"])
    batch = BatchTokenRecord.issue(UUID(int=500), plan(tokens["a"], token_type="batch"), "", at(12), actor)
    ledger.save(batch)
    return History(tokens, [batch.id, *save_policies_and_roles(runtime, actor)])


def save_policies_and_roles(runtime: Runtime, actor: Actor) -> list[UUID]:
    ledger = runtime.ledger
    web = Policy.write_new("", "web", 'path "a" { capabilities = ["read"] }', at(50), actor)
    ops = Policy.write_new("", "ops", 'path "b" { capabilities = ["read"] }', at(51), actor)
    eu_web = Policy.write_new("eu/", "web", 'path "c" { capabilities = ["list"] }', at(52), actor)
    ledger.save(web, ops, eu_web)
    web.rewrite('path "a" { capabilities = ["update"] }', at(53), actor)
    ops.delete(at(54), actor)
    ledger.save(web, ops)
    roles = [Role.create(role_id(namespace, name), write_role_settings(name, {"orphan": True}, None), at(55),
                         actor, namespace=namespace) for namespace, name in (("", "web"), ("", "old"), ("eu/", "web"))]
    ledger.save(*roles)
    roles[1].delete(at(56), actor)
    ledger.save(roles[1])
    return [web.id, ops.id, eu_web.id, *(role.id for role in roles)]


@pytest.fixture
def history(runtime: Runtime) -> History:
    return make_history(runtime)


@pytest.fixture
def memory(runtime: Runtime, history: History) -> InMemoryReadModels:
    """In-memory read models given every event the store recorded, the root's included."""
    return replayed(runtime.ledger)


def table_rows(read_models: ReadModels, table: str) -> set[frozenset[tuple[str, Any]]]:
    if isinstance(read_models, InMemoryReadModels):
        rows: list[dict[str, Any]] = read_models.rows(table)
    else:
        rows = [dict(row) for row in read_models.query(f"SELECT * FROM {table}", [])]
    return {frozenset(row.items()) for row in rows}


def test_the_fakes_hold_the_rows_the_store_holds(runtime: Runtime, memory: InMemoryReadModels) -> None:
    assert set(memory.tables) == set(registry.tables())
    for table in registry.tables():
        assert table_rows(memory, table) == table_rows(runtime.read_models, table), table
    assert memory.position() == runtime.read_models.position()


def test_the_fakes_answer_the_token_policy_and_role_queries_as_the_store(
        runtime: Runtime, history: History, memory: InMemoryReadModels) -> None:
    assert_same(query_answers(memory, history), query_answers(runtime.read_models, history))


def test_the_fakes_answer_the_audit_queries_as_the_store(
        runtime: Runtime, history: History, memory: InMemoryReadModels) -> None:
    assert_same(audit_answers(InMemoryAuditQueries(memory), history),
                audit_answers(SqlAuditQueries(runtime.read_models), history))


def assert_same(fake: dict[str, Any], store: dict[str, Any]) -> None:
    assert fake.keys() == store.keys()
    assert {question: (fake[question], store[question]) for question in fake
            if fake[question] != store[question]} == {}
    assert any(store.values())  # the questions found something to compare


def instants() -> list[datetime]:
    """Between events, and on them: a bound is inclusive or not the same way in both."""
    return [at(-1), at(0), at(1.5), at(20), at(35), at(100), at(127), at(86_400), datetime(2100, 1, 1, tzinfo=UTC)]


def query_answers(read_models: ReadModels, history: History) -> dict[str, Any]:
    ids = [token.id for token in history.tokens.values()] + [UUID(int=12345)]
    accessors = history.accessors()
    afters = [None, "", "M", *sorted(accessors)[:3]]
    paths = ["auth/token/create", "auth/token/create/web", "auth/token/create/we", "auth/token", "auth", "",
             "auth/token/create/web/suffix", "auth/token/create-orphan"]
    answers: dict[str, Any] = {"position": read_models.position()}
    answers |= {f"find {i}": read_models.find(i) for i in ids}
    answers |= {f"accessor {a}": read_models.token_id_for_accessor(a) for a in [*accessors, "", "nobody"]}
    answers |= {f"children of {i}": sorted(read_models.children_of([i])) for i in ids}
    answers["children of all"] = sorted(read_models.children_of(ids))
    answers |= {f"accessors {ns!r} after {after} limit {limit}": read_models.accessors(after, limit, ns)
                for ns in NAMESPACES for after in afters for limit in (None, 1, 2)}
    answers |= {f"created under {ns!r} {path}": sorted(read_models.created_under(ns, path))
                for ns in NAMESPACES for path in paths}
    answers |= {f"expired {now} {limit}": read_models.expired(now, limit)
                for now in instants() for limit in (1, 2, 100)}
    names = [[], ["web"], ["web", "ops", "default", "nope"]]
    answers |= {f"texts {ns!r} {n}": read_models.policy_texts(ns, n) for ns in NAMESPACES for n in names}
    answers |= {f"policy names {ns!r}": read_models.policy_names(ns) for ns in NAMESPACES}
    answers |= {f"role names {ns!r}": read_models.role_names(ns) for ns in NAMESPACES}
    return answers


def audit_answers(audit: AuditQueries, history: History) -> dict[str, Any]:
    ids = [token.id for token in history.tokens.values()] + history.other_ids + [UUID(int=12345)]
    accessors = [*history.accessors(), "eu-admin", "nobody"]
    creators = [*accessors[:3], "eu-admin"]
    answers: dict[str, Any] = {}
    answers |= {f"record {ns!r} {a}": audit.token_record(ns, a) for ns in NAMESPACES for a in accessors}
    answers |= {f"events {i}": audit.event_count(i) for i in ids}
    answers |= {f"version {i} at {now}": audit.version_at(i, now) for i in ids for now in instants()}
    for ns in NAMESPACES:
        for creator in creators:
            for descendants in (False, True):
                answers[f"count by {ns!r} {creator} {descendants}"] = audit.count_created_by(ns, creator, descendants)
                answers |= {f"by {ns!r} {creator} {descendants} {after} {limit}":
                            audit.created_by(ns, creator, descendants, after, limit)
                            for after in (None, "M") for limit in (1, 100)}
        for role in ("web", "", "none"):
            for start, end in ((None, None), (at(3), None), (None, at(5)), (at(3), at(6)), (at(2.5), at(5.5))):
                answers[f"count role {ns!r} {role} {start} {end}"] = audit.count_created_against_role(
                    ns, role, start, end)
                answers |= {f"role {ns!r} {role} {start} {end} {after} {limit}":
                            audit.created_against_role(ns, role, start, end, after, limit)
                            for after in (None, "M") for limit in (1, 100)}
        answers |= {f"live {ns!r} {after} {limit}": audit.live_tokens(ns, after, limit)
                    for after in (None, "M") for limit in (1, 100)}
    return answers


@pytest.fixture(params=["in memory", "on the store"])
def either(request: pytest.FixtureRequest, runtime: Runtime) -> Iterator[Runtime]:
    if request.param == "on the store":
        yield runtime
        return
    in_memory = memory_runtime()
    in_memory.service.initialise(ROOT_TOKEN)
    yield in_memory
    in_memory.close()


def test_a_save_that_breaks_a_read_models_key_records_nothing(either: Runtime) -> None:
    """Two live tokens may not hold one accessor: the second save fails whole, as the service
    expects when it draws an accessor again (``TokenService._save_new``)."""
    first = Token.issue(UUID(int=1), "taken-accessor", plan(None), at(0), Actor("", ""))
    either.ledger.save(first)
    before = event_count(either)
    second = Token.issue(UUID(int=2), "taken-accessor", plan(None), at(1), Actor("", ""))
    with pytest.raises(IntegrityError):
        either.ledger.save(second)
    assert event_count(either) == before
    assert either.read_models.find(second.id) is None
    assert either.read_models.token_id_for_accessor("taken-accessor") == first.id
    assert either.read_models.position() == either.ledger.recorder.max_notification_id()
