"""Finding 5 of issue 13 and the body cap: malformed input is a 400 (an oversized body a 413) in
Vault's ``{"errors": [...]}`` shape, never a 500, and records nothing."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support.runtimes import ROOT_TOKEN, change_count, event_count
from tokenledger.web.app import create_app, runtime_of
from tokenledger.wiring.settings import Settings

HEADERS = {"X-Vault-Token": ROOT_TOKEN}
SURROGATE = '"\\ud800"'  # JSON's escape for a lone high surrogate, as sent on the wire
FORM = "application/x-www-form-urlencoded"
SMALL_LIMIT = 4096
VAULTS_DEFAULT_LIMIT = 32 * 1024 * 1024  # Vault's ``max_request_size``
TOO_LARGE = {"errors": ["http: request body too large"]}

# (method, path, JSON body with a lone surrogate somewhere: value, key, nested value)
SURROGATE_BODIES = [
    ("POST", "/v1/auth/token/lookup", f'{{"token": {SURROGATE}}}'),
    ("POST", "/v1/auth/token/revoke", f'{{"token": {SURROGATE}}}'),
    ("POST", "/v1/auth/token/revoke-orphan", f'{{"token": {SURROGATE}}}'),
    ("POST", "/v1/auth/token/renew", f'{{"token": {SURROGATE}, "increment": "1h"}}'),
    ("POST", "/v1/auth/token/lookup-accessor", f'{{"accessor": {SURROGATE}}}'),
    ("POST", "/v1/auth/token/revoke-accessor", f'{{"accessor": {SURROGATE}}}'),
    ("POST", "/v1/auth/token/renew-accessor", f'{{"accessor": {SURROGATE}}}'),
    ("POST", "/v1/sys/capabilities", f'{{"token": {SURROGATE}, "paths": ["sys/policy/a"]}}'),
    ("POST", "/v1/sys/capabilities-self", f'{{"paths": [{SURROGATE}]}}'),
    ("POST", "/v1/sys/capabilities-accessor", f'{{"accessor": {SURROGATE}, "paths": ["a"]}}'),
    ("POST", "/v1/auth/token/create", f'{{"meta": {{"team": {SURROGATE}}}}}'),
    ("POST", "/v1/auth/token/create", f'{{"meta": {{{SURROGATE}: "x"}}}}'),
    ("POST", "/v1/auth/token/create", f'{{"policies": ["web", {SURROGATE}]}}'),
    ("POST", "/v1/auth/token/create", f'{{"id": {SURROGATE}}}'),
    ("POST", "/v1/auth/token/create", f'{{"display_name": {SURROGATE}}}'),
    ("POST", "/v1/auth/token/create", f'{{{SURROGATE}: "an unknown key"}}'),
    ("POST", "/v1/auth/token/create", f'{{"unknown": {{"deep": [[{SURROGATE}]]}}}}'),
    ("POST", "/v1/auth/token/create-orphan", f'{{"meta": {{"a": {SURROGATE}}}}}'),
    ("PUT", "/v1/sys/policy/web", f'{{"policy": {SURROGATE}}}'),
    ("PUT", "/v1/sys/policies/acl/web", f'{{"policy": {SURROGATE}}}'),
    ("POST", "/v1/auth/token/roles/ci", f'{{"allowed_policies": [{SURROGATE}]}}'),
    ("POST", "/v1/auth/token/roles/ci", f'{{"path_suffix": {SURROGATE}}}'),
    ("POST", "/v1/sys/leases/revoke-prefix/auth/token/create", f'{{"sync": {SURROGATE}}}'),
]


def send(client: FlaskClient, method: str, path: str, body: str | bytes,
         content_type: str = "application/json") -> TestResponse:
    return client.open(path, method=method, data=body, headers=HEADERS, content_type=content_type)


def assert_refused(client: FlaskClient, app: Flask, response_of: object, status: int = 400) -> list[str]:
    """The request made by ``response_of()`` is answered ``status`` in Vault's error shape and
    records no event."""
    before = event_count(runtime_of(app))
    response = response_of()  # type: ignore[operator]
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.json
    assert isinstance(body, dict) and list(body) == ["errors"] and body["errors"]
    assert event_count(runtime_of(app)) == before
    errors: list[str] = body["errors"]
    return errors


@pytest.mark.parametrize(("method", "path", "body"), SURROGATE_BODIES)
def test_a_lone_surrogate_anywhere_in_a_body_is_a_400(
        client: FlaskClient, app: Flask, method: str, path: str, body: str) -> None:
    errors = assert_refused(client, app, lambda: send(client, method, path, body))
    assert errors == ["error parsing JSON"]


def test_a_surrogate_pair_is_one_character_and_taken(client: FlaskClient) -> None:
    response = send(client, "POST", "/v1/auth/token/create", '{"meta": {"mood": "\\ud83d\\ude00"}}')
    assert response.status_code == 200
    assert response.get_json()["auth"]["metadata"] == {"mood": "\N{GRINNING FACE}"}


@pytest.mark.parametrize("body", [
    "[" * 1000 + "]" * 1000,
    '{"a":' * 1000 + "1" + "}" * 1000,
    '{"meta": ' + '{"a":' * 600 + '"x"' + "}" * 600 + "}",  # parses, but nests deeper than Vault's 500
])
def test_json_nested_too_deep_is_a_400(client: FlaskClient, app: Flask, body: str) -> None:
    errors = assert_refused(client, app, lambda: send(client, "POST", "/v1/auth/token/create", body))
    assert errors == ["error parsing JSON"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_json_without_a_finite_number_literal_is_a_400(client: FlaskClient, app: Flask, literal: str) -> None:
    """Go's decoder knows no ``NaN`` or ``Infinity``; Python's does. An unknown parameter would
    otherwise be ignored with a warning, and the token created."""
    body = f'{{"policies": ["web"], "unknown": {literal}}}'
    errors = assert_refused(client, app, lambda: send(client, "POST", "/v1/auth/token/create", body))
    assert errors == ["error parsing JSON"]


@pytest.mark.parametrize(("method", "path", "form"), [
    ("POST", "/v1/auth/token/lookup-accessor", "accessor=a%00b"),
    ("POST", "/v1/auth/token/revoke-accessor", "accessor=a%00b"),
    ("POST", "/v1/auth/token/lookup", "token=hvs.a%00b"),
    ("PUT", "/v1/sys/policy/web", 'policy=path "a%00" { capabilities = ["read"] }'),
    ("PUT", "/v1/sys/policy/web", "policy=%23%00"),
    ("POST", "/v1/auth/token/create", "display_name=a%00b"),
    ("POST", "/v1/auth/token/create", "na%00me=x"),
])
def test_a_nul_in_a_form_value_is_refused_once_decoded(
        client: FlaskClient, app: Flask, method: str, path: str, form: str) -> None:
    """The raw bytes hold no NUL, only ``%00``: on PostgreSQL this reached the store (a 500)."""
    errors = assert_refused(client, app, lambda: send(client, method, path, form, FORM))
    assert errors == ["NUL characters are not allowed in requests"]


def test_a_percent_encoded_percent_sign_is_no_nul(client: FlaskClient) -> None:
    response = send(client, "POST", "/v1/auth/token/create", "display_name=a%2500b", FORM)
    assert response.status_code == 200
    assert response.get_json()["auth"]["accessor"]


@pytest.mark.parametrize(("method", "path", "body", "content_type"), [
    ("GET", "/v1/auth/token/lookup/%ff%fe", None, None),
    ("GET", "/v1/auth/token/lookup/%ed%a0%80", None, None),
    ("GET", "/v1/auth/token/accessors?list=true&after=%ed%a0%80", None, None),
    ("GET", "/v1/sys/policy/%ed%a0%80", None, None),
    ("POST", "/v1/auth/token/lookup-accessor/%ed%a0%80", None, None),
    ("POST", "/v1/auth/token/lookup-accessor", "accessor=%ed%a0%80", FORM),
    ("POST", "/v1/auth/token/lookup", b'{"token": "\xed\xa0\x80"}', "application/json"),
    ("POST", "/v1/auth/token/lookup", b"token=\xff\xfe", FORM),
])
def test_invalid_utf8_in_a_path_query_or_form_is_no_500(
        client: FlaskClient, app: Flask, method: str, path: str, body: bytes | str | None,
        content_type: str | None) -> None:
    """A surrogate's UTF-8 bytes are invalid UTF-8: decoded as U+FFFD, or refused, never a 500."""
    before = change_count(runtime_of(app))  # a served read may record the root token's use
    response = client.open(path, method=method, data=body, headers=HEADERS, content_type=content_type)
    assert response.status_code < 500, response.get_data(as_text=True)
    assert change_count(runtime_of(app)) == before


