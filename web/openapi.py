"""The OpenAPI 3 description of every route, built from the marshmallow schemas.

Served unauthenticated at ``GET /v1/sys/internal/specs/openapi`` (Vault's path), built on the
first request from the app's ``url_map``, so every route registered by then is walked.

``DOCS`` maps each endpoint, as ``{blueprint}.{handler}`` (endpoint names are
``{blueprint}.{handler}{rule}``; every rule of a handler shares its entry), to what it takes and
answers: request body schema, query parameters, answers with the schemas of their ``data`` or
``auth``. Path parameters come from each rule. ``LINKS`` adds OpenAPI links between operations.
A route whose handler is not in ``DOCS`` is left out, and ``tests/test_openapi.py`` fails.

Vault's ``LIST`` verb has no OpenAPI method: a LIST route is described as ``get`` with a required
``list=true`` query parameter, which the server takes as the same call. HEAD and OPTIONS, which
Flask answers on its own for every route, are not described, nor is the ``auth/token`` catch-all
that answers 404 (unknown path) or 405 (known path, other verb).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, Response
from marshmallow import Schema, fields

from domain.durations import MAX_SECONDS
from web import schemas
from web.consistency import INDEX_HEADER
from web.fields import MAX_WHOLE_NUMBER, Duration, NameList, RequestSchema, WholeNumber
from web.namespace import NAMESPACE_HEADER, SITE_PARAMETER
from web.openapi_schemas import (
    AccessorListSchema,
    CapabilitiesDataSchema,
    HealthSchema,
    HistoryEventSchema,
    LegacyPolicyListSchema,
    LegacyPolicyReadSchema,
    PolicyListSchema,
    PolicyReadSchema,
    RoleReadSchema,
    TokenHistorySchema,
    TokenPageSchema,
    TokenSummarySchema,
    UILoginSchema,
)
from web.role_api import RoleWriteSchema
from web.sys_api import CapabilitiesSchema, PolicyBodySchema
from web.token_api import _unsupported

SPEC_PATH = "/v1/sys/internal/specs/openapi"
SPEC_ENDPOINT = "openapi_spec"
OPENAPI_VERSION = "3.0.3"
AUTOMATIC_METHODS = frozenset({"HEAD", "OPTIONS"})  # answered by Flask itself on every route
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

JsonSchema = dict[str, Any]


# -- types of the response fields marshmallow cannot introspect (fields.Function) -----------

_STRING: JsonSchema = {"type": "string"}
_INTEGER: JsonSchema = {"type": "integer"}
_BOOLEAN: JsonSchema = {"type": "boolean"}
_NAMES: JsonSchema = {"type": "array", "items": {"type": "string"}}
_STRING_MAP: JsonSchema = {"type": "object", "additionalProperties": {"type": "string"}, "nullable": True}

FUNCTION_FIELD_TYPES: Mapping[str, JsonSchema] = {
    # schemas.LookupDataSchema
    "accessor": _STRING, "creation_time": _INTEGER, "creation_ttl": _INTEGER, "display_name": _STRING,
    "expire_time": {"type": "string", "nullable": True}, "explicit_max_ttl": _INTEGER, "id": _STRING,
    "issue_time": _STRING, "last_renewal": _STRING, "last_renewal_time": _INTEGER, "meta": _STRING_MAP,
    "num_uses": _INTEGER, "orphan": _BOOLEAN, "path": _STRING, "period": _INTEGER, "policies": _NAMES,
    "renewable": _BOOLEAN, "ttl": _INTEGER, "type": _STRING,
    # schemas.AuthSchema
    "client_token": _STRING, "token_policies": _NAMES, "metadata": _STRING_MAP,
    "lease_duration": _INTEGER, "token_type": _STRING,
}

# Keys a response schema leaves out of some answers (every other field is always there).
SOMETIMES_ABSENT: Mapping[type[Schema], frozenset[str]] = {
    schemas.LookupDataSchema: frozenset({"issue_time", "renewable", "last_renewal", "last_renewal_time",
                                         "period"}),
}

_DURATION_TEXT = r"^[0-9]+$|^([0-9]+(\.[0-9]*)?(ns|us|µs|ms|s|m|h|d|y))+$"
INT64_MAX = 2**63 - 1  # the most a store column holds
_COUNT: JsonSchema = {"type": "integer", "minimum": 0, "maximum": INT64_MAX}  # paging: larger is capped
_DURATION: JsonSchema = {
    "anyOf": [{"type": "integer", "minimum": 0, "maximum": MAX_SECONDS},
              {"type": "string", "pattern": _DURATION_TEXT, "maxLength": 64}],
    "description": "seconds, or a duration such as 1h30m, 10m30s, 1y2d; at most a century",
}
_WHOLE_NUMBER: JsonSchema = {
    "anyOf": [{"type": "integer", "minimum": 0, "maximum": MAX_WHOLE_NUMBER},
              {"type": "string", "pattern": "^[0-9]{1,10}$"}],
    "description": f"at most {MAX_WHOLE_NUMBER}",
}


def _field_types(self: Any, field: fields.Field, ret: JsonSchema, **_: Any) -> JsonSchema:
    """An apispec attribute function: JSON types for this project's field classes."""
    if isinstance(field, Duration):
        return copy.deepcopy(_DURATION)
    if isinstance(field, WholeNumber):
        return copy.deepcopy(_WHOLE_NUMBER)
    if isinstance(field, NameList):
        return {"anyOf": [{"type": "array", "items": {"type": "string"}},
                          {"type": "string", "description": "comma-delimited"}]}
    if isinstance(field, fields.Constant):
        if field.constant is None:
            return {"type": "object", "nullable": True}
        return {"type": {str: "string", bool: "boolean", int: "integer"}[type(field.constant)]}
    if isinstance(field, fields.Function):
        try:
            return dict(FUNCTION_FIELD_TYPES[field.name or ""])
        except KeyError:
            raise LookupError(f"document the JSON type of response field {field.name!r} in "
                              "web.openapi.FUNCTION_FIELD_TYPES") from None
    return {}


