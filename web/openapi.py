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
from importlib import metadata
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, Response
from marshmallow import Schema

from tokenledger.web import schemas
from tokenledger.web.consistency import INDEX_HEADER
from tokenledger.web.fields import RequestSchema
from tokenledger.web.openapi_docs import (
    BARE,
    DOCS,
    DOCUMENT,
    ENVELOPE,
    ERRORS,
    HTML,
    JSON,
    LINKS,
    PAGE,
    PARAMETERS,
    PLAIN,
    SPEC_ENDPOINT,
    TEXT,
    VAULT_PARAMETERS,
    Answer,
    Doc,
)
from tokenledger.web.openapi_fields import SOMETIMES_ABSENT, JsonSchema, function_field_types
from tokenledger.web.openapi_schemas import (
    AccessorListSchema,
    CapabilitiesDataSchema,
    HealthSchema,
    HistoryEventSchema,
    LedgerHeadSchema,
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
from tokenledger.web.role_api import RoleWriteSchema
from tokenledger.web.sys_api import CapabilitiesSchema, PolicyBodySchema
from tokenledger.web.unrouted import is_unrouted

SPEC_PATH = "/v1/sys/internal/specs/openapi"
OPENAPI_VERSION = "3.0.3"
AUTOMATIC_METHODS = frozenset({"HEAD", "OPTIONS"})  # answered by Flask itself on every route
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


REQUEST_SCHEMAS: Mapping[str, type[RequestSchema]] = {
    "CreateToken": schemas.CreateTokenSchema,
    "TokenBody": schemas.TokenBodySchema,
    "AccessorBody": schemas.AccessorBodySchema,
    "LookupAccessorBody": schemas.LookupAccessorBodySchema,
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
    "LedgerHead": LedgerHeadSchema,
    "Health": HealthSchema,
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
        if rule.endpoint == "static" or is_unrouted(rule.endpoint):
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
    converter.add_attribute_function(function_field_types)  # type: ignore[no-untyped-call]
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
        spec.components.schema(name, converter.schema2jsonschema(form()))  # type: ignore[no-untyped-call]
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
    # a gated path can also be answered 405 where another method is served (see web.unrouted)
    for status in sorted({*doc.errors, 405} if listing or 403 in doc.errors else set(doc.errors)):
        responses.setdefault(str(status), {"$ref": f"#/components/responses/Error{status}"})
    return responses


def spec_json(app: Flask) -> dict[str, Any]:
    """The spec as served, through the app (for tests and tools)."""
    response = app.test_client().get(SPEC_PATH)
    loaded: dict[str, Any] = json.loads(response.get_data(as_text=True))
    return loaded

