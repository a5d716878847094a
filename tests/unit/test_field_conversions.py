"""Field values converted as Vault's framework converts them (``sdk/framework/field_data.go``), each
rule checked against OpenBao 2.7: roles' comma string slices, create's string slice and key pairs,
the role write's errors without the framework's prefix, a token that is not a string, and the
JSON decoder's leniency with bytes that are not UTF-8."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from marshmallow import ValidationError

from tests.support.vault_http import call, create
from tokenledger.web.fields import CommaStringList, KeyValuePairs, StringList, go_value
from tokenledger.web.request_input import JsonNumber


def role_errors(client: FlaskClient, body: dict[str, Any]) -> list[str]:
    response = call(client, "POST", "roles/conv", body=body)
    assert response.status_code == 400, response.json
    messages: list[str] = response.json["errors"]
    return messages


def written_role(client: FlaskClient, body: dict[str, Any]) -> dict[str, Any]:
    response = call(client, "POST", "roles/conv", body=body)
    assert response.status_code == 204, response.json
    data: dict[str, Any] = call(client, "GET", "roles/conv").json["data"]
    return data


# -- the field types, on their own ---------------------------------------------------------------


@pytest.mark.parametrize(("value", "printed"), [
    ({"b": [1, JsonNumber("1.5")], "a": None}, "map[a:<nil> b:[1 1.5]]"), (True, "true"), ("x", "x"),
])
def test_values_are_printed_as_gos_v_verb_prints_them(value: Any, printed: str) -> None:
    assert go_value(value) == printed


@pytest.mark.parametrize(("value", "names"), [
    ("a, b,,c", ("a", "b", "c")), (JsonNumber("1.5"), ("1.5",)), (-1, ("-1",)), (True, ("1",)),
    (False, ("0",)), (["a", 2, None, " b "], ("a", "2", "b")), ({}, ()), ("", ()),
])
def test_a_comma_string_slice_takes_numbers_and_booleans_as_text(value: Any, names: tuple[str, ...]) -> None:
    assert CommaStringList().deserialize(value) == names


def test_a_comma_string_slice_refuses_an_object_in_the_older_decoders_words() -> None:
    with pytest.raises(ValidationError) as raised:
        CommaStringList().deserialize({"a": 1})
    assert raised.value.messages == [
        "1 error(s) decoding:\n\n* '[0]' expected type 'string', got unconvertible type "
        "'map[string]interface {}', value: 'map[a:1]'"]


@pytest.mark.parametrize(("value", "names"), [
    ("a,b", ("a,b",)), (JsonNumber("1.5"), ("1.5",)), (True, ("1",)), ([1, " x "], ("1", "x")), ("", ()),
])
def test_a_string_slice_keeps_a_string_whole(value: Any, names: tuple[str, ...]) -> None:
    assert StringList().deserialize(value) == names


def test_a_string_slice_refuses_an_object_in_the_newer_decoders_words() -> None:
    with pytest.raises(ValidationError) as raised:
        StringList().deserialize({"a": 1})
    assert raised.value.messages == [
        "decoding failed due to the following error(s):\n\n'[0]' expected type 'string', got unconvertible "
        "type 'map[string]interface {}'"]


@pytest.mark.parametrize(("value", "pairs"), [
    ({"a": 1, "b": True, "c": JsonNumber("1.5"), "d": None}, {"a": "1", "b": "1", "c": "1.5", "d": ""}),
    ("a=b", {"a": "b"}), (["a=b", "c=d=e"], {"a": "b", "c": "d=e"}), ([], {}), ({}, {}),
])
def test_key_pairs_vault_takes(value: Any, pairs: dict[str, str]) -> None:
    assert KeyValuePairs().deserialize(value, "meta") == pairs


@pytest.mark.parametrize("value", ["x", "", "=x", ["x"], JsonNumber("1.5"), True, 0])
def test_key_pairs_without_an_equals_sign_or_key_are_refused(value: Any) -> None:
    with pytest.raises(ValidationError) as raised:
        KeyValuePairs().deserialize(value, "meta")
    assert raised.value.messages == ['invalid key pair at index 0 in field "meta"']


# -- role writes -----------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "message"), [
    ({"period": "forever"}, 'error converting input for field "period": time: invalid duration "forever"'),
    ({"orphan": "yes"}, "error converting input for field \"orphan\": '' cannot parse value as 'bool': "
                        "strconv.ParseBool: invalid syntax"),
    ({"explicit_max_ttl": -1}, "error converting input for field \"explicit_max_ttl\": cannot provide "
                               "negative value '-1'"),
])
def test_a_role_writes_conversion_errors_have_no_field_validation_prefix(
    client: FlaskClient, body: dict[str, Any], message: str
) -> None:
    assert role_errors(client, body) == [message]


def test_create_keeps_the_field_validation_prefix(client: FlaskClient) -> None:
    response = call(client, "POST", "create", body={"period": ["x"]})
    assert response.json["errors"][0].startswith('Field validation failed: error converting input for field')


@pytest.mark.parametrize(("value", "policies"), [(1.5, ["1.5"]), (True, ["1"]), (-1, ["-1"]), ([7, "b"], ["7", "b"])])
def test_a_roles_policies_take_numbers_and_booleans_as_names(
    client: FlaskClient, value: Any, policies: list[str]
) -> None:
    data = written_role(client, {"allowed_policies": value, "disallowed_policies": value})
    assert (data["allowed_policies"], data["disallowed_policies"]) == (policies, policies)


def test_a_number_as_a_roles_cidr_is_an_address_that_does_not_parse(client: FlaskClient) -> None:
    assert role_errors(client, {"token_bound_cidrs": 1.5}) == [
        'error parsing role fields: error parsing address "1.5": '
        'Unable to convert "1.5" to an IPv4 or IPv6 address, or a UNIX Socket']


def test_a_null_token_type_is_refused_on_a_role(client: FlaskClient) -> None:
    assert role_errors(client, {"token_type": None}) == ["Invalid 'token_type' value: null"]


# -- create ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "policies"), [
    (1.5, ["1.5", "default"]), (True, ["1", "default"]), ("a,b", ["a,b", "default"]), ([1, "x"], ["1", "default", "x"]),
])
def test_creates_policies_are_a_string_slice(client: FlaskClient, value: Any, policies: list[str]) -> None:
    assert create(client, policies=value)["auth"]["policies"] == policies


def test_the_dialect_still_splits_a_comma_delimited_policies_string(client: FlaskClient) -> None:
    auth = create(client, policies="a,b", **{"display-name": "x"})["auth"]
    assert auth["policies"] == ["a", "b", "default"]


@pytest.mark.parametrize(("value", "meta"), [
    ({"a": 1, "b": True, "c": None}, {"a": "1", "b": "1", "c": ""}), ("a=b", {"a": "b"}),
    (["a=b", "c=d=e"], {"a": "b", "c": "d=e"}),
])
def test_creates_meta_is_key_pairs(client: FlaskClient, value: Any, meta: dict[str, str]) -> None:
    assert create(client, meta=value)["auth"]["metadata"] == meta


@pytest.mark.parametrize(("value", "message"), [
    ("x", 'invalid key pair at index 0 in field "meta"'),
    ({"a": [1]}, "decoding failed due to the following error(s):\n\n'[0]' expected type 'string', got "
                 "unconvertible type 'map[string]interface {}'"),
])
def test_meta_vault_refuses(client: FlaskClient, value: Any, message: str) -> None:
    response = call(client, "POST", "create", body={"meta": value})
    assert (response.status_code, response.json["errors"]) == (
        400, [f'Field validation failed: error converting input for field "meta": {message}'])


# -- a token that is not a string ------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["lookup", "renew", "revoke", "revoke-orphan"])
@pytest.mark.parametrize("value", [None, 1.5, True, ["a"], {"a": 1}, 0])
def test_a_token_that_is_not_a_string_is_an_invalid_token(client: FlaskClient, endpoint: str, value: Any) -> None:
    response = call(client, "POST", endpoint, body={"token": value})
    assert (response.status_code, response.json) == (403, {"errors": ["invalid token"]})


def test_an_empty_token_looks_up_the_caller(client: FlaskClient) -> None:
    response = call(client, "POST", "lookup", body={"token": ""})
    assert response.status_code == 200 and response.json["data"]["policies"] == ["root"]


# -- capabilities and the body ---------------------------------------------------------------


@pytest.mark.parametrize("field", ["path", "paths"])
def test_capabilities_take_a_number_as_a_path(client: FlaskClient, field: str) -> None:
    response = call(client, "POST", "sys/capabilities-self", body={field: 1.5})
    assert response.status_code == 200 and response.json["data"]["1.5"] == ["root"]


@pytest.mark.parametrize("raw", [b'{"ttl": "1h",}', b'{"a": [1,]}', b'{"a": 1 ,  }'])
def test_a_trailing_comma_is_named(client: FlaskClient, raw: bytes) -> None:
    response = call(client, "POST", "create", data=raw, content_type="application/json")
    assert response.json == {
        "errors": ["failed to decode JSON input: invalid character ',' looking for beginning of value"]}


def test_bytes_that_are_not_utf8_are_replacement_characters(client: FlaskClient) -> None:
    response = call(client, "POST", "create", data=b'{"display_name": "a\xff\xe2\x82b"}',
                    content_type="application/json")
    assert response.status_code == 200
    lookup = call(client, "POST", "lookup", body={"token": response.json["auth"]["client_token"]})
    assert lookup.json["data"]["display_name"] == "token-a---b"  # each U+FFFD sanitized, as Vault does