# -- what each endpoint takes and answers -----------------------------------------------------

JSON, HTML, TEXT, FORM = "application/json", "text/html", "text/plain", "application/x-www-form-urlencoded"

ENVELOPE, EMPTY, PAGE, DOCUMENT, BARE, PLAIN = "envelope", "empty", "page", "document", "bare", "plain"


@dataclass(frozen=True)
class Answer:
    """One response: a status and what its body is: Vault's envelope (``data`` and ``auth``
    shaped by the named components, null when not named), nothing, an HTML page (the UI, its
    redirects included), this document, the ``data`` component alone (``bare``), or text."""

    status: int
    data: str | None = None
    auth: str | None = None
    description: str = ""
    kind: str = ENVELOPE


VAULT_SECURITY = ("VaultToken", "Bearer")
VAULT_ERRORS = (400, 403, 404, 409, 412, 500)


@dataclass(frozen=True)
class Doc:
    summary: str
    answers: tuple[Answer, ...]
    body: str | None = None  # component name of the request body, taken by POST and PUT
    body_media: str = JSON
    query: tuple[str, ...] = ()  # names in PARAMETERS
    listing: bool = False  # a LIST route (documented as GET with list=true)
    description: str = ""
    tag: str = "auth/token"
    security: tuple[str, ...] = VAULT_SECURITY  # any one of them; () is none at all
    anonymous_too: bool = False  # also answers without credentials (the UI redirects to its login)
    vault_parameters: bool = True  # site, X-Vault-Namespace, X-Vault-Index
    errors: tuple[int, ...] = VAULT_ERRORS  # answered as {"errors": [...]}
    example: Mapping[str, Any] | None = None  # a request body that succeeds on a fresh ledger


AUTH_ANSWER = Answer(200, auth="Auth", description="the token, in `auth`")
LOOKUP_ANSWER = Answer(200, data="LookupData", description="the token's properties")
REVOKED = Answer(204, kind=EMPTY, description="revoked")
DONE = Answer(204, kind=EMPTY, description="done")
WARNED = Answer(200, description="done, with warnings")
TIDIED = Answer(202, data="TidyReport", description="Vault's 202 and warning; the tidy is done when it answers")

_AS_OF = "With `as_of` (RFC 3339, with a time zone, not in the future) the state at that instant."


def _ui(summary: str, answers: tuple[Answer, ...], **details: Any) -> Doc:
    """A page of the audit UI: HTML, behind its session cookie (without one, to its login)."""
    return Doc(summary, answers, tag="ui", security=("UISession",), anonymous_too=True, vault_parameters=False,
               errors=(500,), **details)


_TO_LOGIN = Answer(302, kind=PAGE, description="no session, or its token no longer works: to the login page")

