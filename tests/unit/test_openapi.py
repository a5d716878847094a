"""The OpenAPI document at ``/v1/sys/internal/specs/openapi``: valid, complete, and true to the API."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from schemathesis.core.result import Err
from schemathesis.specs.openapi.definitions import OPENAPI_30_VALIDATOR

from tests.support.vault_http import call, create
from tokenledger.domain.role_settings import RoleSettings, role_read_fields
from tokenledger.web.app import create_app, runtime_of
from tokenledger.web.openapi import SPEC_PATH, spec_json
from tokenledger.web.openapi_schemas import RoleReadSchema
from tokenledger.wiring.settings import Settings

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@pytest.fixture
def store(tmp_path: Path) -> str:
    """The document does not depend on the store: SQLite only."""
    return str(tmp_path / "ledger.db")


@pytest.fixture
def spec(app: Flask) -> dict[str, Any]:
    return spec_json(app)


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, operation) for path, item in spec["paths"].items()
            for method, operation in item.items() if method in METHODS]


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        reference = node["$ref"]
        assert reference.startswith("#/"), reference
        target: Any = spec
        for part in reference[2:].split("/"):
            target = target[part]
        node = target
    return node


def parameters(spec: dict[str, Any], operation: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    found = (resolve(spec, p) for p in operation.get("parameters", []))
    return {(p["in"], p["name"]): p for p in found}


def missing_from_spec(app: Flask, spec: dict[str, Any]) -> list[str]:
    """``METHOD rule`` for every route method the document does not describe, computed from the
    app's url_map: all but ``static``, the catch-alls (below a mount and at it), and HEAD and OPTIONS. A
    LIST must be a ``get`` with a required ``list`` query parameter (as must a GET of a LIST route)."""
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule.endswith("/<path:unknown>") or rule.endpoint.endswith("_mount"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?(\w+)>", r"{\1}", rule.rule)
        item = spec["paths"].get(path, {})
        methods = set(rule.methods or ()) - {"HEAD", "OPTIONS"}
        for method in sorted(methods):
            operation = item.get("get" if method == "LIST" else method.lower())
            if operation is None:
                missing.append(f"{method} {rule.rule}")
                continue
            found = parameters(spec, operation)
            if not all(("path", name) in found for name in rule.arguments):
                missing.append(f"{method} {rule.rule} (path parameters)")
            if "LIST" in methods and method in ("LIST", "GET"):
                listing = found.get(("query", "list"))
                if listing is None or not listing.get("required") or "LIST" not in operation["description"]:
                    missing.append(f"{method} {rule.rule} (as GET with a required list=true)")
    return missing


# -- valid -----------------------------------------------------------------------------------


def test_served_unauthenticated_as_json(client: FlaskClient) -> None:
    response = client.get(SPEC_PATH)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json is not None and response.json["openapi"].startswith("3.0")


def test_validates_as_openapi_3(spec: dict[str, Any]) -> None:
    errors = [f"{error.instance_path}: {error.message}" for error in OPENAPI_30_VALIDATOR.iter_errors(spec)]
    assert errors == []
    loaded = schemathesis.openapi.from_dict(spec)
    loaded.validate()
    results = list(loaded.get_all_operations())
    assert [result.err() for result in results if isinstance(result, Err)] == []
    assert len(results) == len(operations(spec))


def test_every_reference_resolves_and_ids_are_unique(spec: dict[str, Any]) -> None:
    references: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                references.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    for reference in set(references):
        resolve(spec, {"$ref": reference})
    ids = [operation["operationId"] for _, _, operation in operations(spec)]
    assert len(ids) == len(set(ids))
    linked = {link["operationId"] for _, _, operation in operations(spec)
              for response in operation["responses"].values() for link in response.get("links", {}).values()}
    assert linked and linked <= set(ids)


def test_create_links_its_token_to_the_calls_that_take_it(spec: dict[str, Any]) -> None:
    links = spec["paths"]["/v1/auth/token/create"]["post"]["responses"]["200"]["links"]
    assert links["LookupAccessor"] == {"operationId": "get_v1_auth_token_lookup_accessor_accessor",
                                       "parameters": {"accessor": "$response.body#/auth/accessor"}}
    assert links["Revoke"]["parameters"] == {"token": "$response.body#/auth/client_token"}


def test_path_templates_match_path_parameters(spec: dict[str, Any]) -> None:
    for path, method, operation in operations(spec):
        declared = {name for (where, name) in parameters(spec, operation) if where == "path"}
        assert declared == set(re.findall(r"{(\w+)}", path)), f"{method} {path}"


# -- complete --------------------------------------------------------------------------------


def test_every_route_and_method_is_described(app: Flask, spec: dict[str, Any]) -> None:
    assert missing_from_spec(app, spec) == []


def test_a_route_added_without_documentation_is_caught(settings: Settings) -> None:
    app = create_app(settings)
    app.add_url_rule("/v1/sys/forgotten/<name>", endpoint="forgotten", view_func=lambda name: "",
                     methods=["GET", "LIST"])
    try:
        assert missing_from_spec(app, spec_json(app)) == ["GET /v1/sys/forgotten/<name>",
                                                          "LIST /v1/sys/forgotten/<name>"]
    finally:
        runtime_of(app).close()


def test_catch_all_static_and_automatic_methods_are_left_out(spec: dict[str, Any]) -> None:
    assert not [path for path in spec["paths"] if "unknown" in path or path.startswith("/static")]
    assert not [(path, method) for path, method, _ in operations(spec) if method in ("head", "options")]


def test_every_vault_operation_takes_the_token_and_namespace(spec: dict[str, Any]) -> None:
    """All of ``/v1`` but the unauthenticated ones, as in Vault: this document and ``sys/health``."""
    schemes = spec["components"]["securitySchemes"]
    assert schemes["VaultToken"] == {"type": "apiKey", "in": "header", "name": "X-Vault-Token"}
    for path, method, operation in operations(spec):
        if not path.startswith("/v1/"):
            continue
        if path in (SPEC_PATH, "/v1/sys/health"):
            assert operation["security"] == []
            continue
        assert {"VaultToken": []} in operation["security"], f"{method} {path}"
        found = parameters(spec, operation)
        assert ("header", "X-Vault-Namespace") in found and ("query", "site") in found, f"{method} {path}"


# -- shapes ----------------------------------------------------------------------------------


def body_schema(spec: dict[str, Any], path: str, method: str = "post") -> dict[str, Any]:
    operation = spec["paths"][path][method]
    return resolve(spec, operation["requestBody"]["content"]["application/json"]["schema"])


def answer_schema(spec: dict[str, Any], path: str, method: str, status: str) -> dict[str, Any]:
    response = resolve(spec, spec["paths"][path][method]["responses"][status])
    return resolve(spec, response["content"]["application/json"]["schema"])


def test_create_takes_vault_parameters_and_the_kebab_case_aliases(spec: dict[str, Any]) -> None:
    for path in ("/v1/auth/token/create", "/v1/auth/token/create/{role_name}", "/v1/auth/token/create-orphan"):
        for method in ("post", "put"):
            properties = body_schema(spec, path, method)["properties"]
            assert properties["policies"]["anyOf"][0] == {"type": "array", "items": {"type": "string"}}
            assert properties["ttl"]["anyOf"][0]["type"] == "integer"
            assert properties["no_parent"]["type"] == "boolean"
            assert properties["no-parent"]["type"] == "boolean"
            assert "alias of `no_parent`" in properties["no-parent"]["description"]
            assert properties["max-ttl"]["anyOf"] == properties["explicit_max_ttl"]["anyOf"]
            assert properties["metadata"]["anyOf"][0]["additionalProperties"] == {"type": "string"}
    assert ("path", "role_name") in parameters(spec, spec["paths"]["/v1/auth/token/create/{role_name}"]["post"])


def test_other_request_bodies(spec: dict[str, Any]) -> None:
    assert "increment" in body_schema(spec, "/v1/auth/token/renew")["properties"]
    assert "token_bound_cidrs" in body_schema(spec, "/v1/auth/token/roles/{role_name}")["properties"]
    assert set(body_schema(spec, "/v1/sys/policy/{name}", "put")["properties"]) == {"policy", "rules"}
    assert "as_of" in body_schema(spec, "/v1/auth/token/lookup-accessor")["properties"]
    assert "requestBody" not in spec["paths"]["/v1/auth/token/lookup"]["get"]


def test_envelopes_shape_data_and_auth(spec: dict[str, Any]) -> None:
    created = answer_schema(spec, "/v1/auth/token/create", "post", "200")
    assert created["required"] == ["request_id", "lease_id", "renewable", "lease_duration", "data",
                                   "wrap_info", "warnings", "auth", "mount_type"]
    auth = resolve(spec, created["properties"]["auth"])
    assert auth["properties"]["client_token"] == {"type": "string"}
    assert "client_token" in auth["required"]
    looked_up = answer_schema(spec, "/v1/auth/token/lookup-self", "get", "200")
    data = resolve(spec, looked_up["properties"]["data"])
    assert data["properties"]["accessor"] == {"type": "string"}
    assert "accessor" in data["required"] and "period" not in data["required"]
    assert looked_up["properties"]["auth"]["enum"] == [None]
    tidy = answer_schema(spec, "/v1/auth/token/tidy", "post", "202")
    assert tidy["properties"]["data"]["enum"] == [None]  # Vault's tidy answers no data
    listed = answer_schema(spec, "/v1/auth/token/accessors", "get", "200")
    assert resolve(spec, listed["properties"]["data"])["properties"]["keys"]["items"] == {"type": "string"}


def test_no_content_answers_are_204(spec: dict[str, Any]) -> None:
    for path in ("/v1/auth/token/revoke", "/v1/auth/token/revoke-self", "/v1/sys/policy/{name}"):
        method = "delete" if "policy" in path else "post"
        assert "content" not in spec["paths"][path][method]["responses"]["204"]


def test_errors_are_vault_shaped(spec: dict[str, Any]) -> None:
    assert spec["components"]["schemas"]["Errors"] == {
        "type": "object", "required": ["errors"], "additionalProperties": False,
        "properties": {"errors": {"type": "array", "items": {"type": "string"}}}}
    responses = spec["paths"]["/v1/auth/token/create"]["post"]["responses"]
    for status in ("400", "403", "404", "409", "412", "500"):
        assert responses[status] == {"$ref": f"#/components/responses/Error{status}"}
    assert "405" in spec["paths"]["/v1/auth/token/roles"]["get"]["responses"]


def test_query_parameters(spec: dict[str, Any]) -> None:
    def query(path: str, method: str = "get") -> set[str]:
        return {name for (where, name) in parameters(spec, spec["paths"][path][method]) if where == "query"}

    assert {"list", "after", "limit", "detailed"} <= query("/v1/auth/token/accessors")
    assert "as_of" in query("/v1/auth/token/lookup-accessor/{accessor}")
    assert "as_of" in query("/v1/auth/token/roles/{role_name}")
    assert "as_of" in query("/v1/sys/policies/acl/{name}")
    assert {"after", "limit", "descendants"} <= query("/v1/sys/ledger/history/creator/{accessor}")
    assert {"from", "to"} <= query("/v1/sys/ledger/history/role/{role}")


# -- true to the API: real answers conform -----------------------------------------------------


def test_real_answers_conform(app: Flask, client: FlaskClient, spec: dict[str, Any]) -> None:
    """Shapes the fuzzer rarely reaches (it does not know accessors): each validated by schemathesis."""
    loaded = schemathesis.openapi.from_dict(spec)
    call(client, "PUT", "sys/policy/web", body={"policy": 'path "x" { capabilities = ["read"] }'})
    call(client, "POST", "roles/deploy", body={"allowed_policies": "web", "token_bound_cidrs": "10.0.0.0/8",
                                                 "token_num_uses": 2, "token_period": "1h"})
    child = create(client, policies=["web"], ttl="1h", meta={"team": "a"})["auth"]
    accessor = child["accessor"]
    renewed = call(client, "POST", "renew-accessor", body={"accessor": accessor, "increment": "2h"})
    looked_up = call(client, "POST", "lookup", body={"token": child["client_token"]})
    issued_at = looked_up.get_json()["data"]["issue_time"]
    future = "2999-01-01T00:00:00Z"
    checks: list[tuple[str, str, Any]] = [
        ("/v1/auth/token/renew-accessor", "POST", renewed),
        ("/v1/auth/token/lookup", "POST", looked_up),
        ("/v1/auth/token/roles/{role_name}", "GET", call(client, "GET", "roles/deploy")),
        ("/v1/auth/token/lookup-accessor/{accessor}", "GET",
         call(client, "GET", f"lookup-accessor/{accessor}", query_string={"as_of": issued_at})),
        ("/v1/auth/token/accessors", "GET",
         call(client, "GET", "accessors", query_string={"list": "true", "detailed": "true"})),
        ("/v1/sys/ledger/history/accessor/{accessor}", "GET",
         call(client, "GET", f"sys/ledger/history/accessor/{accessor}", query_string={"limit": 1})),
        ("/v1/sys/ledger/history/creator/{accessor}", "GET",
         call(client, "GET", f"sys/ledger/history/creator/{root_accessor(client)}")),
        ("/v1/sys/ledger/history/role/{role}", "GET", call(client, "GET", "sys/ledger/history/role/deploy")),
        ("/v1/sys/capabilities-self", "POST", call(client, "POST", "sys/capabilities-self", body={"paths": ["x"]})),
        ("/v1/sys/policy", "GET", call(client, "GET", "sys/policy")),
        ("/v1/sys/policy/{name}", "GET", call(client, "GET", "sys/policy/web")),
        ("/v1/sys/policies/acl/{name}", "GET", call(client, "GET", "sys/policies/acl/web")),
        ("/v1/auth/token/create", "POST", call(client, "POST", "create", body={"ttl": "-1"})),
        ("/v1/auth/token/roles/{role_name}", "GET", call(client, "GET", "roles/absent")),
        ("/v1/auth/token/lookup-accessor", "POST",
         call(client, "POST", "lookup-accessor", body={"accessor": accessor, "as_of": future})),
        ("/v1/auth/token/revoke-accessor/{accessor}", "POST", call(client, "POST", f"revoke-accessor/{accessor}")),
        ("/v1/auth/token/lookup-self", "GET", call(client, "GET", "lookup-self", token="")),
    ]
    statuses = []
    for path, method, response in checks:
        statuses.append(response.status_code)
        loaded[path][method].validate_response(response)
    assert statuses[:12] == [200] * 12 and statuses[12:] == [400, 404, 400, 204, 403]


def root_accessor(client: FlaskClient) -> str:
    accessor: str = call(client, "GET", "lookup-self").get_json()["data"]["accessor"]
    return accessor


def test_role_read_schema_matches_what_a_read_answers() -> None:
    everything = RoleSettings(name="r", token_bound_cidrs=("10.0.0.0/8",), bound_cidrs=("10.0.0.0/8",),
                              token_num_uses=3, token_ttl=60, token_max_ttl=600, token_policies=("web",))
    fields = RoleReadSchema().fields
    assert set(role_read_fields(everything)) == set(fields)
    assert {name for name, field in fields.items() if field.required} == set(role_read_fields(RoleSettings(name="r")))
