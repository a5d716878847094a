"""Paths no route serves are authorised before they are found unknown, as in Vault: a client
without a grant learns "permission denied" and nothing of which paths exist."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.runtimes import ROOT_TOKEN, event_count
from tests.support.vault_http import issue, write_policy
from tokenledger.web.app import runtime_of

NO_TOKEN = ["permission denied"]
DENIED = ["1 error occurred:\n\t* permission denied\n\n"]
UNSUPPORTED_PATH = ["1 error occurred:\n\t* unsupported path\n\n"]
UNSUPPORTED_OPERATION = ["1 error occurred:\n\t* unsupported operation\n\n"]
UNKNOWN = ["/v1/auth/token/nothing", "/v1/auth/token/lookup-self/x", "/v1/sys/nothing", "/v1/sys/policy/a/b"]


@pytest.mark.one_store
@pytest.mark.parametrize("url", UNKNOWN)
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE", "LIST"])
def test_an_unknown_path_without_a_token_is_refused_like_any_other(
    client: FlaskClient, url: str, method: str
) -> None:
    response = client.open(url, method=method)
    assert (response.status_code, response.json["errors"]) == (403, NO_TOKEN)


@pytest.mark.one_store
@pytest.mark.parametrize("url", UNKNOWN)
def test_an_unknown_path_is_refused_where_the_policies_grant_nothing(client: FlaskClient, url: str) -> None:
    token = issue(client, policies=["default"])
    response = client.get(url, headers={"X-Vault-Token": token})
    assert (response.status_code, response.json["errors"]) == (403, DENIED)


@pytest.mark.one_store
@pytest.mark.parametrize(("url", "message"), [
    ("/v1/auth/token/nothing", UNSUPPORTED_PATH),
    ("/v1/sys/nothing", UNSUPPORTED_PATH),
])
def test_an_unknown_path_is_a_404_where_the_policies_reach_it(
    client: FlaskClient, url: str, message: list[str]
) -> None:
    write_policy(client, "everything", 'path "*" { capabilities = ["read"] }')
    for token in (ROOT_TOKEN, issue(client, policies=["everything"])):
        response = client.get(url, headers={"X-Vault-Token": token})
        assert (response.status_code, response.json["errors"]) == (404, message)


@pytest.mark.one_store
def test_a_known_path_with_another_method_is_a_405_where_the_policies_reach_it(client: FlaskClient) -> None:
    response = client.delete("/v1/auth/token/create", headers={"X-Vault-Token": ROOT_TOKEN})
    assert (response.status_code, response.json["errors"]) == (405, UNSUPPORTED_OPERATION)
    refused = client.delete("/v1/auth/token/create", headers={"X-Vault-Token": issue(client, policies=["default"])})
    assert (refused.status_code, refused.json["errors"]) == (403, DENIED)


@pytest.mark.one_store
def test_an_unknown_path_spends_a_use_and_records_nothing_else(client: FlaskClient, app: Flask) -> None:
    write_policy(client, "everything", 'path "*" { capabilities = ["read"] }')
    token = issue(client, policies=["everything"], num_uses=2)
    before = event_count(runtime_of(app))
    assert client.get("/v1/auth/token/nothing", headers={"X-Vault-Token": token}).status_code == 404
    assert event_count(runtime_of(app)) == before + 1  # the use, as Vault spends one before routing
    assert client.get("/v1/auth/token/lookup-self", headers={"X-Vault-Token": token}).json["data"]["num_uses"] == -1