# Keyed by endpoint without its rule: ``{blueprint}.{handler}`` (endpoints are ``{handler}{rule}``).
DOCS: Mapping[str, Doc] = {
    "vault_token_auth.create": Doc(
        "Create a token (a child of the caller unless no_parent), optionally against a role",
        (AUTH_ANSWER,), body="CreateToken",
        description="Takes Vault's parameters and, as aliases, the other product's kebab-case dialect "
                    "(`no-parent`, `max-ttl`, ...); a request in that dialect or with `site` refuses a "
                    "token that would never expire.",
        example={"policies": ["web"], "ttl": "1h", "meta": {"team": "a"}, "num_uses": 10}),
    "vault_token_auth.create_orphan": Doc("Create an orphan token", (AUTH_ANSWER,), body="CreateToken",
                                          example={"policies": ["web"], "ttl": "1h"}),
    "vault_token_auth.lookup": Doc("Look up a token (GET: the caller's own, or the token in the path)",
                                   (LOOKUP_ANSWER,), body="TokenBody"),
    "vault_token_auth.lookup_self": Doc("Look up the calling token", (LOOKUP_ANSWER,)),
    "vault_token_auth.lookup_accessor": Doc(
        "Look up a token by accessor",
        (Answer(200, data="LookupAccessorData", description="the token's properties"),),
        body="LookupAccessorBody", query=("as_of",), description=_AS_OF + " `as_of` may be in the body too."),
    "vault_token_auth.renew": Doc("Renew a token", (AUTH_ANSWER,), body="RenewBody"),
    "vault_token_auth.renew_self": Doc("Renew the calling token", (AUTH_ANSWER,), body="IncrementBody"),
    "vault_token_auth.renew_accessor": Doc("Renew a token by accessor", (AUTH_ANSWER,), body="RenewAccessorBody"),
    "vault_token_auth.revoke": Doc("Revoke a token and its descendants", (REVOKED,), body="TokenBody"),
    "vault_token_auth.revoke_self": Doc("Revoke the calling token and its descendants", (REVOKED,)),
    "vault_token_auth.revoke_accessor": Doc("Revoke a token by accessor", (REVOKED, WARNED), body="AccessorBody"),
    "vault_token_auth.revoke_orphan": Doc("Revoke a token, orphaning its children (sudo)", (REVOKED,),
                                          body="TokenBody"),
    "vault_token_auth.list_accessors": Doc(
        "List the accessors of live tokens (sudo)",
        (Answer(200, data="AccessorList", description="a page of accessors"),),
        query=("after", "limit", "detailed"), listing=True,
        description="404 when the page is empty. `detailed=true` adds each token's summary."),
    "vault_token_auth.tidy": Doc("Repair the read models and record due expiries", (TIDIED,)),
    "vault_token_auth.list_roles": Doc(
        "List token roles", (Answer(200, data="KeyList", description="a page of role names"),),
        query=("after", "limit"), listing=True, tag="auth/token/roles", description="404 when the page is empty."),
    "vault_token_auth.read_role": Doc(
        "Read a token role", (Answer(200, data="RoleRead", description="the role"),),
        query=("as_of",), tag="auth/token/roles", description=_AS_OF + " 404 if none."),
    "vault_token_auth.write_role": Doc("Create or update a token role (only the fields given change)",
                                       (DONE, WARNED), body="RoleWrite", tag="auth/token/roles",
                                       example={"allowed_policies": "app,db", "orphan": True, "path_suffix": "blue",
                                                "token_period": "1h", "token_bound_cidrs": ["10.0.0.0/8"]}),
    "vault_token_auth.delete_role": Doc("Delete a token role", (DONE,), tag="auth/token/roles"),
    "vault_sys.list_policies_legacy": Doc(
        "List ACL policies", (Answer(200, data="LegacyPolicyList", description="policy names"),), tag="sys/policy"),
    "vault_sys.read_policy_legacy": Doc(
        "Read an ACL policy", (Answer(200, data="LegacyPolicyRead", description="the text as `rules`"),),
        query=("as_of",), tag="sys/policy", description=_AS_OF + " 404 if none."),
    "vault_sys.write_policy": Doc(
        "Create or update an ACL policy (HCL or JSON)", (DONE, WARNED), body="PolicyBody", tag="sys/policy",
        example={"policy": 'path "auth/token/create/deploy" { capabilities = ["update"] }'}),
    "vault_sys.delete_policy": Doc("Delete an ACL policy", (DONE,), tag="sys/policy"),
    "vault_sys.list_policies": Doc(
        "List ACL policies", (Answer(200, data="PolicyList", description="a page of names"),),
        query=("after", "limit"), listing=True, tag="sys/policy"),
    "vault_sys.read_policy": Doc(
        "Read an ACL policy", (Answer(200, data="PolicyRead", description="the text as `policy`"),),
        query=("as_of",), tag="sys/policy", description=_AS_OF + " 404 if none."),
    "vault_sys.revoke_prefix": Doc(
        "Revoke every token created under a path prefix (sudo)", (DONE,), tag="sys/leases",
        description="Tokens are the only leases here, found by the path they were created at "
                    "(`auth/token/create/<role>`)."),
    "vault_sys.capabilities_self": Doc(
        "The calling token's capabilities on paths",
        (Answer(200, data="CapabilitiesData", description="capabilities per path"),),
        body="Capabilities", tag="sys/capabilities", example={"paths": ["auth/token/create"]}),
    "vault_sys.capabilities_of_token": Doc(
        "Another token's capabilities on paths (without spending its uses)",
        (Answer(200, data="CapabilitiesData", description="capabilities per path"),),
        body="Capabilities", tag="sys/capabilities", description="The token is `token` in the body."),
    "vault_sys.capabilities_of_accessor": Doc(
        "The capabilities on paths of the token holding an accessor",
        (Answer(200, data="CapabilitiesData", description="capabilities per path"),),
        body="Capabilities", tag="sys/capabilities", description="The accessor is `accessor` in the body."),
    "vault_sys.token_history": Doc(
        "A token's events, oldest first (sudo)", (Answer(200, data="TokenHistory", description="a page of events"),),
        query=("after_version", "limit"), tag="sys/ledger"),
    "vault_sys.created_by": Doc(
        "Tokens created by an accessor (sudo)", (Answer(200, data="TokenPage", description="a page of tokens"),),
        query=("after", "limit", "descendants"), tag="sys/ledger",
        description="Follows creation, not parenthood: orphans it made are included."),
    "vault_sys.created_against_role": Doc(
        "Tokens created against a role in [from, to) (sudo)",
        (Answer(200, data="TokenPage", description="a page of tokens"),),
        query=("after", "limit", "from", "to"), tag="sys/ledger"),
    SPEC_ENDPOINT: Doc("This OpenAPI document", (Answer(200, kind=DOCUMENT, description="the OpenAPI document"),),
                       tag="sys/internal", security=(), vault_parameters=False, errors=(500,),
                       description="Unauthenticated, as in Vault."),
    "operations.health": Doc(
        "Health, in Vault's shape", (Answer(200, kind=BARE, data="Health", description="initialised and serving"),
                                     Answer(501, kind=BARE, data="Health", description="not initialised"),
                                     Answer(503, kind=BARE, data="Health", description="the store does not answer")),
        tag="sys/health", security=(), vault_parameters=False, errors=(500,),
        description="Unauthenticated, as in Vault."),
    "operations.prometheus": Doc(
        "Metrics in Prometheus' text format", (Answer(200, kind=PLAIN, description="the exposition"),),
        query=("format",), tag="sys/metrics"),
    "audit_ui.login": _ui("The audit UI's login form", (Answer(200, kind=PAGE, description="the form"),),
                          query=("ui_next",)),
    "audit_ui.log_in": _ui(
        "Log in to the audit UI with a token that may read sys/ledger/history with sudo",
        (Answer(302, kind=PAGE, description="logged in: to `next`, or the search page"),
         Answer(400, kind=PAGE, description="an invalid namespace"),
         Answer(403, kind=PAGE, description="a token refused, or not an auditor's")),
        body="UILogin", body_media=FORM),
    "audit_ui.log_out": _ui("Log out of the audit UI", (Answer(302, kind=PAGE, description="to the login page"),)),
    "audit_ui.index": _ui(
        "The audit UI's search page",
        (Answer(200, kind=PAGE, description="the search form"),
         Answer(302, kind=PAGE, description="with `accessor`: to that token's page"), _TO_LOGIN,
         Answer(400, kind=PAGE, description="an invalid namespace"),
         Answer(403, kind=PAGE, description="the session's token may not read the audit there")),
        query=("ui_accessor", "ui_as_of", "ui_namespace")),
    "audit_ui.token_page": _ui(
        "A token's tree and timeline in the audit UI, now or as of an instant",
        (Answer(200, kind=PAGE, description="the token's page"), _TO_LOGIN,
         Answer(400, kind=PAGE, description="an invalid namespace or instant"),
         Answer(403, kind=PAGE, description="the session's token may not read the audit there"),
         Answer(404, kind=PAGE, description="no token ever held the accessor")),
        query=("ui_as_of", "ui_namespace", "ui_after")),
}


