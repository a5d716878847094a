"""What each endpoint takes and answers: the catalogue ``tokenledger.web.openapi.build_spec`` describes the
routes from. ``DOCS`` gives each endpoint (keyed ``{blueprint}.{handler}``) its request body, query
parameters and answers; ``LINKS`` the OpenAPI links from its answers to other operations;
``PARAMETERS`` the query and header parameters the entries name; ``ERRORS`` the error answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tokenledger.web.consistency import INDEX_HEADER
from tokenledger.web.namespace import NAMESPACE_HEADER, SITE_PARAMETER
from tokenledger.web.openapi_fields import JsonSchema

SPEC_ENDPOINT = "openapi_spec"  # the endpoint tokenledger.web.openapi serves the document at


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
    "vault_sys.ledger_head": Doc(
        "A signed checkpoint of the hash chain's head (sudo, root namespace)",
        (Answer(200, data="LedgerHead", description="the head"),), tag="sys/ledger",
        description="Record it outside the store; `tokenledger ledger verify --expect-head` checks it."),
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


INT64_MAX = 2**63 - 1  # the most a store column holds
_COUNT: JsonSchema = {"type": "integer", "minimum": 0, "maximum": INT64_MAX}  # paging: larger is capped
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
