"""A token as Vault's lookup shows it (the ``data`` of ``auth/token/lookup``), for the API's lookups
and the auditors' "as of" answers, over HTTP and on the command line alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from marshmallow import Schema, fields, post_dump

from tokenledger.application.formats import go_time
from tokenledger.domain.token import INITIAL_ROOT_PATH
from tokenledger.domain.token_view import TokenView


def displayed_num_uses(view: TokenView) -> int:
    """Remaining uses; 0 means unlimited, -1 means the last use is being spent (as Vault shows)."""
    if view.uses_left is None:
        return 0
    return view.uses_left if view.uses_left > 0 else -1


def lookup_ttl(view: TokenView, now: datetime) -> int:
    """Seconds left as Vault's lookup counts them: to the expiry from ``now`` rounded to the
    nearest second, the remainder dropped (so a token just issued for 1h shows 3600, not 3599)."""
    if view.expire_at is None:
        return 0
    whole = now.replace(microsecond=0)
    if now.microsecond >= 500_000:
        whole += timedelta(seconds=1)
    return max(0, int((view.expire_at - whole).total_seconds()))


@dataclass(frozen=True)
class TokenLookup:
    """What a lookup answers about: the token, the ID as presented ("" by accessor), and now."""

    view: TokenView
    presented_id: str
    now: datetime


class LookupDataSchema(Schema):
    accessor = fields.Function(lambda r: r.view.accessor)
    creation_time = fields.Function(lambda r: int(r.view.issue_time.timestamp()))
    creation_ttl = fields.Function(lambda r: r.view.creation_ttl)
    display_name = fields.Function(lambda r: r.view.display_name)
    entity_id = fields.Constant("")
    bound_cidrs = fields.Function(lambda r: list(r.view.bound_cidrs))
    expire_time = fields.Function(lambda r: go_time(r.view.expire_at))
    explicit_max_ttl = fields.Function(lambda r: r.view.explicit_max_ttl)
    id = fields.Function(lambda r: r.presented_id)
    issue_time = fields.Function(lambda r: go_time(r.view.issue_time))
    last_renewal = fields.Function(lambda r: go_time(r.view.last_renewal_time))
    last_renewal_time = fields.Function(
        lambda r: int(r.view.last_renewal_time.timestamp()) if r.view.last_renewal_time else None
    )
    meta = fields.Function(lambda r: r.view.meta)
    num_uses = fields.Function(lambda r: displayed_num_uses(r.view))
    orphan = fields.Function(lambda r: r.view.orphan)
    path = fields.Function(lambda r: r.view.path)
    period = fields.Function(lambda r: r.view.period)
    policies = fields.Function(lambda r: list(r.view.policies))
    renewable = fields.Function(lambda r: r.view.renewable)
    role = fields.Function(lambda r: r.view.role_name)
    ttl = fields.Function(lambda r: lookup_ttl(r.view, r.now))
    type = fields.Function(lambda r: r.view.token_type)

    @post_dump(pass_original=True)
    def drop_absent_keys(self, data: dict[str, Any], original: TokenLookup, **_: Any) -> dict[str, Any]:
        """Vault omits what a token does not have: no lease for the initial root, no renewal yet,
        no role, no bound CIDRs, no period of its own (a role's period is not the token's)."""
        if original.view.path == INITIAL_ROOT_PATH:
            data.pop("issue_time")
            data.pop("renewable")
        if original.view.last_renewal_time is None:
            data.pop("last_renewal")
            data.pop("last_renewal_time")
        if not original.view.period:
            data.pop("period")
        if not original.view.role_name:
            data.pop("role")
        if not original.view.bound_cidrs:
            data.pop("bound_cidrs")
        return data


LOOKUP_DATA = LookupDataSchema()  # built once: see tokenledger.web.schemas


def token_as_of_data(past: TokenView, instant: datetime) -> dict[str, Any]:
    """What lookup answers about the token as it was at ``instant``, with its status then."""
    data: dict[str, Any] = LOOKUP_DATA.dump(TokenLookup(past, "", instant))
    return {**data, "status": past.status, "as_of": go_time(instant)}