@dataclass(frozen=True)
class Link:
    """To the operation of ``target`` (a ``DOCS`` key) with ``method`` whose path parameters are
    those of ``parameters`` (each a runtime expression)."""

    name: str
    target: str
    method: str
    parameters: Mapping[str, str]


_ACCESSOR = {"accessor": "$response.body#/auth/accessor"}
_TOKEN = {"token": "$response.body#/auth/client_token"}
_TOKEN_LINKS = (
    Link("LookupAccessor", "vault_token_auth.lookup_accessor", "GET", _ACCESSOR),
    Link("RenewAccessor", "vault_token_auth.renew_accessor", "POST", _ACCESSOR),
    Link("RevokeAccessor", "vault_token_auth.revoke_accessor", "POST", _ACCESSOR),
    Link("History", "vault_sys.token_history", "GET", _ACCESSOR),
    Link("CreatedBy", "vault_sys.created_by", "GET", _ACCESSOR),
    Link("Lookup", "vault_token_auth.lookup", "GET", _TOKEN),
    Link("Renew", "vault_token_auth.renew", "POST", _TOKEN),
    Link("Revoke", "vault_token_auth.revoke", "POST", _TOKEN),
    Link("RevokeOrphan", "vault_token_auth.revoke_orphan", "POST", _TOKEN),
)
_ROLE = {"role_name": "$request.path.role_name"}
LINKS: Mapping[str, tuple[Link, ...]] = {
    "vault_token_auth.create": _TOKEN_LINKS,
    "vault_token_auth.create_orphan": _TOKEN_LINKS,
    "vault_token_auth.write_role": (
        Link("ReadRole", "vault_token_auth.read_role", "GET", _ROLE),
        Link("CreateAgainstRole", "vault_token_auth.create", "POST", _ROLE),
        Link("DeleteRole", "vault_token_auth.delete_role", "DELETE", _ROLE),
        Link("CreatedAgainstRole", "vault_sys.created_against_role", "GET", {"role": "$request.path.role_name"}),
    ),
    "vault_sys.write_policy": (
        Link("ReadPolicy", "vault_sys.read_policy", "GET", {"name": "$request.path.name"}),
        Link("ReadPolicyLegacy", "vault_sys.read_policy_legacy", "GET", {"name": "$request.path.name"}),
        Link("DeletePolicy", "vault_sys.delete_policy", "DELETE", {"name": "$request.path.name"}),
    ),
}


