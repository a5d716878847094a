"""What Vault's HTTP layer and router answer, before any handler, to a PATCH (its Content-Type is
checked before the token), an OPTIONS (CORS off: sent on with no operation, so the ACL refuses it
to all but root, and no path serves it), a GET of ``lookup-accessor`` and the mount points
themselves (``auth/token/``, ``auth/token``)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.support.runtimes import ROOT_TOKEN
from tests.support.vault_http import call, issue
from tokenledger.web.media_type import MediaTypeError, parse_media_type

DENIED = "1 error occurred:\n\t* permission denied\n\n"
UNSUPPORTED_PATH = "1 error occurred:\n\t* unsupported path\n\n"
UNSUPPORTED_OPERATION = "1 error occurred:\n\t* unsupported operation\n\n"
MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}


@pytest.mark.parametrize(("header", "expected"), [
    ("application/merge-patch+json", "application/merge-patch+json"),
    (" Application/Merge-Patch+JSON ; charset=utf-8", "application/merge-patch+json"),
    ("application/json;", "application/json"),
    ('text/plain; a="x;y"; b=c', "text/plain"),
    ("foo", "foo"),
])
def test_media_types_go_accepts(header: str, expected: str) -> None:
    assert parse_media_type(header) == expected


@pytest.mark.parametrize(("header", "message"), [
    ("", "mime: no media type"),
    ("; charset=utf-8", "mime: no media type"),
    ("a b", "mime: expected slash after first token"),
    ("text/", "mime: expected token after slash"),
    ("text/plain x", "mime: unexpected content after media subtype"),
    ("text/plain; charset", "mime: invalid media parameter"),
    ('text/plain; a="open', "mime: invalid media parameter"),
    ("text/plain; a=1; A=2", "mime: duplicate parameter name"),
])
def test_media_types_go_refuses_with_its_words(header: str, message: str) -> None:
    with pytest.raises(MediaTypeError, match=f"^{message}$"):
        parse_media_type(header)


def test_a_patch_without_merge_patch_is_refused_before_the_token(client: FlaskClient) -> None:
    missing = call(client, "PATCH", "create", token="")
    assert (missing.status_code, missing.json) == (400, {"errors": ["mime: no media type"]})
    wrong = call(client, "PATCH", "create", token="", headers={"Content-Type": "application/json"})
    assert (wrong.status_code, wrong.json) == (415, {"errors": [
        "PATCH requires Content-Type of application/merge-patch+json, provided application/json"]})
    unknown = client.patch("/v1/nope/x", headers={"Content-Type": "text/plain"})
    assert unknown.status_code == 415


def test_a_merge_patch_is_parsed_then_checked_then_unsupported(client: FlaskClient) -> None:
    bad_json = client.patch("/v1/auth/token/create", data=b"{", headers={**MERGE_PATCH, "X-Vault-Token": ROOT_TOKEN})
    assert bad_json.status_code == 400
    assert call(client, "PATCH", "create", token="", headers=MERGE_PATCH).status_code == 403
    limited = issue(client, policies=["nothing"])
    assert call(client, "PATCH", "create", token=limited, headers=MERGE_PATCH).json == {"errors": [DENIED]}
    root = call(client, "PATCH", "create", headers=MERGE_PATCH)
    assert (root.status_code, root.json) == (405, {"errors": [UNSUPPORTED_OPERATION]})
    slash = call(client, "PATCH", "roles/", headers=MERGE_PATCH)
    assert (slash.status_code, slash.json) == (400, {"errors": ["cannot write to a path ending in '/'"]})


def test_options_is_an_operation_only_root_passes_and_no_path_serves(client: FlaskClient) -> None:
    root = call(client, "OPTIONS", "lookup-self")
    assert (root.status_code, root.json) == (405, {"errors": [UNSUPPORTED_OPERATION]})
    assert "Allow" not in root.headers
    limited = issue(client, policies=["nothing"])  # the default policy lets it read lookup-self: not OPTIONS it
    assert call(client, "OPTIONS", "lookup-self", token=limited).json == {"errors": [DENIED]}
    assert call(client, "OPTIONS", "lookup-self", token="").status_code == 403
    assert call(client, "OPTIONS", "sys/policy").status_code == 405
    unknown = call(client, "OPTIONS", "nope")
    assert (unknown.status_code, unknown.json) == (404, {"errors": [UNSUPPORTED_PATH]})


def test_lookup_accessor_is_read_only_with_the_accessor_in_the_path(client: FlaskClient) -> None:
    accessor = call(client, "POST", "create", body={}).json["auth"]["accessor"]
    assert call(client, "GET", "lookup-accessor").status_code == 405
    assert call(client, "GET", f"lookup-accessor/{accessor}").json["data"]["accessor"] == accessor
    assert call(client, "POST", "lookup-accessor", body={"accessor": accessor}).status_code == 200


def test_the_mount_point_is_a_path_with_no_handler(client: FlaskClient) -> None:
    write = call(client, "POST", "", body={})
    assert (write.status_code, write.json) == (400, {"errors": ["cannot write to a path ending in '/'"]})
    assert call(client, "GET", "", token="").json == {"errors": ["permission denied"]}
    assert call(client, "GET", "", token=issue(client, policies=["nothing"])).json == {"errors": [DENIED]}
    for path in ("/v1/auth/token/", "/v1/auth/token", "/v1/sys/", "/v1/sys"):
        for method in ("GET", "POST"):
            response = client.open(path, method=method, json={}, headers={"X-Vault-Token": ROOT_TOKEN})
            expected = (400, "cannot write to a path ending in '/'") if method == "POST" and path.endswith("/") \
                else (404, UNSUPPORTED_PATH)
            assert (response.status_code, response.json) == (expected[0], {"errors": [expected[1]]}), (method, path)
