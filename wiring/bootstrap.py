"""The composition root: builds the ledger, its read models and the service from settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tokenledger.application.audit import AuditService
from tokenledger.application.hygiene import HygieneQueries, HygieneService
from tokenledger.application.ledger import TokenLedger
from tokenledger.application.policy_service import PolicyService
from tokenledger.application.ports import AuditQueries
from tokenledger.application.role_service import RoleService
from tokenledger.application.tidy import TidyService
from tokenledger.application.token_service import TokenService
from tokenledger.domain.batch_tokens import BatchTokenCodec
from tokenledger.domain.clock import Clock, SystemClock
from tokenledger.domain.tidy import IndexRepair
from tokenledger.domain.token_secrets import TokenHasher
from tokenledger.projections.audit_queries import SqlAuditQueries
from tokenledger.projections.chain_checkpoint import CHECKPOINT_KEY_NAME
from tokenledger.projections.hygiene_queries import SqlHygieneQueries
from tokenledger.projections.ledger_file import check_readable
from tokenledger.projections.ledger_recorder import LedgerRecorder
from tokenledger.projections.read_model_store import ReadModelStore
from tokenledger.projections.replay import catch_up, repair
from tokenledger.wiring.settings import Settings, parse_postgres

if TYPE_CHECKING:
    from tokenledger.projections.replica_reads import ReplicaOptions

HMAC_KEY_NAME = "token-hmac"
BATCH_KEY_NAME = "batch-token-aes-gcm"


@dataclass
class Runtime:
    """Everything one process needs; build one per process and keep it (the pool closes with it)."""

    settings: Settings
    clock: Clock
    ledger: TokenLedger
    read_models: ReadModelStore
    service: TokenService
    policies: PolicyService
    roles: RoleService
    tidy: TidyService
    audit: AuditService
    hygiene: HygieneService
    replicas: ReplicaOptions | None = None  # PostgreSQL hot standbys that serve reads

    def close(self) -> None:
        self.read_models.close()
        self.ledger.close()


def bootstrap(settings: Settings, clock: Clock | None = None) -> Runtime:
    ledger = TokenLedger(env=settings.eventsourcing_env())
    if not isinstance(ledger.recorder, LedgerRecorder):
        raise TypeError(f"the ledger needs a ledger recorder, got {type(ledger.recorder)}")
    check_readable(ledger)  # a wrong cipher key must fail here, not at the first request
    replicas = replica_options(settings)
    read_models = ledger.recorder.read_model_store(replicas)
    catch_up(ledger, read_models)
    read_models.ensure_key(CHECKPOINT_KEY_NAME)  # so that `ledger head`, which only reads, can sign
    runtime = assemble(settings, ledger, read_models, SqlAuditQueries(read_models),
                       lambda: repair(ledger, read_models), clock or SystemClock())
    runtime.replicas = replicas
    return runtime


def replica_options(settings: Settings) -> ReplicaOptions | None:
    if not settings.read_replicas:
        return None
    from tokenledger.projections.replica_reads import ReplicaOptions  # loads PostgreSQL's driver

    urls = [parse_postgres(replica) for replica in settings.read_replicas]
    return ReplicaOptions(tuple((url.name, url.conninfo()) for url in urls), settings.replica_wait_seconds,
                          settings.store_timeout)


def assemble(settings: Settings, ledger: TokenLedger, read_models: ReadModelStore, audit_queries: AuditQueries,
             repair_read_models: Callable[[], IndexRepair], clock: Clock,
             hygiene_queries: HygieneQueries | None = None) -> Runtime:
    """The services over a ledger and its read models (on a store, or the tests' in-memory ones,
    which give their own ``hygiene_queries``)."""
    hasher = TokenHasher(read_models.ensure_key(HMAC_KEY_NAME))
    batch = BatchTokenCodec(read_models.ensure_key(BATCH_KEY_NAME))
    policies = PolicyService(ledger, read_models, clock)
    roles = RoleService(ledger, read_models, clock, settings.ttl_limits.max_ttl)
    service = TokenService(ledger, read_models, hasher, clock, settings.ttl_limits,
                           policies=policies, roles=roles, batch=batch, usage_interval=settings.usage_interval)
    tidy = TidyService(ledger, repair_read_models, service.expire_due, clock)
    audit = AuditService(ledger, audit_queries, clock)
    return Runtime(settings=settings, clock=clock, ledger=ledger, read_models=read_models, service=service,
                   policies=policies, roles=roles, tidy=tidy, audit=audit,
                   hygiene=HygieneService(hygiene_queries or SqlHygieneQueries(read_models)))


@contextmanager
def opened(store: str | None = None) -> Iterator[Runtime]:
    """The runtime of the store named (else ``$TOKENLEDGER_STORE``), closed afterwards: for
    commands that work on a store and exit."""
    runtime = bootstrap(Settings.from_env().with_overrides(store=store))
    try:
        yield runtime
    finally:
        runtime.close()
