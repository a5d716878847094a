"""Vault's token API through Flask's test client: paths, verbs, envelopes, status codes, errors."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from freezegun import freeze_time

from tests.support.runtimes import ROOT_TOKEN, event_count
from tests.support.vault_http import API, call, create, let_create_tokens
from tokenledger.web.app import runtime_of

ENVELOPE_KEYS = {"request_id", "lease_id", "renewable", "lease_duration", "data", "wrap_info",
                 "warnings", "auth", "mount_type"}


def test_create_answers_with_vaults_envelope_and_auth_block(client: FlaskClient) -> None:
    body = create(client, policies=["web", "stage"], meta={"user": "armon"}, ttl="1h", renewable=True)
    assert set(body) == ENVELOPE_KEYS
    assert body["warnings"] == ['Policy "stage" does not exist', 'Policy "web" does not exist']
    auth = body["auth"]
    assert auth["client_token"].startswith("hvs.") and len(auth["client_token"]) == 28
    assert len(auth["accessor"]) == 24
    assert auth["policies"] == auth["token_policies"] == ["default", "stage", "web"]
    assert auth["metadata"] == {"user": "armon"}
    assert (auth["lease_duration"], auth["renewable"], auth["orphan"]) == (3600, True, False)
    assert (auth["token_type"], auth["entity_id"], auth["num_uses"]) == ("service", "", 0)
    assert body["data"] is None and body["lease_duration"] == 0


def test_create_orphan_makes_an_orphan_without_sudo(client: FlaskClient) -> None:
    let_create_tokens(client)
    parent = create(client, policies=["web"])["auth"]["client_token"]
    response = call(client, "POST", "create-orphan", parent, {"policies": ["web"]})
    assert response.status_code == 200
    assert response.json["auth"]["orphan"] is True


def test_put_works_like_post(client: FlaskClient) -> None:
    assert call(client, "PUT", "create", body={"policies": ["a"]}).status_code == 200


def test_lookup_by_token_in_body_and_legacy_path(client: FlaskClient) -> None:
    token = create(client, policies=["web"], display_name="ci bot", meta={"k": "v"})["auth"]["client_token"]
    posted = call(client, "POST", "lookup", body={"token": token}).json["data"]
    legacy = call(client, "GET", f"lookup/{token}").json["data"]
    assert posted["id"] == legacy["id"] == token
    assert posted["display_name"] == "token-ci-bot"
    assert posted["meta"] == {"k": "v"}
    assert posted["path"] == "auth/token/create"
    assert posted["policies"] == ["default", "web"]
    assert posted["ttl"] in (2764799, 2764800) and posted["creation_ttl"] == 2764800
    assert posted["expire_time"].endswith("Z") and posted["issue_time"].endswith("Z")


def test_lookup_of_an_unknown_token_is_a_bad_token(client: FlaskClient) -> None:
    response = call(client, "POST", "lookup", body={"token": "hvs.nothing"})
    assert (response.status_code, response.json) == (403, {"errors": ["bad token"]})


def test_lookup_self_shows_the_initial_root_like_vault(client: FlaskClient) -> None:
    data = call(client, "GET", "lookup-self").json["data"]
    assert data["policies"] == ["root"] and data["path"] == "auth/token/root"
    assert (data["ttl"], data["expire_time"], data["orphan"], data["display_name"]) == (0, None, True, "root")
    assert "issue_time" not in data and "renewable" not in data


def test_lookup_accessor_in_body_or_url_hides_the_token(client: FlaskClient) -> None:
    accessor = create(client, policies=["web"])["auth"]["accessor"]
    by_body = call(client, "POST", "lookup-accessor", body={"accessor": accessor}).json["data"]
    by_url = call(client, "POST", f"lookup-accessor/{accessor}").json["data"]
    assert by_body["id"] == by_url["id"] == ""
    assert by_body["accessor"] == accessor


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("lookup-accessor", {"accessor": "nope"}, "1 error occurred:\n\t* invalid accessor\n\n"),
        ("lookup-accessor", {}, "1 error occurred:\n\t* missing accessor\n\n"),
        ("renew-accessor", {"accessor": "nope"}, "1 error occurred:\n\t* invalid accessor\n\n"),
        ("renew-accessor", {}, "1 error occurred:\n\t* missing accessor\n\n"),
        ("renew", {}, "missing token ID"),
        ("renew", {"token": "hvs.gone"}, "token not found"),
        ("revoke-orphan", {}, "missing token ID"),
        ("revoke-orphan", {"token": "hvs.gone"}, "token to revoke not found"),
        ("revoke-accessor", {}, "1 error occurred:\n\t* missing accessor\n\n"),
    ],
)
def test_missing_or_unknown_targets_get_vaults_400s(  # Vault collects some errors, as go-multierror words them
    client: FlaskClient, path: str, body: dict[str, str], message: str
) -> None:
    response = call(client, "POST", path, body=body)
    assert (response.status_code, response.json) == (400, {"errors": [message]})


def test_renew_by_token_url_self_and_accessor(client: FlaskClient) -> None:
    issued = create(client, policies=["web"], ttl="1h")["auth"]
    token, accessor = issued["client_token"], issued["accessor"]
    by_body = call(client, "POST", "renew", body={"token": token, "increment": "2h"})
    assert by_body.json["auth"]["lease_duration"] == 7200
    assert by_body.json["auth"]["client_token"] == token
    by_url = call(client, "POST", f"renew/{token}", body={"increment": 600})
    assert by_url.json["auth"]["lease_duration"] == 600
    by_self = call(client, "POST", "renew-self", token, {"increment": "30m"})
    assert by_self.json["auth"]["lease_duration"] == 1800
    by_accessor = call(client, "POST", "renew-accessor", body={"accessor": accessor, "increment": "45m"})
    assert by_accessor.json["auth"]["lease_duration"] == 2700
    assert by_accessor.json["auth"]["client_token"] == ""
    data = call(client, "POST", "lookup", body={"token": token}).json["data"]
    assert data["last_renewal_time"] >= data["creation_time"] and "last_renewal" in data


def test_renewal_past_the_max_is_capped_with_a_warning(client: FlaskClient) -> None:
    token = create(client, policies=["web"], ttl="1h", explicit_max_ttl="90m")["auth"]["client_token"]
    response = call(client, "POST", "renew-self", token, {"increment": "5h"})
    assert response.json["auth"]["lease_duration"] in (5399, 5400)
    assert "exceeded the effective max_ttl" in response.json["warnings"][0]


def test_root_and_non_renewable_tokens_refuse_renewal(client: FlaskClient) -> None:
    assert call(client, "POST", "renew-self").json == {"errors": ["invalid lease ID"]}
    fixed = create(client, policies=["web"], renewable=False)["auth"]["client_token"]
    response = call(client, "POST", "renew-self", fixed)
    assert (response.status_code, response.json) == (400, {"errors": ["lease is not renewable"]})


def test_revoke_answers_204_and_takes_the_subtree(client: FlaskClient) -> None:
    let_create_tokens(client)
    parent = create(client, policies=["web"])["auth"]["client_token"]
    child = create(client, parent, policies=["web"])["auth"]["client_token"]
    response = call(client, "POST", "revoke", body={"token": parent})
    assert (response.status_code, response.data) == (204, b"")
    assert call(client, "GET", "lookup-self", child).status_code == 403


def test_revoke_in_url_self_and_unknown(client: FlaskClient) -> None:
    one = create(client, policies=["web"])["auth"]["client_token"]
    two = create(client, policies=["web"])["auth"]["client_token"]
    assert call(client, "POST", f"revoke/{one}").status_code == 204
    assert call(client, "POST", "revoke-self", two).status_code == 204
    assert call(client, "POST", "revoke", body={"token": "hvs.unknown"}).status_code == 204
    assert call(client, "GET", "lookup-self", one).status_code == 403
    assert call(client, "GET", "lookup-self", two).status_code == 403


def test_revoke_accessor_and_its_unknown_warning(client: FlaskClient) -> None:
    issued = create(client, policies=["web"])["auth"]
    assert call(client, "POST", "revoke-accessor", body={"accessor": issued["accessor"]}).status_code == 204
    assert call(client, "GET", "lookup-self", issued["client_token"]).status_code == 403
    unknown = call(client, "POST", f"revoke-accessor/{issued['accessor']}")
    assert unknown.status_code == 200
    assert unknown.json["warnings"] == ["No token found with this accessor"]


def test_revoke_orphan_frees_the_children(client: FlaskClient) -> None:
    let_create_tokens(client)
    parent = create(client, policies=["web"])["auth"]["client_token"]
    child = create(client, parent, policies=["web"])["auth"]["client_token"]
    assert call(client, "POST", "revoke-orphan", body={"token": parent}).status_code == 204
    data = call(client, "GET", "lookup-self", child).json["data"]
    assert data["orphan"] is True


def test_sudo_paths_are_denied_to_ordinary_tokens(client: FlaskClient) -> None:
    token = create(client, policies=["web"])["auth"]["client_token"]
    for method, path in (("LIST", "accessors"), ("POST", "revoke-orphan")):
        response = call(client, method, path, token, {"token": token} if method == "POST" else None)
        assert response.status_code == 403
        assert "permission denied" in response.json["errors"][0]


def test_accessors_are_listed_by_list_verb_and_list_query(client: FlaskClient) -> None:
    accessor = create(client, policies=["web"])["auth"]["accessor"]
    by_verb = call(client, "LIST", "accessors").json["data"]["keys"]
    by_query = call(client, "GET", "accessors?list=true").json["data"]["keys"]
    assert accessor in by_verb and by_verb == by_query and len(by_verb) == 2
    assert call(client, "GET", "accessors").status_code == 405


def test_a_bearer_token_authenticates_too(client: FlaskClient) -> None:
    response = client.get(f"{API}/lookup-self", headers={"Authorization": f"Bearer {ROOT_TOKEN}"})
    assert response.status_code == 200 and response.json["data"]["id"] == ROOT_TOKEN


@pytest.mark.parametrize("headers", [{}, {"X-Vault-Token": "hvs.wrong"}, {"Authorization": "Basic abc"}])
def test_a_missing_or_invalid_token_is_permission_denied(client: FlaskClient, headers: dict[str, str]) -> None:
    response = client.get(f"{API}/lookup-self", headers=headers)
    assert (response.status_code, response.json) == (403, {"errors": ["permission denied"]})


def test_the_last_use_of_a_token_is_served_then_the_token_dies(client: FlaskClient) -> None:
    token = create(client, policies=["web"], num_uses=2)["auth"]["client_token"]
    assert call(client, "GET", "lookup-self", token).json["data"]["num_uses"] == 1
    assert call(client, "GET", "lookup-self", token).json["data"]["num_uses"] == -1
    assert call(client, "GET", "lookup-self", token).status_code == 403


def test_a_limited_use_token_cannot_create_children(client: FlaskClient) -> None:
    let_create_tokens(client)
    token = create(client, policies=["web"], num_uses=3)["auth"]["client_token"]
    response = call(client, "POST", "create", token, {})
    assert response.json == {"errors": ["restricted use token cannot generate child tokens"]}


def test_an_expired_token_is_refused_at_once(client: FlaskClient) -> None:
    with freeze_time("2026-03-01 12:00:00") as clock:
        token = create(client, policies=["web"], ttl="10s")["auth"]["client_token"]
        clock.tick(9)
        assert call(client, "GET", "lookup-self", token).json["data"]["ttl"] == 1
        clock.tick(1)
        assert call(client, "GET", "lookup-self", token).status_code == 403


def test_unknown_parameters_are_ignored_with_vaults_warning(client: FlaskClient) -> None:
    body = create(client, policies=["web"], colour="blue", size=3)
    assert "Endpoint ignored these unrecognized parameters: [colour size]" in body["warnings"]


def test_a_form_body_and_a_json_body_labelled_as_a_form_are_both_read(client: FlaskClient) -> None:
    form = client.post(f"{API}/create", data="policies=web&ttl=60",
                       content_type="application/x-www-form-urlencoded",
                       headers={"X-Vault-Token": ROOT_TOKEN})
    assert form.json["auth"]["lease_duration"] == 60
    curl_style = client.post(f"{API}/create", data='{"ttl": "2m"}',
                             content_type="application/x-www-form-urlencoded",
                             headers={"X-Vault-Token": ROOT_TOKEN})
    assert curl_style.json["auth"]["lease_duration"] == 120


BAD_CREATE_BODIES: list[tuple[Any, str]] = [
    ("{not json", "failed to decode JSON input: invalid character"),
    ("[1, 2]", "failed to decode JSON input: json: cannot unmarshal array into Go value of type map[string]"),
    ('"text"', "failed to decode JSON input: json: cannot unmarshal string into Go value of type map[string]"),
    ({"type": "magic"}, "invalid 'token_type' value"),
    ({"num_uses": -1}, "number of uses cannot be negative"),
    ({"num_uses": "many"}, 'field "num_uses"'),
    ({"num_uses": 1.5}, 'field "num_uses"'),
    ({"ttl": "forever"}, 'time: invalid duration "forever"'),
    ({"ttl": "-1h"}, "ttl must be positive"),
    ({"explicit_max_ttl": "1 hour"}, 'time: unknown unit " hour" in duration "1 hour"'),
    ({"period": "-5m"}, "period must be positive"),
    ({"policies": {"a": 1}}, 'field "policies"'),
    ({"policies": ["a", [3]]}, 'field "policies"'),
    ({"meta": "x"}, 'invalid key pair at index 0 in field "meta"'),
    ({"meta": {"n": [1]}}, 'field "meta"'),
    ({"renewable": "perhaps"}, 'field "renewable"'),
    ({"id": "a.b"}, "custom token ID cannot have a '.' in the value"),
    ({"entity_alias": "x"}, "'entity_alias' is only allowed in combination with token role"),
]


@pytest.mark.parametrize(("body", "message"), BAD_CREATE_BODIES)
def test_bad_input_is_a_clear_400_and_records_nothing(
    client: FlaskClient, app: Flask, body: Any, message: str
) -> None:
    before = event_count(runtime_of(app))
    kwargs = {"data": body} if isinstance(body, str) else {"json": body}
    response = client.post(f"{API}/create", headers={"X-Vault-Token": ROOT_TOKEN}, **kwargs)
    assert response.status_code == 400
    assert set(response.json) == {"errors"}
    assert message in response.json["errors"][0]
    assert event_count(runtime_of(app)) == before


def test_an_unknown_role_is_a_clear_400_and_records_nothing(client: FlaskClient, app: Flask) -> None:
    """A role is named by the path only (a body ``role_name`` is ignored, as Vault does)."""
    before = event_count(runtime_of(app))
    response = client.post(f"{API}/create/ops", headers={"X-Vault-Token": ROOT_TOKEN}, json={})
    assert response.status_code == 400
    assert response.json == {"errors": ["unknown role ops"]}
    assert event_count(runtime_of(app)) == before


def test_a_bad_increment_changes_nothing(client: FlaskClient, app: Flask) -> None:
    token = create(client, policies=["web"])["auth"]["client_token"]
    before = event_count(runtime_of(app))
    response = call(client, "POST", "renew-self", token, {"increment": "soon"})
    assert response.status_code == 400 and 'field "increment"' in response.json["errors"][0]
    assert event_count(runtime_of(app)) == before


def test_permission_denied_records_nothing(client: FlaskClient, app: Flask) -> None:
    before = event_count(runtime_of(app))
    assert call(client, "POST", "create", "hvs.forged", {"policies": ["x"]}).status_code == 403
    assert event_count(runtime_of(app)) == before


def test_unknown_paths_and_verbs_answer_like_vault(client: FlaskClient) -> None:
    missing = call(client, "GET", "bogus")
    assert missing.status_code == 404
    assert missing.json == {"errors": ["1 error occurred:\n\t* unsupported path\n\n"]}
    wrong_verb = call(client, "GET", "create")
    assert wrong_verb.status_code == 405
    assert wrong_verb.json == {"errors": ["1 error occurred:\n\t* unsupported operation\n\n"]}
    elsewhere = client.get("/v1/secret/data/x", headers={"X-Vault-Token": ROOT_TOKEN})
    assert elsewhere.status_code == 404
    assert elsewhere.json == {"errors": ['no handler for route "secret/data/x". route entry not found.']}
    anonymous = client.get("/v1/secret/data/x")  # Vault asks for a token before it routes
    assert (anonymous.status_code, anonymous.json) == (403, {"errors": ["permission denied"]})


def test_response_wrapping_is_refused_rather_than_ignored(client: FlaskClient, app: Flask) -> None:
    before = event_count(runtime_of(app))
    response = client.post(f"{API}/create", json={}, headers={"X-Vault-Token": ROOT_TOKEN,
                                                              "X-Vault-Wrap-TTL": "60s"})
    assert (response.status_code, response.json) == (
        400, {"errors": ["response wrapping is not supported by this server"]}
    )
    assert event_count(runtime_of(app)) == before


def test_writes_carry_their_log_position_and_reads_wait_for_one(client: FlaskClient, app: Flask) -> None:
    created = call(client, "POST", "create", body={"policies": ["web"]})
    position = int(created.headers["X-Vault-Index"])
    assert position == event_count(runtime_of(app))
    assert "X-Vault-Index" not in call(client, "GET", "lookup-self").headers
    caught_up = client.get(f"{API}/lookup-self",
                           headers={"X-Vault-Token": ROOT_TOKEN, "X-Vault-Index": str(position)})
    assert caught_up.status_code == 200
    ahead = client.get(f"{API}/lookup-self",
                       headers={"X-Vault-Token": ROOT_TOKEN, "X-Vault-Index": str(position + 1000)})
    assert (ahead.status_code, ahead.json) == (412, {"errors": ["required index state not present"]})
    garbled = client.get(f"{API}/lookup-self", headers={"X-Vault-Token": ROOT_TOKEN, "X-Vault-Index": "x"})
    assert garbled.status_code == 400


def test_creating_against_a_role_that_does_not_exist_is_refused(client: FlaskClient, app: Flask) -> None:
    before = event_count(runtime_of(app))
    response = call(client, "POST", "create/ops", body={"policies": ["web"]})
    assert (response.status_code, response.json) == (400, {"errors": ["unknown role ops"]})
    assert event_count(runtime_of(app)) == before


@pytest.mark.parametrize(("method", "path", "body"), [
    ("PUT", "/v1/sys/policy/%00", {"policy": 'path "a" { capabilities = ["read"] }'}),
    ("POST", "/v1/auth/token/create", {"display_name": "a\u0000b"}),
    ("POST", "/v1/auth/token/lookup-accessor/%00", None),
    ("GET", "/v1/auth/token/roles/r?as_of=%00", None),
])
def test_nul_characters_are_refused_and_write_nothing(app: Flask, client: FlaskClient, method: str, path: str,
                                                      body: Any) -> None:
    before = event_count(runtime_of(app))
    response = client.open(path, method=method, json=body, headers={"X-Vault-Token": ROOT_TOKEN})
    assert (response.status_code, response.json) == (400, {"errors": ["NUL characters are not allowed in requests"]})
    assert event_count(runtime_of(app)) == before


def test_nul_characters_in_a_chunked_body_are_refused(app: Flask, client: FlaskClient) -> None:
    """A body sent in chunks declares no length, and is read all the same."""
    before = event_count(runtime_of(app))
    response = client.post(f"{API}/create", input_stream=io.BytesIO(b'{"display_name": "a\\u0000b"}'),
                           headers={"X-Vault-Token": ROOT_TOKEN, "Transfer-Encoding": "chunked",
                                    "Content-Type": "application/json"},
                           environ_overrides={"wsgi.input_terminated": True})
    assert (response.status_code, response.json) == (400, {"errors": ["NUL characters are not allowed in requests"]})
    assert event_count(runtime_of(app)) == before