REQUEST_SCHEMAS: Mapping[str, type[RequestSchema]] = {
    "CreateToken": schemas.CreateTokenSchema,
    "TokenBody": schemas.TokenBodySchema,
    "AccessorBody": schemas.AccessorBodySchema,
    "LookupAccessorBody": schemas.LookupAccessorSchema,
    "RenewBody": schemas.RenewBodySchema,
    "RenewAccessorBody": schemas.RenewAccessorBodySchema,
    "IncrementBody": schemas.IncrementBodySchema,
    "RoleWrite": RoleWriteSchema,
    "PolicyBody": PolicyBodySchema,
    "Capabilities": CapabilitiesSchema,
}
FORM_SCHEMAS: Mapping[str, type[Schema]] = {"UILogin": UILoginSchema}

NESTED_SCHEMAS: Mapping[str, type[Schema]] = {
    "TokenSummary": TokenSummarySchema,
    "HistoryEvent": HistoryEventSchema,
}

RESPONSE_SCHEMAS: Mapping[str, type[Schema]] = {
    "Auth": schemas.AuthSchema,
    "LookupData": schemas.LookupDataSchema,
    "KeyList": schemas.KeyListSchema,
    "AccessorList": AccessorListSchema,
    "TidyReport": schemas.TidyReportSchema,
    "RoleRead": RoleReadSchema,
    "PolicyRead": PolicyReadSchema,
    "LegacyPolicyRead": LegacyPolicyReadSchema,
    "LegacyPolicyList": LegacyPolicyListSchema,
    "PolicyList": PolicyListSchema,
    "CapabilitiesData": CapabilitiesDataSchema,
    "TokenHistory": TokenHistorySchema,
    "TokenPage": TokenPageSchema,
    "Health": HealthSchema,
}

_NAMESPACE_NAME = r"^/*[A-Za-z0-9][A-Za-z0-9_-]{0,62}/*$"
_RFC3339 = {"type": "string", "format": "date-time", "example": "2026-11-23T10:00:05Z"}


def _query(name: str, schema: JsonSchema, description: str, required: bool = False) -> JsonSchema:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