# -- the body cap ----------------------------------------------------------------------------------


class Unreadable(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def readable(self) -> bool:
        return True


    def readinto(self, buffer: object) -> int:
        raise AssertionError("the body was read")


def test_the_default_cap_is_vaults_32_mib_and_a_longer_declared_body_is_not_read(client: FlaskClient) -> None:
    assert Settings().max_request_size == Settings.from_env({}).max_request_size == VAULTS_DEFAULT_LIMIT
    response = client.post("/v1/auth/token/lookup", headers=HEADERS, content_type="application/json",
                           environ_overrides={"wsgi.input": Unreadable(),
                                              "CONTENT_LENGTH": str(VAULTS_DEFAULT_LIMIT + 1)})
    assert (response.status_code, response.json) == (413, TOO_LARGE)


def test_a_body_within_the_cap_is_read(tmp_path: Path) -> None:
    app = create_app(Settings(store=str(tmp_path / "ledger.db"), max_request_size=SMALL_LIMIT))
    runtime_of(app).service.initialise(ROOT_TOKEN)
    padding = "x" * (SMALL_LIMIT - 100)
    body = json.dumps({"policies": ["web"], "meta": {"pad": padding}})
    try:
        client = app.test_client()
        assert send(client, "POST", "/v1/auth/token/create", body).status_code == 200
        over = json.dumps({"policies": ["web"], "meta": {"pad": padding + "x" * 200}})
        response = send(client, "POST", "/v1/auth/token/create", over)
        assert (response.status_code, response.json) == (413, TOO_LARGE)
    finally:
        runtime_of(app).close()


@pytest.mark.parametrize(("value", "expected"), [("1024", 1024), ("0", 0), ("-1", -1)])
def test_max_request_size_is_read_from_the_environment(value: str, expected: int) -> None:
    assert Settings.from_env({"TOKENLEDGER_MAX_REQUEST_SIZE": value}).max_request_size == expected


@pytest.mark.parametrize(("setting", "limit"), [(0, VAULTS_DEFAULT_LIMIT), (-1, None)])
def test_zero_means_the_default_and_a_negative_size_no_cap_as_in_vault(setting: int, limit: int | None) -> None:
    from tokenledger.web.request_input import body_limit

    assert body_limit(setting) == limit
