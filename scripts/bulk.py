"""Many tokens at once, for benchmarks and tests that need big trees or big ledgers: issued
straight through the aggregate and saved a thousand per transaction, as the service would
record them one by one."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from tokenledger.domain.actor import SYSTEM
from tokenledger.domain.issuance import TokenPlan
from tokenledger.domain.token import Token
from tokenledger.domain.token_secrets import new_accessor
from tokenledger.wiring.bootstrap import Runtime

BATCH = 1000


def issue_many(
    runtime: Runtime, count: int, *, parent: UUID | None, prefix: str, chain: bool = False,
    ttl: int = 3600, batch_size: int = BATCH,
) -> list[str]:
    """``count`` tokens valued ``<prefix>-<n>``: all children of ``parent``, or, with ``chain``,
    each the child of the one before (the first a child of ``parent``)."""
    hasher = runtime.service._hasher
    now = datetime.now(tz=UTC)
    values, batch = [], []
    for n in range(count):
        value = f"{prefix}-{n}"
        plan = TokenPlan(parent_id=parent, policies=["default"], meta=None, display_name="token",
                         path="auth/token/create", num_uses=0, renewable=True, ttl=ttl,
                         explicit_max_ttl=0, period=0, token_type="service")
        token = Token.issue(hasher.token_id(value), new_accessor(), plan, now, SYSTEM)
        values.append(value)
        batch.append(token)
        if chain:
            parent = token.id
        if len(batch) == batch_size:
            runtime.ledger.save(*batch)
            batch = []
    if batch:
        runtime.ledger.save(*batch)
    return values