PARAMETERS: Mapping[str, JsonSchema] = {
    "list": _query("list", {"type": "string", "enum": ["true"]},
                   "Vault's LIST verb as a GET (`1`, `t` and `true` in any case are taken).", True),
    "after": _query("after", {"type": "string"}, "Start the page after this key."),
    "after_version": _query("after", dict(_COUNT),
                            "Start the page after this event version."),
    "limit": _query("limit", {"type": "integer", "minimum": 1, "maximum": INT64_MAX}, "At most this many keys."),
    "detailed": _query("detailed", {"type": "boolean"}, "Add each token's summary (`key_info`)."),
    "as_of": _query("as_of", _RFC3339, "Answer as of this instant (RFC 3339 with a time zone)."),
    "descendants": _query("descendants", {"type": "boolean"},
                          "Also tokens created by those tokens, and so on."),
    "from": _query("from", _RFC3339, "Created at or after this instant."),
    "to": _query("to", _RFC3339, "Created before this instant."),
    "site": _query(SITE_PARAMETER, {"type": "string", "pattern": _NAMESPACE_NAME},
                   "The namespace, in the other product's API (same as X-Vault-Namespace); on create it "
                   "also refuses tokens that would never expire."),
    "namespace": {"name": NAMESPACE_HEADER, "in": "header", "required": False,
                  "schema": {"type": "string", "pattern": _NAMESPACE_NAME},
                  "description": "Vault's namespace header; absent means the root namespace."},
    "format": _query("format", {"type": "string", "enum": ["prometheus"]}, "The only format there is.", True),
    "ui_next": _query("next", {"type": "string"}, "The UI page to go to after logging in."),
    "ui_accessor": _query("accessor", {"type": "string"}, "Go to this accessor's page."),
    "ui_as_of": _query("as_of", {"type": "string"},
                       "An instant: RFC 3339, or as a datetime-local field sends it (taken as UTC)."),
    "ui_namespace": _query("namespace", {"type": "string"}, "The namespace (else the session's)."),
    "ui_after": _query("after", {"type": "string"}, "The timeline from after this event version."),
    "index": {"name": INDEX_HEADER, "in": "header", "required": False,
              "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"},
              "description": "Read-your-writes: answer only once this log position is indexed (else 412)."},
}
VAULT_PARAMETERS = ("site", "namespace", "index")

ERRORS: Mapping[int, str] = {
    400: "invalid request (nothing is recorded)",
    403: "permission denied: a missing, unknown, expired or used-up token, or one its policies refuse",
    404: "not found, or an empty listing (`{\"errors\": []}`)",
    405: "unsupported operation",
    409: "a concurrent update of the same token or object",
    412: f"the {INDEX_HEADER} position was not reached in time",
    500: "internal error",
}


# -- building --------------------------------------------------------------------------------


def register_openapi(app: Flask) -> None:
    """Serve the spec at ``/v1/sys/internal/specs/openapi`` (Vault's path), unauthenticated."""
    built: dict[str, str] = {}

    def openapi_spec() -> Response:
        if "spec" not in built:
            built["spec"] = json.dumps(build_spec(app))
        return Response(built["spec"] + "\n", mimetype="application/json",
                        headers={"Cache-Control": "no-store"})

    app.add_url_rule(SPEC_PATH, endpoint=SPEC_ENDPOINT, view_func=openapi_spec, methods=["GET"])


