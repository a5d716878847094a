"""Rebuilding the read models from the log gives exactly the live ones, whatever happened:
a hypothesis state machine drives random sequences of commands, then compares."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tests.support.runtimes import ROOT_TOKEN
from tokenledger.application.token_service import Access
from tokenledger.domain.actor import Actor
from tokenledger.domain.commands import CreateToken
from tokenledger.domain.errors import LedgerError
from tokenledger.projections.replay import rebuild, verify
from tokenledger.wiring.bootstrap import bootstrap
from tokenledger.wiring.settings import Settings

POLICIES = st.lists(st.sampled_from(["web", "db", "ops"]), max_size=2)
ADMIN = Actor("", "203.0.113.9")
TABLES = ("token_lookup", "activity_hours", "token_addresses")  # compared row for row after a rebuild


class MovableClock:
    def __init__(self) -> None:
        self.instant = datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.instant


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp())
        self.clock = MovableClock()
        self.runtime = bootstrap(Settings(store=str(self.directory / "ledger.db")), self.clock)
        self.runtime.service.initialise(ROOT_TOKEN)
        self.tokens: list[str] = [ROOT_TOKEN]

    def caller(self, index: int) -> object:
        return self.runtime.service.authenticate(self.tokens[index % len(self.tokens)], "198.51.100.4")

    def attempt(self, action: object) -> None:
        with contextlib.suppress(LedgerError):  # refused commands are history too: they change nothing
            action()  # type: ignore[operator]

    @rule(parent=st.integers(0, 50), policies=POLICIES, ttl=st.sampled_from([0, 60, 3600]),
          orphan=st.booleans(), uses=st.sampled_from([0, 0, 2]), batch=st.booleans())
    def create(self, parent: int, policies: list[str], ttl: int, orphan: bool, uses: int, batch: bool) -> None:
        def run() -> None:
            command = CreateToken(policies=tuple(policies), ttl=ttl, no_parent=orphan, num_uses=uses,
                                  token_type="batch" if batch and not uses else "")
            self.tokens.append(self.runtime.service.create(self.caller(parent), command).client_token)  # type: ignore[arg-type]
        self.attempt(run)

    @rule(role=st.sampled_from(["ci", "deploy"]), parent=st.integers(0, 50), orphan=st.booleans(),
          period=st.sampled_from([0, 600]))
    def create_against_role(self, role: str, parent: int, orphan: bool, period: int) -> None:
        def run() -> None:
            self.runtime.roles.write(ADMIN, "", role, {"allowed_policies": ("web", "db"), "orphan": orphan,
                                                       "token_period": period})
            created = self.runtime.service.create(self.caller(parent), CreateToken(role_name=role))  # type: ignore[arg-type]
            self.tokens.append(created.client_token)
        self.attempt(run)

    @rule(which=st.integers(0, 50), increment=st.sampled_from([0, 120]))
    def renew(self, which: int, increment: int) -> None:
        self.attempt(lambda: self.runtime.service.renew_self(self.caller(which), increment))  # type: ignore[arg-type]

    @precondition(lambda self: len(self.tokens) > 1)
    @rule(which=st.integers(1, 50), orphan_children=st.booleans())
    def revoke(self, which: int, orphan_children: bool) -> None:
        token = self.tokens[1 + which % (len(self.tokens) - 1)]
        root = self.caller(0)
        if orphan_children:
            self.attempt(lambda: self.runtime.service.revoke_orphan(root, token))  # type: ignore[arg-type]
        else:
            self.attempt(lambda: self.runtime.service.revoke(root, token))  # type: ignore[arg-type]

    @rule(which=st.integers(0, 50), address=st.sampled_from(["198.51.100.4", "198.51.100.5", "2001:db8::1"]))
    def use(self, which: int, address: str) -> None:
        """A served request: its use is recorded if due (limited tokens spend theirs on login)."""
        def run() -> None:
            caller = self.runtime.service.authenticate(self.tokens[which % len(self.tokens)], address)
            self.runtime.service.record_use(caller, Access("auth/token/lookup-self", "read"))
        self.attempt(run)

    @rule(name=st.sampled_from(["web", "db"]), delete=st.booleans())
    def policy(self, name: str, delete: bool) -> None:
        if delete:
            self.attempt(lambda: self.runtime.policies.delete(ADMIN, "", name))
        else:
            text = f'path "auth/token/{name}" {{ capabilities = ["read"] }}'
            self.attempt(lambda: self.runtime.policies.write(ADMIN, "", name, text))

    @rule(seconds=st.sampled_from([30, 90, 4000]))
    def time_passes(self, seconds: int) -> None:
        self.clock.instant += timedelta(seconds=seconds)
        self.runtime.service.expire_due()

    @invariant()
    def live_read_models_match_a_replay(self) -> None:
        assert verify(self.runtime.ledger, self.runtime.read_models) == []

    def teardown(self) -> None:
        try:
            before = {table: sorted(self.runtime.read_models.rows(table), key=repr) for table in TABLES}
            rebuild(self.runtime.ledger, self.runtime.read_models)
            after = {table: sorted(self.runtime.read_models.rows(table), key=repr) for table in TABLES}
            assert before == after
            assert verify(self.runtime.ledger, self.runtime.read_models) == []
        finally:
            self.runtime.close()
            shutil.rmtree(self.directory, ignore_errors=True)


LedgerMachine.TestCase.settings = settings(
    max_examples=30, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_rebuild_equals_live = LedgerMachine.TestCase
