"""Request bodies read as Vault's framework reads them (each answer checked against OpenBao 2.7):
null is not given, unknown fields are warned about, Vault's conversions and error texts."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.vault_http import call

TOKEN_BODY = {"ttl": "1h", "policies": ["default"]}


def created(client: FlaskClient, **extra: Any) -> dict[str, Any]:
    response = call(client, "POST", "create", body={**TOKEN_BODY, **extra})
    assert response.status_code == 200, response.json
    body: dict[str, Any] = response.json
    return body


def errors(client: FlaskClient, endpoint: str, body: Any) -> list[str]:
    response = call(client, "POST", endpoint, body=body)
    assert response.status_code == 400, response.json
    messages: list[str] = response.json["errors"]
    return messages


def test_hvac_renew_token_sends_a_null_increment(client: FlaskClient) -> None:
    token = created(client)["auth"]["client_token"]
    response = call(client, "POST", "renew", body={"token": token, "increment": None})
    assert response.status_code == 200 and response.json["auth"]["lease_duration"] == 3600


@pytest.mark.parametrize("field", ["ttl", "period", "num_uses", "display_name", "explicit_max_ttl", "policies",
                                   "meta", "no_parent", "no_default_policy", "renewable", "id", "type"])
def test_a_null_parameter_is_not_given(client: FlaskClient, field: str) -> None:
    body = created(client, **{field: None})
    assert body["warnings"] is None and body["auth"]["renewable"] is True


def test_unknown_fields_are_warned_about_sorted_after_the_endpoints_own_warnings(client: FlaskClient) -> None:
    body = created(client, zeta=1, alpha=None, Beta="x", policies=["nope"])
    assert body["warnings"] == ['Policy "nope" does not exist',
                                "Endpoint ignored these unrecognized parameters: [Beta alpha zeta]"]


def test_an_answer_without_a_body_names_no_ignored_field(client: FlaskClient) -> None:
    token = created(client)["auth"]["client_token"]
    assert call(client, "POST", "revoke", body={"token": token, "foo": 1}).status_code == 204


def test_lookup_self_warns_about_unknown_fields_too(client: FlaskClient) -> None:
    response = call(client, "POST", "lookup-self", body={"foo": 1, "token": "unused"})
    assert response.json["warnings"] == ["Endpoint ignored these unrecognized parameters: [foo]"]


def test_the_dialects_metadata_alone_is_an_unknown_field(client: FlaskClient) -> None:
    body = created(client, metadata={"a": "b"})
    assert body["auth"]["metadata"] is None
    assert body["warnings"] == ["Endpoint ignored these unrecognized parameters: [metadata]"]


def test_the_dialect_still_takes_metadata_years_and_days(client: FlaskClient) -> None:
    response = call(client, "POST", "create", body={"num-uses": 2, "metadata": {"a": "b"}, "ttl": "1d12h"})
    assert response.status_code == 200 and response.json["auth"]["metadata"] == {"a": "b"}
    assert response.json["auth"]["lease_duration"] == 129_600


@pytest.mark.parametrize(("value", "message"), [
    (1.5, 'time: missing unit in duration "1.5"'),
    (1e3, 'time: missing unit in duration "1000.0"'),
    ("1e3", 'time: unknown unit "e" in duration "1e3"'),
    ("1y", 'time: unknown unit "y" in duration "1y"'),
    ("1d12h", 'time: unknown unit "d" in duration "1d12h"'),
    (" 60", 'time: invalid duration " 60"'),
])
def test_durations_are_go_durations_outside_the_dialect(client: FlaskClient, value: Any, message: str) -> None:
    assert errors(client, "create", {"ttl": value}) == [message]
    token = created(client)["auth"]["client_token"]
    assert errors(client, "renew", {"token": token, "increment": value}) == [
        f'Field validation failed: error converting input for field "increment": {message}']


@pytest.mark.parametrize(("value", "seconds"), [("3600", 3600), (3600, 3600), ("2d", 172_800), ("1.5h", 5400),
                                                (True, 1)])
def test_durations_vault_takes(client: FlaskClient, value: Any, seconds: int) -> None:
    token = created(client, explicit_max_ttl="768h")["auth"]["client_token"]
    body = created(client, ttl=value)
    assert body["auth"]["lease_duration"] == seconds
    if value is not True:
        response = call(client, "POST", "renew", body={"token": token, "increment": value})
        assert response.json["auth"]["lease_duration"] == seconds


def test_a_negative_increment_is_a_conversion_error(client: FlaskClient) -> None:
    token = created(client)["auth"]["client_token"]
    assert errors(client, "renew", {"token": token, "increment": "-5s"}) == [
        "Field validation failed: error converting input for field \"increment\": cannot provide negative value '-5'"]


@pytest.mark.parametrize(("value", "uses"), [("10", 10), (True, 1), ("0x10", 16), ("", 0), ("010", 8)])
def test_use_counts_vault_takes(client: FlaskClient, value: Any, uses: int) -> None:
    assert created(client, num_uses=value)["auth"]["num_uses"] == uses


@pytest.mark.parametrize("value", [1.5, "1.5", 10.0, " 10", "abc", "1e3"])
def test_use_counts_vault_refuses(client: FlaskClient, value: Any) -> None:
    assert errors(client, "create", {"num_uses": value}) == [
        'Field validation failed: error converting input for field "num_uses": '
        "'' cannot parse value as 'int': strconv.ParseInt: invalid syntax"]


@pytest.mark.parametrize(("value", "orphan"), [("true", True), ("1", True), ("t", True), (1, True), ("f", False),
                                               (0, False), ("", False)])
def test_booleans_vault_takes(client: FlaskClient, value: Any, orphan: bool) -> None:
    assert created(client, no_parent=value)["auth"]["orphan"] is orphan


@pytest.mark.parametrize("value", ["yes", "no", 2, 1.5])
def test_booleans_vault_refuses(client: FlaskClient, value: Any) -> None:
    assert errors(client, "create", {"no_parent": value}) == [
        'Field validation failed: error converting input for field "no_parent": '
        "'' cannot parse value as 'bool': strconv.ParseBool: invalid syntax"]


def test_a_list_is_no_string(client: FlaskClient) -> None:
    assert errors(client, "create", {"display_name": ["a"]}) == [
        'Field validation failed: error converting input for field "display_name": '
        "'' expected type 'string', got unconvertible type '[]interface {}'"]


@pytest.mark.parametrize(("raw", "message"), [
    ("{", "unexpected EOF"),
    ('{"ttl": "1h"', "unexpected EOF"),
    ("[]", "json: cannot unmarshal array into Go value of type map[string]interface {}"),
    ('"x"', "json: cannot unmarshal string into Go value of type map[string]interface {}"),
    ("5", "json: cannot unmarshal number into Go value of type map[string]interface {}"),
    ('{"ttl": "1h"} x', "invalid character 'x' looking for beginning of value"),
    ("{'a':1}", "invalid character '\\'' looking for beginning of object key string"),
    ('{"a" 1}', "invalid character '1' after object key"),
    ("\ufeff{}", "invalid character '\\ufeff' looking for beginning of value"),
])
def test_malformed_json_in_vaults_words(client: FlaskClient, raw: str, message: str) -> None:
    response = call(client, "POST", "create", data=raw.encode(), content_type="application/json")
    assert (response.status_code, response.json) == (400, {"errors": [f"failed to decode JSON input: {message}"]})


def test_a_null_body_is_no_parameters(client: FlaskClient) -> None:
    response = call(client, "POST", "create", data=b"null", content_type="application/json")
    assert response.status_code == 200
