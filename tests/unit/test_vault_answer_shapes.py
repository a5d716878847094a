"""The keys, JSON types and values of Vault's answers, where they depend on the kind of token or
the endpoint: each case was compared with a real OpenBao dev server (``bao server -dev``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from flask.testing import FlaskClient

from tests.support.runtimes import ROOT_TOKEN, accept_frozen_time
from tests.support.vault_http import call, create, write_policy
from tokenledger.application.lookup_format import lookup_ttl
from tokenledger.domain.token_view import TokenType, TokenView
from tokenledger.web.app import create_app, runtime_of
from tokenledger.wiring.settings import Settings

LOOKUPS = ("lookup-self", "lookup", "lookup-accessor")


def write_role(client: FlaskClient, name: str, **body: object) -> None:
    response = call(client, "POST", f"roles/{name}", body=body)
    assert response.status_code == 204, response.json


def lookups(client: FlaskClient, auth: dict[str, str]) -> list[dict[str, object]]:
    """The ``data`` of all three lookups of the token created with ``auth``."""
    token, accessor = auth["client_token"], auth["accessor"]
    answers = [call(client, "GET", "lookup-self", token), call(client, "POST", "lookup", body={"token": token})]
    if accessor:
        answers.append(call(client, "POST", "lookup-accessor", body={"accessor": accessor}))
    for answer in answers:
        assert answer.status_code == 200, answer.json
    return [answer.json["data"] for answer in answers]


def test_a_role_token_shows_its_role_and_its_bound_cidrs_in_every_lookup(client: FlaskClient) -> None:
    write_role(client, "ci", allowed_policies=["web"],
               token_bound_cidrs=["127.0.0.0/8", "10.1.2.3/8", "::1/128", "192.168.1.5"])
    auth = create_against(client, "ci", policies=["web"])
    for data in lookups(client, auth):
        assert data["role"] == "ci"
        assert data["bound_cidrs"] == ["127.0.0.0/8", "10.1.2.3/8", "::1", "192.168.1.5"]


def test_a_token_without_a_role_or_cidrs_has_neither_key(client: FlaskClient) -> None:
    auth = create(client, policies=["web"], ttl="1h")["auth"]
    for data in lookups(client, auth):
        assert "role" not in data and "bound_cidrs" not in data and "period" not in data


def test_a_batch_token_of_a_role_shows_its_role(client: FlaskClient) -> None:
    write_role(client, "b", token_type="batch", orphan=True, renewable=False, allowed_policies=["web"])
    auth = create_against(client, "b", policies=["web"])
    assert [data["role"] for data in lookups(client, auth)] == ["b", "b"]


def test_a_roles_period_and_explicit_max_ttl_are_not_shown_as_the_tokens_own(client: FlaskClient) -> None:
    """Vault's lookup shows the period and explicit max TTL the request gave, not the role's."""
    write_role(client, "p", period="1h", token_explicit_max_ttl="5h")
    plain = lookups(client, create_against(client, "p"))[0]
    assert "period" not in plain and plain["explicit_max_ttl"] == 0 and plain["ttl"] in (3599, 3600)
    asked = lookups(client, create_against(client, "p", period="2h", explicit_max_ttl="10h"))[0]
    assert (asked["period"], asked["explicit_max_ttl"]) == (7200, 36000)


def test_a_role_tokens_renewal_still_takes_the_roles_period(client: FlaskClient) -> None:
    write_role(client, "p", period="1h")
    auth = create_against(client, "p", period="2h")
    renewed = call(client, "POST", "renew-self", auth["client_token"], {"increment": "3h"})
    assert renewed.status_code == 200 and renewed.json["auth"]["lease_duration"] == 3600


def test_a_periodic_token_without_a_role_shows_its_period(client: FlaskClient) -> None:
    auth = create(client, policies=["web"], period="2h")["auth"]
    assert [data["period"] for data in lookups(client, auth)] == [7200] * 3


def test_lookup_ttl_counts_from_now_rounded_to_the_second_as_vault_does() -> None:
    issued = datetime(2030, 1, 1, tzinfo=UTC)
    view = TokenView(
        token_id=uuid4(), accessor="a" * 24, parent_id=None, policies=("web",), meta=None,
        display_name="token", path="auth/token/create", num_uses=0, uses_left=None, renewable=True,
        issue_time=issued, creation_ttl=3600, ttl=3600, expire_at=issued + timedelta(seconds=3600, microseconds=300),
        explicit_max_ttl=0, period=0, token_type=TokenType.SERVICE, entity_alias="", last_renewal_time=None,
    )
    assert lookup_ttl(view, issued + timedelta(milliseconds=400)) == 3600
    assert lookup_ttl(view, issued + timedelta(milliseconds=600)) == 3599
    assert lookup_ttl(view, issued + timedelta(hours=2)) == 0


@pytest.fixture
def dev_client(settings: Settings) -> Iterator[FlaskClient]:
    """An app whose store a dev server initialised with ``-dev-root-token-id=ROOT``."""
    app = create_app(settings)
    accept_frozen_time(runtime_of(app)).service.initialise("ROOT", dev=True)
    yield app.test_client()
    runtime_of(app).close()


def test_the_dev_root_token_lookup_has_vaults_keys(dev_client: FlaskClient) -> None:
    data = call(dev_client, "GET", "lookup-self", "ROOT").json["data"]
    assert data["display_name"] == "token" and data["path"] == "auth/token/create"
    assert data["renewable"] is False and data["issue_time"].endswith("Z")
    assert (data["ttl"], data["expire_time"], data["orphan"], data["policies"]) == (0, None, True, ["root"])
    renewal = call(dev_client, "POST", "renew-self", "ROOT", {})
    assert (renewal.status_code, renewal.json) == (400, {"errors": ["lease is not renewable"]})


def create_against(client: FlaskClient, role: str, **body: object) -> dict[str, str]:
    response = call(client, "POST", f"create/{role}", body=body)
    assert response.status_code == 200, response.json
    auth: dict[str, str] = response.json["auth"]
    return auth


# -- sys/: Vault's copies of data at the top level, and capabilities --------------------------

ENVELOPE_KEYS = {"request_id", "lease_id", "renewable", "lease_duration", "data", "wrap_info",
                 "warnings", "auth", "mount_type"}


def test_the_legacy_policy_endpoints_repeat_data_at_the_top_level(client: FlaskClient) -> None:
    write_policy(client, "web", 'path "secret/*" { capabilities = ["read"] }')
    read = call(client, "GET", "sys/policy/web").json
    assert set(read) == ENVELOPE_KEYS | {"name", "rules"}
    assert (read["name"], read["rules"]) == ("web", read["data"]["rules"])
    for method, path in (("GET", "sys/policy"), ("LIST", "sys/policy"), ("GET", "sys/policy/"),
                         ("LIST", "sys/policy/")):
        listed = call(client, method, path)
        assert listed.status_code == 200
        names = ["default", "web", "root"]
        assert listed.json["keys"] == listed.json["policies"] == listed.json["data"]["keys"] == names


def test_the_acl_policy_endpoints_do_not_repeat_data(client: FlaskClient) -> None:
    write_policy(client, "web", 'path "secret/*" { capabilities = ["read"] }')
    assert set(call(client, "GET", "sys/policies/acl/web").json) == ENVELOPE_KEYS
    listed = call(client, "LIST", "sys/policies/acl").json
    assert set(listed) == ENVELOPE_KEYS and listed["data"]["keys"] == ["default", "web", "root"]


def test_capabilities_of_one_path_also_answer_as_capabilities_at_both_levels(client: FlaskClient) -> None:
    auth = create(client, policies=["web"], ttl="1h")["auth"]
    write_policy(client, "web", 'path "secret/*" { capabilities = ["read"] }')
    for path, body, token in (
        ("sys/capabilities-self", {"path": "secret/foo"}, auth["client_token"]),
        ("sys/capabilities", {"token": auth["client_token"], "path": "secret/foo"}, ROOT_TOKEN),
        ("sys/capabilities-accessor", {"accessor": auth["accessor"], "paths": ["secret/foo"]}, ROOT_TOKEN),
    ):
        answer = call(client, "POST", path, token, body).json
        assert answer["data"] == {"secret/foo": ["read"], "capabilities": ["read"]}
        assert (answer["secret/foo"], answer["capabilities"]) == (["read"], ["read"])


def test_capabilities_of_several_paths_have_no_capabilities_key(client: FlaskClient) -> None:
    answer = call(client, "POST", "sys/capabilities-self", body={"paths": ["a/b", "c/d"]}).json
    assert answer["data"] == {"a/b": ["root"], "c/d": ["root"]} and "capabilities" not in answer
    assert (answer["a/b"], answer["c/d"]) == (["root"], ["root"])
    twice = call(client, "POST", "sys/capabilities-self", body={"paths": ["a/b", "a/b"]}).json
    assert twice["data"] == {"a/b": ["root"]}


def test_capabilities_read_path_only_when_paths_names_none(client: FlaskClient) -> None:
    answer = call(client, "POST", "sys/capabilities-self", body={"paths": ["a/b"], "path": "c/d"}).json
    assert answer["data"] == {"a/b": ["root"], "capabilities": ["root"]}


# -- auth/token: tidy, roles ---------------------------------------------------------------------


def test_tidy_answers_no_data(client: FlaskClient) -> None:
    answer = call(client, "POST", "tidy")
    assert answer.status_code == 202 and answer.json["data"] is None and len(answer.json["warnings"]) == 1


def test_a_role_read_has_vaults_keys_and_ours_only_when_set(client: FlaskClient) -> None:
    write_role(client, "plain", allowed_policies=["web"])
    data = call(client, "GET", "roles/plain").json["data"]
    assert data["allowed_entity_aliases"] is None
    assert not {"token_ttl", "token_max_ttl", "token_policies", "bound_cidrs", "token_bound_cidrs",
                "token_num_uses"} & set(data)
    write_role(client, "ours", token_ttl="1h", token_max_ttl="2h", token_policies=["web"],
               allowed_entity_aliases=[])
    data = call(client, "GET", "roles/ours").json["data"]
    assert (data["token_ttl"], data["token_max_ttl"], data["token_policies"]) == (3600, 7200, ["web"])
    assert data["allowed_entity_aliases"] == []


def test_the_mount_type_names_the_mount_that_answered(client: FlaskClient) -> None:
    """Vault: "token" under auth/token/, "system" under sys/ (OpenBao sends no mount_type)."""
    assert call(client, "GET", "lookup-self").json["mount_type"] == "token"
    assert call(client, "GET", "sys/policy/default").json["mount_type"] == "system"
    assert call(client, "LIST", "sys/policies/acl").json["mount_type"] == "system"
    assert call(client, "POST", "sys/capabilities-self", body={"path": "a"}).json["mount_type"] == "system"


def test_a_get_lookup_reads_the_token_from_its_query(client: FlaskClient) -> None:
    auth = create(client, policies=["web"])["auth"]
    looked_up = call(client, "GET", f"lookup?token={auth['client_token']}")
    assert looked_up.status_code == 200
    assert looked_up.json["data"]["accessor"] == auth["accessor"]


def test_an_empty_token_policies_is_left_out_of_the_auth_block_as_go_omits_it(client: FlaskClient) -> None:
    auth = create(client, no_default_policy=True, policies=["default"])["auth"]
    assert auth["policies"] == []
    assert "token_policies" not in auth
    assert create(client, policies=["web"])["auth"]["token_policies"] == ["default", "web"]
