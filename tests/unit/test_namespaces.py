"""Sites (namespaces): tokens, roles and policies of one are invisible and unusable in another."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.support.runtimes import ROOT_TOKEN, event_count
from tests.support.vault_http import call, write_policy
from tokenledger.web.app import runtime_of


def in_site(client: FlaskClient, site: str, method: str, path: str, token: str = ROOT_TOKEN,
            body: Any = None) -> Any:
    return call(client, method, path, token, body, query_string={"site": site})


def site_token(client: FlaskClient, site: str, **body: Any) -> str:
    response = in_site(client, site, "POST", "create", body=body)
    assert response.status_code == 200, response.json
    value: str = response.json["auth"]["client_token"]
    return value


def test_a_token_made_in_a_site_works_there_only(client: FlaskClient) -> None:
    token = site_token(client, "eu", policies=["web"], ttl="1h")
    assert token.endswith(".eu")
    assert in_site(client, "eu", "GET", "lookup-self", token).status_code == 200
    assert in_site(client, "us", "GET", "lookup-self", token).status_code == 403
    assert call(client, "GET", "lookup-self", token).status_code == 403


def test_the_header_selects_a_namespace_like_the_site_parameter(client: FlaskClient) -> None:
    token = site_token(client, "eu", policies=["web"], ttl="1h")
    headers = {"X-Vault-Namespace": "eu/"}
    assert call(client, "GET", "lookup-self", token, headers=headers).status_code == 200
    clash = call(client, "GET", "lookup-self", token, headers={"X-Vault-Namespace": "us"},
                 query_string={"site": "eu"})
    assert clash.status_code == 400


def test_lookups_and_listings_do_not_cross_sites(client: FlaskClient) -> None:
    eu = site_token(client, "eu", policies=["web"], ttl="1h")
    accessor = in_site(client, "eu", "GET", "lookup-self", eu).json["data"]["accessor"]
    assert call(client, "POST", "lookup", body={"token": eu}).json == {"errors": ["bad token"]}
    assert call(client, "POST", "lookup-accessor", body={"accessor": accessor}).status_code == 400
    assert in_site(client, "eu", "POST", "lookup-accessor", body={"accessor": accessor}).status_code == 200
    assert in_site(client, "eu", "LIST", "accessors").json["data"]["keys"] == [accessor]
    assert accessor not in call(client, "LIST", "accessors").json["data"]["keys"]
    assert in_site(client, "us", "LIST", "accessors").status_code == 404


def test_policies_belong_to_their_site(client: FlaskClient) -> None:
    grant = 'path "auth/token/create" { capabilities = ["update"] }'
    write_policy(client, "creator", grant, query_string={"site": "eu"})
    eu = site_token(client, "eu", policies=["creator"], ttl="1h")
    us = site_token(client, "us", policies=["creator"], ttl="1h")
    assert in_site(client, "eu", "POST", "create", eu, {"ttl": "10m"}).status_code == 200
    assert in_site(client, "us", "POST", "create", us, {"ttl": "10m"}).status_code == 403
    assert call(client, "GET", "sys/policy/creator").status_code == 404
    assert in_site(client, "us", "GET", "sys/policy/creator").status_code == 404


def test_roles_belong_to_their_site(client: FlaskClient) -> None:
    assert in_site(client, "eu", "POST", "roles/deploy", body={"allowed_policies": ["web"]}).status_code == 204
    assert in_site(client, "eu", "GET", "roles/deploy").status_code == 200
    assert in_site(client, "us", "GET", "roles/deploy").status_code == 404
    assert call(client, "GET", "roles/deploy").status_code == 404
    refused = in_site(client, "us", "POST", "create/deploy", body={"ttl": "1h"})
    assert refused.json == {"errors": ["unknown role deploy"]}


def test_a_root_namespace_token_is_checked_against_the_site_prefixed_path(client: FlaskClient) -> None:
    write_policy(client, "eu-creator", 'path "eu/auth/token/create" { capabilities = ["update"] }')
    token = call(client, "POST", "create", body={"policies": ["eu-creator"]}).json["auth"]["client_token"]
    assert in_site(client, "eu", "POST", "create", token, {"ttl": "1h"}).status_code == 200
    assert in_site(client, "us", "POST", "create", token, {"ttl": "1h"}).status_code == 403
    assert call(client, "POST", "create", token, {"ttl": "1h"}).status_code == 403


def test_a_bad_site_name_is_refused_and_writes_nothing(app: Flask, client: FlaskClient) -> None:
    before = event_count(runtime_of(app))
    response = in_site(client, "../etc", "POST", "create", body={"ttl": "1h"})
    assert response.status_code == 400 and "invalid namespace" in response.json["errors"][0]
    assert event_count(runtime_of(app)) == before
