"""Read models of token activity over time, written with the events: counts per hour, and the
addresses each token was seen at.

``activity_hours`` counts, per (namespace, hour, kind, role, creator accessor), how many tokens
were created, renewed, revoked, expired or used in that hour (UTC, hours since the epoch). An
event other than a creation carries none of the token's namespace, role or creator: its count
copies them from the token's ``token_registry`` row (written earlier in the same batch, as
``registry.PROJECTIONS`` puts that read model first). Charts read these buckets only, never the
log: a day is the sum of its hours, and the live-token count at an instant is every creation
before it minus every revocation and expiry.

``token_addresses`` holds each (token, remote address) the ledger saw: the address a token was
created from, and every address it was used from; the search finds tokens by it.
"""

from __future__ import annotations

from typing import Any

from tokenledger.domain.clock import to_epoch_us
from tokenledger.domain.token_events import TokenCreated, TokenExpired, TokenRenewed, TokenRevoked, TokenUsed
from tokenledger.projections.audit_registry import REGISTRY
from tokenledger.projections.writes import Handler, Projection, Write, tally, upsert

HOURS = "activity_hours"
ADDRESSES = "token_addresses"
US_PER_HOUR = 3_600_000_000

CREATED, RENEWED, REVOKED, EXPIRED, USED = "created", "renewed", "revoked", "expired", "used"
KINDS = (CREATED, RENEWED, REVOKED, EXPIRED, USED)
ENDED = (REVOKED, EXPIRED)
# What each event counts as. A usage event of another class is counted by adding it here.
EVENT_KINDS: dict[type, str] = {TokenRenewed: RENEWED, TokenRevoked: REVOKED, TokenExpired: EXPIRED,
                                TokenUsed: USED}
ADDRESS_EVENTS: tuple[type, ...] = (TokenUsed,)  # besides the creation: where a token was seen

_KEY = ("namespace", "hour", "kind", "role_name", "creator_accessor")
_COUNT_CREATED = tally(HOURS, _KEY, _KEY)
_COUNT_OTHER = tally(HOURS, _KEY, ("hour", "kind"), source=(REGISTRY, "token_id"))
_SEEN_AT = upsert(ADDRESSES, ("token_id", "remote_addr"))


def hour_of(epoch_us: int) -> int:
    """The hour (since the epoch, UTC) an instant in microseconds falls in."""
    return epoch_us // US_PER_HOUR


class ActivityProjection(Projection):
    tables = (HOURS, ADDRESSES)
    create_statements = (
        f"CREATE TABLE IF NOT EXISTS {HOURS} ("
        "namespace TEXT NOT NULL, hour BIGINT NOT NULL, kind TEXT NOT NULL, role_name TEXT NOT NULL, "
        "creator_accessor TEXT NOT NULL, n BIGINT NOT NULL, "
        "PRIMARY KEY (namespace, hour, kind, role_name, creator_accessor)) WITHOUT ROWID",
        f"CREATE TABLE IF NOT EXISTS {ADDRESSES} ("
        "token_id TEXT NOT NULL, remote_addr TEXT NOT NULL, PRIMARY KEY (token_id, remote_addr)) WITHOUT ROWID",
    )
    query_indexes = (
        f"CREATE INDEX IF NOT EXISTS {ADDRESSES}_addr ON {ADDRESSES} (remote_addr, token_id)",
    )

    def handler(self, event_type: type) -> Handler | None:
        if event_type is TokenCreated:
            return self.created
        if event_type in EVENT_KINDS:
            return self.counted
        return None

    def created(self, event: TokenCreated) -> list[Write]:
        hour = hour_of(to_epoch_us(event.timestamp))
        writes: list[Write] = [(_COUNT_CREATED, (event.namespace, hour, CREATED, event.role_name,
                                                 event.actor_accessor))]
        return writes + _seen(event)

    def counted(self, event: Any) -> list[Write]:
        hour = hour_of(to_epoch_us(event.timestamp))
        writes: list[Write] = [(_COUNT_OTHER, (hour, EVENT_KINDS[type(event)], event.originator_id.hex))]
        return writes + (_seen(event) if isinstance(event, ADDRESS_EVENTS) else [])


def _seen(event: Any) -> list[Write]:
    address = getattr(event, "remote_addr", "")
    return [(_SEEN_AT, (event.originator_id.hex, address))] if address else []