def documented_routes(app: Flask) -> list[tuple[str, str, frozenset[str]]]:
    """(rule, endpoint, methods) of every route the spec is to describe: all but ``static``, the
    catch-all, and Flask's automatic HEAD and OPTIONS."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or app.view_functions.get(rule.endpoint) is _unsupported:
            continue
        found.append((rule.rule, rule.endpoint, frozenset(rule.methods or ()) - AUTOMATIC_METHODS))
    return found


def doc_key(endpoint: str) -> str:
    """``vault_sys.read_policy/policies/acl/<name>`` -> ``vault_sys.read_policy``."""
    return endpoint.split("/", 1)[0]


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([A-Za-z_][A-Za-z0-9_]*)>", r"{\1}", rule)


def _path_parameters(rule: str) -> list[JsonSchema]:
    parameters = []
    for converter, name in re.findall(r"<(?:([a-z]+)(?:\([^)]*\))?:)?([A-Za-z_][A-Za-z0-9_]*)>", rule):
        if converter == "path":
            schema = {"type": "string", "pattern": "^[^/]+(/[^/]+)*$",
                      "description": "may hold slashes"}
        else:
            schema = {"type": "string", "pattern": "^[^/]+$"}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return parameters


def build_spec(app: Flask) -> dict[str, Any]:
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title="tokenledger", version=_version(), openapi_version=OPENAPI_VERSION, plugins=[plugin],
        info={"description": __doc__ or ""},
    )
    converter = plugin.converter
    assert converter is not None
    converter.add_attribute_function(_field_types)
    spec.components.security_scheme("VaultToken", {"type": "apiKey", "in": "header", "name": "X-Vault-Token"})
    spec.components.security_scheme("Bearer", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme("UISession", {
        "type": "apiKey", "in": "cookie", "name": app.config.get("SESSION_COOKIE_NAME") or "session",
        "description": "the audit UI's session cookie, set by logging in"})
    for name, parameter in PARAMETERS.items():
        spec.components.parameter(name, parameter["in"], copy.deepcopy(parameter))
    spec.components.header(INDEX_HEADER, {"description": "the log position this request's writes reached",
                                          "schema": {"type": "string", "pattern": "^[0-9]+$"}})
    spec.components.schema("Errors", {"type": "object", "required": ["errors"], "additionalProperties": False,
                                      "properties": {"errors": {"type": "array", "items": {"type": "string"}}}})
    for status, description in ERRORS.items():
        spec.components.response(f"Error{status}", {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}}})
    for name, request_schema in REQUEST_SCHEMAS.items():
        spec.components.schema(name, _request_schema(converter.schema2jsonschema, request_schema))
    for name, form in FORM_SCHEMAS.items():
        spec.components.schema(name, converter.schema2jsonschema(form()))
    for name, nested in NESTED_SCHEMAS.items():  # referred to by the others: apispec keeps them by class
        spec.components.schema(name, schema=nested)
    for name, response_schema in RESPONSE_SCHEMAS.items():
        spec.components.schema(name, _response_schema(converter.schema2jsonschema, response_schema))
    lookup = copy.deepcopy(spec.to_dict()["components"]["schemas"]["LookupData"])
    lookup["properties"]["status"] = {"type": "string", "description": "with as_of: live, revoked or expired"}
    lookup["properties"]["as_of"] = {"type": "string", "description": "with as_of: the instant asked for"}
    spec.components.schema("LookupAccessorData", lookup)
    answers = {envelope_name(a): a for doc in DOCS.values() for a in doc.answers if a.kind == ENVELOPE}
    for name, answer in sorted(answers.items()):
        spec.components.schema(name, _envelope(answer))

    paths: dict[str, dict[str, Any]] = {}
    built_operations: list[tuple[str, str, str, dict[str, Any]]] = []  # doc key, method, rule, operation
    for rule, endpoint, methods in documented_routes(app):
        key = doc_key(endpoint)
        doc = DOCS.get(key)
        if doc is None:
            continue
        path_item = paths.setdefault(openapi_path(rule), {})
        for method in sorted(methods):
            listing = doc.listing and method in ("GET", "LIST")  # one operation: GET with list=true
            if listing and "get" in path_item:
                continue
            operation = _operation(doc, rule, "GET" if listing else method, listing=listing)
            path_item["get" if listing else method.lower()] = operation
            built_operations.append((key, "GET" if listing else method, rule, operation))
    _add_links(built_operations)
    built = spec.to_dict()
    built["paths"] = dict(sorted(paths.items()))
    return built


def _add_links(built: list[tuple[str, str, str, dict[str, Any]]]) -> None:
    """OpenAPI links from each operation's success answers to the operations ``LINKS`` names,
    where this app has them (as mounted): the token a create answers, to look it up, renew it,
    revoke it and read its history; a role or policy written, to read it back."""
    by_target = {(key, method, frozenset(re.findall(r"<(?:[^:>]+:)?(\w+)>", rule))): operation["operationId"]
                 for key, method, rule, operation in built}
    for key, _, _, operation in built:
        links = {}
        for link in LINKS.get(key, ()):
            target = by_target.get((link.target, link.method, frozenset(link.parameters)))
            if target is not None:
                links[link.name] = {"operationId": target, "parameters": dict(link.parameters)}
        if not links:
            continue
        for status, response in operation["responses"].items():
            if status.startswith("2") and "$ref" not in response:
                response["links"] = links


def _version() -> str:
    try:
        return metadata.version("tokenledger")
    except metadata.PackageNotFoundError:
        return "0"


def _request_schema(to_json: Callable[[Any], JsonSchema], schema: type[RequestSchema]) -> JsonSchema:
    """The schema's properties, and each alias (``aliases``) as a property of the same type."""
    result = to_json(schema())
    properties = result["properties"]
    for alias, target in sorted(schema.aliases.items()):
        aliased = {key: value for key, value in properties[target].items() if key != "default"}
        aliased["description"] = (f"alias of `{target}` (the kebab-case dialect; a request using it "
                                  "refuses tokens that would never expire)")
        properties[alias] = aliased
    if schema.aliases:
        result["description"] = ("Two spellings of one field (a field and its alias, or two aliases of "
                                 "it) are taken together only when their values are equal, else 400.")
    return result


def _response_schema(to_json: Callable[[Any], JsonSchema], schema: type[Schema]) -> JsonSchema:
    result = to_json(schema())
    for value in result["properties"].values():
        value.pop("readOnly", None)
        value.pop("default", None)
    if schema is CapabilitiesDataSchema:
        result["additionalProperties"] = {"type": "array", "items": {"type": "string"}}
    if schema in SOMETIMES_ABSENT or "required" not in result:
        absent = SOMETIMES_ABSENT.get(schema, frozenset())
        result["required"] = sorted(name for name in result["properties"] if name not in absent)
    return result


def envelope_name(answer: Answer) -> str:
    """The component of Vault's envelope around this answer's ``data`` or ``auth``."""
    return f"{answer.data or answer.auth or 'Warnings'}Response"


