"""Marshmallow schemas: every request body the token endpoints take, and the responses only the API gives
(a lookup's, which the command line shows too, is ``tokenledger.application.lookup_format``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, fields, post_dump, post_load

from tokenledger.domain.commands import CreateToken
from tokenledger.domain.token_view import TokenView
from tokenledger.web.fields import (
    Duration,
    DurationText,
    KeyValuePairs,
    NameList,
    RequestSchema,
    StringList,
    VaultBoolean,
    VaultString,
    WholeNumber,
)


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

    id = VaultString(load_default="")
    policies = StringList(load_default=None, allow_none=True)
    meta = KeyValuePairs(load_default=None, allow_none=True)
    no_parent = VaultBoolean(load_default=False)
    no_default_policy = VaultBoolean(load_default=False)
    renewable = VaultBoolean(load_default=None, allow_none=True)
    lease = DurationText(load_default=0)
    ttl = DurationText(load_default=0)
    type = VaultString(load_default="")
    explicit_max_ttl = DurationText(load_default=0)
    display_name = VaultString(load_default="")
    num_uses = WholeNumber(load_default=0)
    period = DurationText(load_default=0)
    entity_alias = VaultString(load_default="")
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
    token = VaultString(load_default="")


class AccessorBodySchema(RequestSchema):
    accessor = VaultString(load_default="")


class LookupAccessorBodySchema(AccessorBodySchema):
    as_of = VaultString(load_default=None, allow_none=True)


class RenewBodySchema(TokenBodySchema):
    increment = Duration(load_default=0)


class RenewAccessorBodySchema(AccessorBodySchema):
    increment = Duration(load_default=0)


class IncrementBodySchema(RequestSchema):
    """renew-self's: Vault also knows a ``token`` there, unused."""

    token = VaultString(load_default="")
    increment = Duration(load_default=0)


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

    @post_dump
    def _omit_empty_token_policies(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        """Vault's ``token_policies`` is omitted when empty (Go's ``omitempty``), ``policies`` is not."""
        if not data["token_policies"]:
            del data["token_policies"]
        return data


class KeyListSchema(Schema):
    keys = fields.List(fields.String())


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
KEY_LIST = KeyListSchema()
