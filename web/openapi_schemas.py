"""Marshmallow schemas of what the handlers answer (or take) as plain dicts or forms, for the
OpenAPI document only: the API's own request and response schemas are in ``tokenledger.web.schemas``,
``tokenledger.web.role_api`` and ``tokenledger.web.sys_api``."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields

from tokenledger.application.lookup_format import LookupDataSchema
from tokenledger.web.schemas import KeyListSchema


class LookupAccessorDataSchema(LookupDataSchema):
    """``data`` of ``lookup-accessor``: with ``as_of``, also the token's status then and the instant."""

    status = fields.String(metadata={"description": "with as_of: live, revoked or expired"})
    as_of = fields.String(metadata={"description": "with as_of: the instant asked for"})


class RoleReadSchema(Schema):
    """``data`` of ``GET auth/token/roles/<name>`` (``tokenledger.domain.role_settings.role_read_fields``)."""

    allowed_entity_aliases = fields.List(fields.String(), required=True, allow_none=True,
                                         metadata={"description": "null until written"})
    allowed_policies = fields.List(fields.String(), required=True)
    allowed_policies_glob = fields.List(fields.String(), required=True)
    disallowed_policies = fields.List(fields.String(), required=True)
    disallowed_policies_glob = fields.List(fields.String(), required=True)
    explicit_max_ttl = fields.Integer(required=True)
    name = fields.String(required=True)
    orphan = fields.Boolean(required=True)
    path_suffix = fields.String(required=True)
    period = fields.Integer(required=True)
    renewable = fields.Boolean(required=True)
    token_explicit_max_ttl = fields.Integer(required=True)
    token_max_ttl = fields.Integer(metadata={"description": "only when set (not in Vault)"})
    token_no_default_policy = fields.Boolean(required=True)
    token_period = fields.Integer(required=True)
    token_policies = fields.List(fields.String(), metadata={"description": "only when set (not in Vault)"})
    token_ttl = fields.Integer(metadata={"description": "only when set (not in Vault)"})
    token_type = fields.String(required=True)
    token_bound_cidrs = fields.List(fields.String(), metadata={"description": "only when set"})
    bound_cidrs = fields.List(fields.String(), metadata={"description": "only when set"})
    token_num_uses = fields.Integer(metadata={"description": "only when above 0"})


class PolicyReadSchema(Schema):
    """``data`` of ``GET sys/policies/acl/<name>``."""

    name = fields.String(required=True)
    policy = fields.String(required=True)


class LegacyPolicyReadSchema(Schema):
    """``data`` of ``GET sys/policy/<name>``: the text is ``rules`` there."""

    name = fields.String(required=True)
    rules = fields.String(required=True)


class LegacyPolicyListSchema(Schema):
    """``data`` of ``GET sys/policy``."""

    keys = fields.List(fields.String(), required=True)
    policies = fields.List(fields.String(), required=True)


class PolicyListSchema(KeyListSchema):
    keys = fields.List(fields.String(), required=True)


class CapabilitiesDataSchema(Schema):
    """``data`` of ``sys/capabilities-self``: each path asked for, and, when one path was asked
    for, its capabilities again as ``capabilities`` (Vault's key for older clients). The answer
    also has these keys at its top level."""

    class Meta:
        unknown = INCLUDE

    capabilities = fields.List(fields.String())


class HistoryEventSchema(Schema):
    version = fields.Integer(required=True)
    type = fields.String(required=True)
    time = fields.String(required=True)
    actor_accessor = fields.String(required=True)
    remote_addr = fields.String(required=True)
    changes = fields.Dict(keys=fields.String(), required=True,
                          metadata={"description": "the fields the event set, never a token value"})


class TokenHistorySchema(Schema):
    """``data`` of ``GET sys/ledger/history/accessor/<accessor>``."""

    accessor = fields.String(required=True)
    events = fields.List(fields.Nested(HistoryEventSchema), required=True)
    total = fields.Integer(required=True)
    next_after = fields.String(required=True, allow_none=True,
                               metadata={"description": "the version to pass as `after` for the next page"})
    last_used_time = fields.String(required=True, allow_none=True, metadata={
        "description": "the last recorded use (at most one a usage interval), null if none"})
    last_used_remote_addr = fields.String(required=True, metadata={"description": "the address of that use"})


class LedgerHeadSchema(Schema):
    """``data`` of ``GET sys/ledger/head``."""

    position = fields.Integer(required=True)
    hash = fields.String(required=True, metadata={"description": "the chain's link there, hex"})
    checkpoint = fields.String(required=True, metadata={
        "description": "HASH@POSITION, as `tokenledger ledger verify --expect-head` takes it"})
    time = fields.String(required=True, metadata={"description": "when it was read (not signed)"})
    signature = fields.String(required=True, metadata={"description": "Ed25519 over the checkpoint, hex"})
    public_key = fields.String(required=True)
    algorithm = fields.String(required=True)


class TokenSummarySchema(Schema):
    display_name = fields.String(required=True)
    policies = fields.List(fields.String(), required=True)
    role = fields.String(required=True)
    path = fields.String(required=True)
    creator_accessor = fields.String(required=True)
    creation_time = fields.String(required=True)
    expire_time = fields.String(required=True, allow_none=True)
    status = fields.String(required=True)
    ended_time = fields.String(required=True, allow_none=True)


class TokenPageSchema(Schema):
    """``data`` of ``sys/ledger/history/creator/...`` and ``.../role/...``."""

    keys = fields.List(fields.String(), required=True)
    key_info = fields.Dict(keys=fields.String(), values=fields.Nested(TokenSummarySchema), required=True)
    total = fields.Integer(required=True)
    next_after = fields.String(required=True, allow_none=True)


class AccessorListSchema(KeyListSchema):
    """``data`` of ``LIST auth/token/accessors``; with ``detailed=true`` also the summaries."""

    keys = fields.List(fields.String(), required=True)
    key_info = fields.Dict(keys=fields.String(), values=fields.Nested(TokenSummarySchema),
                           metadata={"description": "with detailed=true"})
    next_after = fields.String(allow_none=True, metadata={"description": "with detailed=true"})


class HealthSchema(Schema):
    """The body of ``GET sys/health``."""

    initialized = fields.Boolean(required=True)
    sealed = fields.Boolean(required=True)
    standby = fields.Boolean(required=True)
    performance_standby = fields.Boolean(required=True)
    replication_performance_mode = fields.String(required=True)
    replication_dr_mode = fields.String(required=True)
    server_time_utc = fields.Integer(required=True)
    version = fields.String(required=True)
    store_reachable = fields.Boolean(required=True)


class UILoginSchema(Schema):
    """The audit UI's login form."""

    token = fields.String(required=True)
    namespace = fields.String()
    next = fields.String(metadata={"description": "a page of the UI to go to afterwards"})


# The answers whose ``data`` keys Vault also writes at the top level (``sys/policy``,
# ``sys/policy/<name>``, ``sys/capabilities*``: see ``tokenledger.web.envelope.vault_response``).
DATA_AT_TOP: frozenset[type[Schema]] = frozenset(
    {LegacyPolicyListSchema, LegacyPolicyReadSchema, CapabilitiesDataSchema}
)
