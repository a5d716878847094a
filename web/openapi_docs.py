"""What the route tables' OpenAPI text shares: ``PARAMETERS``, the query and header parameters a
``Doc`` names; ``ERRORS``, the error answers; and the answers and texts several routes give.
Each route's own text is in its blueprint's route table (``tokenledger.web.routes``).
"""

from __future__ import annotations

from collections.abc import Mapping

from tokenledger.application.lookup_format import LookupDataSchema
from tokenledger.web.consistency import INDEX_HEADER
from tokenledger.web.namespace import NAMESPACE_HEADER, SITE_PARAMETER
from tokenledger.web.openapi_fields import JsonSchema
from tokenledger.web.routes import EMPTY, Answer
from tokenledger.web.schemas import AuthSchema

AUTH_ANSWER = Answer(200, auth=AuthSchema, description="the token, in `auth`")
LOOKUP_ANSWER = Answer(200, data=LookupDataSchema, description="the token's properties")
REVOKED = Answer(204, kind=EMPTY, description="revoked")
DONE = Answer(204, kind=EMPTY, description="done")
WARNED = Answer(200, description="done, with warnings")

AS_OF = "With `as_of` (RFC 3339, with a time zone, not in the future) the state at that instant."


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
    "activity_from": _query("from", _RFC3339, "The window's start (widened to a whole step); "
                            "default: a day (by hour) or thirty days (by day) before its end."),
    "activity_to": _query("to", _RFC3339, "The window's end (widened to a whole step); default: now."),
    "step": _query("step", {"type": "string", "enum": ["hour", "day"]}, "Count per hour (default) or day (UTC)."),
    "role": _query("role", {"type": "string"}, "Only tokens created against this role."),
    "creator": _query("creator", {"type": "string"}, "Only tokens created by this accessor's token."),
    "display_name": _query("display_name", {"type": "string"}, "Display names holding this, in any case."),
    "policy": _query("policy", {"type": "string"}, "Tokens with this policy."),
    "remote_addr": _query("remote_addr", {"type": "string"}, "Tokens created or used from this address."),
    "site": _query(SITE_PARAMETER, {"type": "string", "pattern": _NAMESPACE_NAME},
                   "The namespace, in the other product's API (same as X-Vault-Namespace); on create it "
                   "also refuses tokens that would never expire."),
    "namespace": {"name": NAMESPACE_HEADER, "in": "header", "required": False,
                  "schema": {"type": "string", "pattern": _NAMESPACE_NAME},
                  "description": "Vault's namespace header; absent means the root namespace."},
    "format": _query("format", {"type": "string", "enum": ["prometheus"]}, "The only format there is.", True),
    "report_since": _query("since", _RFC3339, "`unused`: tokens neither created nor used since this instant."),
    "report_ttl_over": _query("ttl_over", {"type": "string", "example": "720h"},
                              "`long-lived`: also tokens whose TTL exceeds this duration."),
    "report_more_than": _query("more_than", dict(_COUNT), "`addresses`: tokens used from more addresses (1)."),
    "report_by": _query("by", {"type": "string", "enum": ["role", "creator", "policy"]},
                        "`counts`: count live tokens by this (role)."),
    "report_format": _query("format", {"type": "string", "enum": ["csv", "json"]},
                            "Export the page as a CSV or JSON file instead of Vault's envelope."),
    "ui_report": _query("report", {"type": "string", "enum": ["unused", "root-children", "long-lived", "orphans",
                                                            "addresses", "counts"]}, "The report to show."),
    "ui_since": _query("since", {"type": "string"},
                       "`unused`: an instant, RFC 3339 or as a datetime-local field sends it (UTC)."),
    "ui_next": _query("next", {"type": "string"}, "The UI page to go to after logging in."),
    "ui_accessor": _query("accessor", {"type": "string"}, "Go to this accessor's page."),
    "ui_as_of": _query("as_of", {"type": "string"},
                       "An instant: RFC 3339, or as a datetime-local field sends it (taken as UTC)."),
    "ui_namespace": _query("namespace", {"type": "string"}, "The namespace (else the session's)."),
    "ui_from": _query("from", {"type": "string"}, "The window's start (as `ui_as_of`); empty: the default."),
    "ui_to": _query("to", {"type": "string"}, "The window's end (as `ui_as_of`); empty: now."),
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