def _envelope(answer: Answer) -> JsonSchema:
    """Vault's success envelope with ``data`` and ``auth`` shaped for this answer."""

    def shaped(component: str | None) -> JsonSchema:
        if component is None:
            return {"type": "object", "nullable": True, "enum": [None]}
        return {"$ref": f"#/components/schemas/{component}"}

    warnings: JsonSchema = {"type": "array", "items": {"type": "string"}, "nullable": True}
    if answer.data is None and answer.auth is None:
        warnings = {"type": "array", "items": {"type": "string"}, "minItems": 1}
    properties = {
        "request_id": {"type": "string"}, "lease_id": {"type": "string"}, "renewable": {"type": "boolean"},
        "lease_duration": {"type": "integer"}, "data": shaped(answer.data),
        "wrap_info": {"type": "object", "nullable": True, "enum": [None]}, "warnings": warnings,
        "auth": shaped(answer.auth), "mount_type": {"type": "string"},
    }
    return {"type": "object", "required": list(properties), "additionalProperties": False,
            "properties": properties}


def _operation(doc: Doc, rule: str, method: str, *, listing: bool) -> dict[str, Any]:
    path = openapi_path(rule)
    suffix = "_slash" if path.endswith("/") else ""
    operation: dict[str, Any] = {
        "operationId": f"{method.lower()}{re.sub(r'[^A-Za-z0-9]+', '_', path).rstrip('_')}{suffix}",
        "summary": doc.summary,
        "tags": [doc.tag],
    }
    description = doc.description
    if listing:
        description = (f"Vault's `LIST {path}`: the LIST verb is the same call. OpenAPI has no LIST "
                       f"method, so it is described as GET with `list=true`. {description}").strip()
    if description:
        operation["description"] = description
    parameters: list[JsonSchema] = list(_path_parameters(rule))
    names = (("list",) if listing else ()) + doc.query + (VAULT_PARAMETERS if doc.vault_parameters else ())
    parameters += [{"$ref": f"#/components/parameters/{name}"} for name in names]
    if parameters:
        operation["parameters"] = parameters
    if doc.body is not None and method in BODY_METHODS:
        taken = ("A JSON object (a form is taken too). Unknown parameters are ignored with a warning; "
                 "parameters in the path win over the body.") if doc.body_media == JSON else "A form."
        content: dict[str, Any] = {"schema": {"$ref": f"#/components/schemas/{doc.body}"}}
        if doc.example is not None:
            content["example"] = dict(doc.example)
        operation["requestBody"] = {"required": False, "description": taken, "content": {doc.body_media: content}}
    operation["responses"] = _responses(doc, listing)
    operation["security"] = [{name: []} for name in doc.security] + ([{}] if doc.anonymous_too else [])
    return operation


def _responses(doc: Doc, listing: bool) -> dict[str, Any]:
    index_header = {INDEX_HEADER: {"$ref": f"#/components/headers/{INDEX_HEADER}"}}
    responses: dict[str, Any] = {}
    by_status: dict[int, list[Answer]] = {}
    for answer in doc.answers:
        by_status.setdefault(answer.status, []).append(answer)
    for status, answers in sorted(by_status.items()):
        kinds = {answer.kind for answer in answers}
        if len(kinds) != 1:
            raise ValueError(f"{doc.summary}: one kind of body per status, not {sorted(kinds)}")
        kind = kinds.pop()
        response: dict[str, Any] = {
            "description": "; or ".join(a.description for a in answers if a.description) or "success"}
        if doc.vault_parameters:
            response["headers"] = index_header
        if kind == ENVELOPE:
            shapes = [{"$ref": f"#/components/schemas/{envelope_name(a)}"} for a in answers]
            response["content"] = {JSON: {"schema": shapes[0] if len(shapes) == 1 else {"oneOf": shapes}}}
        elif kind == PAGE:
            response["content"] = {HTML: {"schema": {"type": "string"}}}
            if status in (301, 302, 303, 307, 308):
                response["headers"] = {"Location": {"required": True, "schema": {"type": "string"}}}
        elif kind == BARE:
            response["content"] = {JSON: {"schema": {"$ref": f"#/components/schemas/{answers[0].data}"}}}
        elif kind == PLAIN:
            response["content"] = {TEXT: {"schema": {"type": "string"}}}
        elif kind == DOCUMENT:
            response["content"] = {JSON: {"schema": {"type": "object", "required": ["openapi", "paths"]}}}
        responses[str(status)] = response
    for status in sorted({*doc.errors, 405} if listing else set(doc.errors)):
        responses.setdefault(str(status), {"$ref": f"#/components/responses/Error{status}"})
    return responses


def spec_json(app: Flask) -> dict[str, Any]:
    """The spec as served, through the app (for tests and tools)."""
    response = app.test_client().get(SPEC_PATH)
    loaded: dict[str, Any] = json.loads(response.get_data(as_text=True))
    return loaded

