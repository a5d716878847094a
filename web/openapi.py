"""The OpenAPI 3 description of every route, built from the route tables.

Served unauthenticated at ``GET /v1/sys/internal/specs/openapi`` (Vault's path), built on the
first request from the app's ``url_map``, so every route registered by then is walked.

Each rule of the ``url_map`` is described by the route of the table it was registered from
(``tokenledger.web.routes.routes_of``): its request body schema, query parameters, answers with
the schemas of their ``data`` or ``auth``, and links to other operations; path parameters come
from the rule. A rule registered from no route table is left out, and ``tests/unit/test_openapi.py``
fails. Each schema is a component named after its class (``CreateTokenSchema``: ``CreateToken``).

Vault's ``LIST`` verb has no OpenAPI method: a LIST route is described as ``get`` with a required
``list=true`` query parameter, which the server takes as the same call. HEAD and OPTIONS, which
Flask answers on its own for every route, are not described, nor is the ``auth/token`` catch-all
that answers 404 (unknown path) or 405 (known path, other verb).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable
from importlib import metadata
from typing import Any, TypeVar

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, Response, current_app
from marshmallow import Schema

from tokenledger.web.consistency import INDEX_HEADER
from tokenledger.web.fields import RequestSchema
from tokenledger.web.openapi_docs import ERRORS, PARAMETERS, VAULT_PARAMETERS
from tokenledger.web.openapi_fields import SOMETIMES_ABSENT, JsonSchema, function_field_types
from tokenledger.web.openapi_schemas import DATA_AT_TOP, CapabilitiesDataSchema
from tokenledger.web.routes import (
    BARE,
    DOCUMENT,
    ENVELOPE,
    FORM,
    HTML,
    JSON,
    PAGE,
    PLAIN,
    TEXT,
    Answer,
    Doc,
    Route,
    add_app_routes,
    handler_function,
    routes_of,
)
from tokenledger.web.unrouted import is_unrouted

SPEC_PATH = "/v1/sys/internal/specs/openapi"
OPENAPI_VERSION = "3.0.3"
AUTOMATIC_METHODS = frozenset({"HEAD", "OPTIONS"})  # answered by Flask itself on every route
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_BUILT = "tokenledger.openapi"  # app.extensions: the document, once built
_T = TypeVar("_T")


# -- building --------------------------------------------------------------------------------


def register_openapi(app: Flask) -> None:
    """Serve the spec at ``/v1/sys/internal/specs/openapi`` (Vault's path), unauthenticated."""
    add_app_routes(app, (Route((SPEC_PATH,), ("GET",), openapi_spec, Doc(
        "This OpenAPI document", (Answer(200, kind=DOCUMENT, description="the OpenAPI document"),),
        tag="sys/internal", security=(), vault_parameters=False, errors=(500,),
        description="Unauthenticated, as in Vault.")),))


def openapi_spec() -> Response:
    """The document, built on the first request: every route is registered by then."""
    built: dict[str, str] = current_app.extensions.setdefault(_BUILT, {})
    if "spec" not in built:
        built["spec"] = json.dumps(build_spec(current_app))
    return Response(built["spec"] + "\n", mimetype="application/json", headers={"Cache-Control": "no-store"})


def documented_routes(app: Flask) -> list[tuple[str, str, frozenset[str]]]:
    """(rule, endpoint, methods) of every route the spec is to describe: all but ``static``, the
    catch-all, and Flask's automatic HEAD and OPTIONS."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or is_unrouted(rule.endpoint):
            continue
        found.append((rule.rule, rule.endpoint, frozenset(rule.methods or ()) - AUTOMATIC_METHODS))
    return found


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
    _add_shared_components(spec, app)
    table = routes_of(app)
    routes = _unique(table.values())
    for body in _unique(type(route.body) for route in routes if route.body is not None):
        spec.components.schema(component_name(body), _request_schema(converter.schema2jsonschema, body))
    for form in _unique(route.doc.form for route in routes if route.doc.form is not None):
        spec.components.schema(component_name(form), converter.schema2jsonschema(form()))  # type: ignore[no-untyped-call]
    answers = [answer for route in routes for answer in route.doc.answers]
    # a schema another one nests is added, under its own name, when that one is converted
    for shape in _unique(schema for answer in answers for schema in (answer.data, answer.auth) if schema is not None):
        spec.components.schema(component_name(shape), _response_schema(converter.schema2jsonschema, shape))
    envelopes = {envelope_name(answer): answer for answer in answers if answer.kind == ENVELOPE}
    for name, answer in sorted(envelopes.items()):
        spec.components.schema(name, _envelope(answer))

    paths: dict[str, dict[str, Any]] = {}
    built_operations: list[tuple[Route, str, str, dict[str, Any]]] = []  # route, method, rule, operation
    for rule, endpoint, methods in documented_routes(app):
        route = table.get(endpoint)
        if route is None:
            continue
        path_item = paths.setdefault(openapi_path(rule), {})
        for method in sorted(methods):
            listing = route.doc.listing and method in ("GET", "LIST")  # one operation: GET with list=true
            if listing and "get" in path_item:
                continue
            operation = _operation(route, rule, "GET" if listing else method, listing=listing)
            path_item["get" if listing else method.lower()] = operation
            built_operations.append((route, "GET" if listing else method, rule, operation))
    _add_links(built_operations)
    built = spec.to_dict()
    built["components"]["schemas"] = dict(sorted(built["components"]["schemas"].items()))
    built["paths"] = dict(sorted(paths.items()))
    return built


def _add_shared_components(spec: APISpec, app: Flask) -> None:
    """What every route may refer to: security schemes, parameters, the index header, errors."""
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


def component_name(schema: type[Schema]) -> str:
    """The component a schema is described as: its class's name without ``Schema``, as apispec
    names the schemas it finds nested."""
    return schema.__name__.removesuffix("Schema")


def _unique(items: Iterable[_T]) -> list[_T]:
    return list(dict.fromkeys(items))


def _add_links(built: list[tuple[Route, str, str, dict[str, Any]]]) -> None:
    """OpenAPI links from each operation's success answers to the operations its route's links
    name, where this app has them (as mounted): the token a create answers, to look it up, renew
    it, revoke it and read its history; a role or policy written, to read it back."""
    by_target = {(handler_function(route.handler), method, frozenset(re.findall(r"<(?:[^:>]+:)?(\w+)>", rule))):
                 operation["operationId"] for route, method, rule, operation in built}
    for route, _, _, operation in built:
        links = {}
        for link in route.doc.links:
            target = by_target.get((handler_function(link.target), link.method, frozenset(link.parameters)))
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
        if not result["required"]:  # OpenAPI 3.0 allows no empty list
            del result["required"]
    return result


def envelope_name(answer: Answer) -> str:
    """The component of Vault's envelope around this answer's ``data`` or ``auth``."""
    shape = answer.data or answer.auth
    return f"{component_name(shape) if shape else 'Warnings'}Response"


def _envelope(answer: Answer) -> JsonSchema:
    """Vault's success envelope with ``data`` and ``auth`` shaped for this answer."""

    def shaped(schema: type[Schema] | None) -> JsonSchema:
        if schema is None:
            return {"type": "object", "nullable": True, "enum": [None]}
        return {"$ref": f"#/components/schemas/{component_name(schema)}"}

    warnings: JsonSchema = {"type": "array", "items": {"type": "string"}, "nullable": True}
    if answer.data is None and answer.auth is None:
        warnings = {"type": "array", "items": {"type": "string"}, "minItems": 1}
    properties = {
        "request_id": {"type": "string"}, "lease_id": {"type": "string"}, "renewable": {"type": "boolean"},
        "lease_duration": {"type": "integer"}, "data": shaped(answer.data),
        "wrap_info": {"type": "object", "nullable": True, "enum": [None]}, "warnings": warnings,
        "auth": shaped(answer.auth), "mount_type": {"type": "string"},
    }
    result: JsonSchema = {"type": "object", "required": list(properties), "additionalProperties": False,
                          "properties": properties}
    if answer.data in DATA_AT_TOP:  # Vault repeats these answers' data keys at the top level
        result["description"] = "The keys of `data` are also at the top level, for older clients."
        result["additionalProperties"] = (
            {"type": "array", "items": {"type": "string"}} if answer.data is CapabilitiesDataSchema else True
        )
    return result


def _operation(route: Route, rule: str, method: str, *, listing: bool) -> dict[str, Any]:
    doc = route.doc
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
    body = type(route.body) if route.body is not None else doc.form
    if body is not None and method in BODY_METHODS:
        media, taken = (JSON, "A JSON object (a form is taken too). Unknown parameters are ignored with a "
                              "warning; parameters in the path win over the body.") if route.body else (FORM, "A form.")
        content: dict[str, Any] = {"schema": {"$ref": f"#/components/schemas/{component_name(body)}"}}
        if doc.example is not None:
            content["example"] = dict(doc.example)
        operation["requestBody"] = {"required": False, "description": taken, "content": {media: content}}
    # a gated path is also answered 405 where another method is served there (see web.unrouted)
    operation["responses"] = _responses(doc, answers_405=route.gated or listing)
    operation["security"] = [{name: []} for name in doc.security] + ([{}] if doc.anonymous_too else [])
    return operation


def _responses(doc: Doc, *, answers_405: bool) -> dict[str, Any]:
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
            bare = answers[0].data
            assert bare is not None, doc.summary
            response["content"] = {JSON: {"schema": {"$ref": f"#/components/schemas/{component_name(bare)}"}}}
        elif kind == PLAIN:
            response["content"] = {TEXT: {"schema": {"type": "string"}}}
        elif kind == DOCUMENT:
            response["content"] = {JSON: {"schema": {"type": "object", "required": ["openapi", "paths"]}}}
        responses[str(status)] = response
    for status in sorted({*doc.errors, 405} if answers_405 else set(doc.errors)):
        responses.setdefault(str(status), {"$ref": f"#/components/responses/Error{status}"})
    return responses


def spec_json(app: Flask) -> dict[str, Any]:
    """The spec as served, through the app (for tests and tools)."""
    response = app.test_client().get(SPEC_PATH)
    loaded: dict[str, Any] = json.loads(response.get_data(as_text=True))
    return loaded

