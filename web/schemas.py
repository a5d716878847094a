"""Marshmallow schemas: every request body the token endpoints take, and every response they give."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, fields, post_dump, post_load

from tokenledger.domain.commands import CreateToken
from tokenledger.domain.token import INITIAL_ROOT_PATH
from tokenledger.domain.token_view import TokenView
from tokenledger.web.fields import Duration, NameList, RequestSchema, StringMap, WholeNumber


class CreateTokenSchema(RequestSchema):
    """Vault's parameters, and the other product's kebab-case dialect (``aliases``).

    No ``role_name``: only the path ``create/<role_name>`` names a role, so that the ACL decides on
    ``auth/token/create/<role_name>``; in the body of ``create`` Vault ignores it, with a warning.
    """

    aliases = {
        "no-parent": "no_parent", "no-default-policy": "no_default_policy",
        "display-name": "display_name", "bound-cidrs": "bound_cidrs", "max-ttl": "explicit_max_ttl",
        "explicit-max-ttl": "explicit_max_ttl", "num-uses": "num_uses", "metadata": "meta",
    }

    id = fields.String(load_default="")
    policies = NameList(load_default=None, allow_none=True)
    meta = StringMap(load_default=None, allow_none=True)
    no_parent = fields.Boolean(load_default=False)
    no_default_policy = fields.Boolean(load_default=False)
    renewable = fields.Boolean(load_default=None, allow_none=True)
    lease = Duration(load_default=0)
    ttl = Duration(load_default=0)
    type = fields.String(load_default="")
    explicit_max_ttl = Duration(load_default=0)
    display_name = fields.String(load_default="")
    num_uses = WholeNumber(load_default=0)
    period = Duration(load_default=0)
    entity_alias = fields.String(load_default="")
    bound_cidrs = NameList(load_default=())

    @post_load
    def to_command(self, data: dict[str, Any], **_: Any) -> CreateToken:
        return CreateToken(
            custom_id=data["id"],
            policies=data["policies"],
            meta=data["meta"],
            no_parent=data["no_parent"],
            no_default_policy=data["no_default_policy"],
            renewable=data["renewable"],
            ttl=data["ttl"],
            lease=data["lease"],
            explicit_max_ttl=data["explicit_max_ttl"],
            display_name=data["display_name"],
            num_uses=data["num_uses"],
            period=data["period"],
            token_type=data["type"],
            entity_alias=data["entity_alias"],
            bound_cidrs=data["bound_cidrs"],
        )


class TokenBodySchema(RequestSchema):
    token = fields.String(load_default="")


class AccessorBodySchema(RequestSchema):
    accessor = fields.String(load_default="")


class LookupAccessorBodySchema(AccessorBodySchema):
    as_of = fields.String(load_default=None, allow_none=True)


class RenewBodySchema(TokenBodySchema):
    increment = Duration(load_default=0)


class RenewAccessorBodySchema(AccessorBodySchema):
    increment = Duration(load_default=0)


class IncrementBodySchema(RequestSchema):
    increment = Duration(load_default=0)


def go_time(instant: datetime | None) -> str | None:
    """RFC 3339 with fractional seconds trimmed of trailing zeros, as Go encodes a time."""
    if instant is None:
        return None
    text = instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0").rstrip(".")
    return text + "Z"


def displayed_num_uses(view: TokenView) -> int:
    """Remaining uses; 0 means unlimited, -1 means the last use is being spent (as Vault shows)."""
    if view.uses_left is None:
        return 0
    return view.uses_left if view.uses_left > 0 else -1


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
    ttl = fields.Function(lambda r: r.view.seconds_left(r.now))
    type = fields.Function(lambda r: r.view.token_type)

    @post_dump(pass_original=True)
    def drop_absent_keys(self, data: dict[str, Any], original: TokenLookup, **_: Any) -> dict[str, Any]:
        """Vault omits what a token does not have: no lease for the initial root, no renewal yet."""
        if original.view.path == INITIAL_ROOT_PATH:
            data.pop("issue_time")
            data.pop("renewable")
        if original.view.last_renewal_time is None:
            data.pop("last_renewal")
            data.pop("last_renewal_time")
        if not original.view.period:
            data.pop("period")
        return data


@dataclass(frozen=True)
class TokenAuth:
    """The ``auth`` block of create and renew responses."""

    view: TokenView
    client_token: str
    lease_duration: int


class AuthSchema(Schema):
    client_token = fields.Function(lambda a: a.client_token)
    accessor = fields.Function(lambda a: a.view.accessor)
    policies = fields.Function(lambda a: list(a.view.policies))
    token_policies = fields.Function(lambda a: list(a.view.policies))
    metadata = fields.Function(lambda a: a.view.meta)
    lease_duration = fields.Function(lambda a: a.lease_duration)
    renewable = fields.Function(lambda a: a.view.renewable)
    entity_id = fields.Constant("")
    token_type = fields.Function(lambda a: a.view.token_type)
    orphan = fields.Function(lambda a: a.view.orphan)
    mfa_requirement = fields.Constant(None)
    num_uses = fields.Function(lambda a: a.view.num_uses)


class KeyListSchema(Schema):
    keys = fields.List(fields.String())


class TidyReportSchema(Schema):
    expired_tokens = fields.Integer()
    rows_removed = fields.Integer()
    rows_added = fields.Integer()
    tables_repaired = fields.List(fields.String())


# Built once: a schema's construction deep-copies its fields (most of a request's cost), while
# load() and dump() keep no state on the instance, so one instance serves every thread.
CREATE_TOKEN = CreateTokenSchema()
TOKEN_BODY = TokenBodySchema()
ACCESSOR_BODY = AccessorBodySchema()
LOOKUP_ACCESSOR_BODY = LookupAccessorBodySchema()
RENEW_BODY = RenewBodySchema()
RENEW_ACCESSOR_BODY = RenewAccessorBodySchema()
INCREMENT_BODY = IncrementBodySchema()
AUTH = AuthSchema()
LOOKUP_DATA = LookupDataSchema()
KEY_LIST = KeyListSchema()
TIDY_REPORT = TidyReportSchema()
