"""The real server process on a free port, driven by the real Vault client, hvac."""

from __future__ import annotations

from collections.abc import Iterator

import hvac
import hvac.exceptions
import pytest

from scripts.servers import dev_server
from tests.support.vault_http import CREATES_TOKENS

ROOT = "e2e-root-token"


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with dev_server(ROOT, tmp_path_factory.mktemp("e2e") / "ledger.db") as server:
        yield server.url
    output = server.output()
    assert f"Root Token: {ROOT}" in output
    assert f"Listening on: {server.url}" in output


@pytest.fixture
def root(server_url: str) -> hvac.Client:
    client = hvac.Client(url=server_url, token=ROOT)
    client.sys.create_or_update_policy("web", CREATES_TOKENS)
    return client


def as_token(server_url: str, token: str) -> hvac.Client:
    return hvac.Client(url=server_url, token=token)


def test_a_three_level_tree_lives_and_dies_together(server_url: str, root: hvac.Client) -> None:
    parent = root.auth.token.create(policies=["web", "db"], ttl="1h", meta={"team": "a"})["auth"]
    child = as_token(server_url, parent["client_token"]).auth.token.create(policies=["web"], ttl="30m")["auth"]
    grandchild = as_token(server_url, child["client_token"]).auth.token.create(ttl="10m")["auth"]

    looked_up = root.auth.token.lookup(grandchild["client_token"])["data"]
    assert looked_up["policies"] == ["default", "web"]
    assert looked_up["display_name"] == "token-token"
    assert root.auth.token.lookup_accessor(child["accessor"])["data"]["id"] == ""
    assert as_token(server_url, parent["client_token"]).auth.token.lookup_self()["data"]["meta"] == {"team": "a"}

    assert root.auth.token.renew(parent["client_token"], increment="2h")["auth"]["lease_duration"] == 7200
    assert as_token(server_url, child["client_token"]).auth.token.renew_self(increment=600)["auth"][
        "lease_duration"] == 600
    assert root.auth.token.renew_accessor(grandchild["accessor"], increment="5m")["auth"]["lease_duration"] == 300

    root.auth.token.revoke(parent["client_token"])
    for token in (parent, child, grandchild):
        with pytest.raises(hvac.exceptions.Forbidden):
            as_token(server_url, token["client_token"]).auth.token.lookup_self()


def test_orphans_accessors_and_self_revocation(server_url: str, root: hvac.Client) -> None:
    parent = root.auth.token.create(policies=["web"])["auth"]
    orphan = as_token(server_url, parent["client_token"]).auth.token.create_orphan(policies=["web"])["auth"]
    child = as_token(server_url, parent["client_token"]).auth.token.create(policies=["web"])["auth"]
    assert orphan["orphan"] is True and child["orphan"] is False

    root.auth.token.revoke_and_orphan_children(parent["client_token"])
    assert as_token(server_url, child["client_token"]).auth.token.lookup_self()["data"]["orphan"] is True
    assert as_token(server_url, orphan["client_token"]).auth.token.lookup_self()["data"]["orphan"] is True

    keys = root.auth.token.list_accessors()["data"]["keys"]
    assert child["accessor"] in keys and parent["accessor"] not in keys

    root.auth.token.revoke_accessor(child["accessor"])
    assert child["accessor"] not in root.auth.token.list_accessors()["data"]["keys"]

    as_token(server_url, orphan["client_token"]).auth.token.revoke_self()
    with pytest.raises(hvac.exceptions.Forbidden):
        as_token(server_url, orphan["client_token"]).auth.token.lookup_self()


def test_use_counts_and_denials(server_url: str, root: hvac.Client) -> None:
    twice = root.auth.token.create(policies=["web"], num_uses=2)["auth"]["client_token"]
    client = as_token(server_url, twice)
    assert client.auth.token.lookup_self()["data"]["num_uses"] == 1
    assert client.auth.token.lookup_self()["data"]["num_uses"] == -1
    with pytest.raises(hvac.exceptions.Forbidden):
        client.auth.token.lookup_self()

    ordinary = as_token(server_url, root.auth.token.create(policies=["web"])["auth"]["client_token"])
    with pytest.raises(hvac.exceptions.Forbidden):
        ordinary.auth.token.list_accessors()
    with pytest.raises(hvac.exceptions.InvalidRequest, match="child policies must be subset of parent"):
        ordinary.auth.token.create(policies=["admin"])
    assert ordinary.is_authenticated() and not as_token(server_url, "hvs.forged").is_authenticated()


def test_roles_from_write_to_revocation(server_url: str, root: hvac.Client) -> None:
    tokens = root.auth.token
    tokens.create_or_update_role("deployer", allowed_policies=["app", "db"], orphan=True,
                                 path_suffix="blue", token_period="1h")
    role = tokens.read_role("deployer")["data"]
    assert (role["allowed_policies"], role["orphan"], role["token_period"]) == (["app", "db"], True, 3600)
    assert "deployer" in tokens.list_roles()["data"]["keys"]

    issued = tokens.create(role_name="deployer", policies=["app"])["auth"]
    assert issued["orphan"] is True and issued["policies"] == ["app", "default"]
    looked_up = tokens.lookup_accessor(issued["accessor"])["data"]
    assert (looked_up["path"], looked_up["role"]) == ("auth/token/create/deployer/blue", "deployer")
    assert "period" not in looked_up  # as Vault: the role's period is not the token's own
    assert looked_up["ttl"] in (3599, 3600)
    with pytest.raises(hvac.exceptions.InvalidRequest, match="allowed policies"):
        tokens.create(role_name="deployer", policies=["admin"])

    tokens.delete_role("deployer")
    with pytest.raises(hvac.exceptions.InvalidPath):
        tokens.read_role("deployer")


def test_a_policy_grants_exactly_what_it_says(server_url: str, root: hvac.Client) -> None:
    root.sys.create_or_update_policy(
        "lookup-only", {"path": {"auth/token/lookup": {"capabilities": ["update"]}}})
    assert "lookup-only" in root.sys.list_policies()["data"]["policies"]
    holder = as_token(server_url, root.auth.token.create(policies=["lookup-only"])["auth"]["client_token"])
    other = root.auth.token.create(policies=["web"])["auth"]["client_token"]
    assert holder.auth.token.lookup(other)["data"]["policies"] == ["default", "web"]
    with pytest.raises(hvac.exceptions.Forbidden):
        holder.auth.token.create(policies=["lookup-only"])
    with pytest.raises(hvac.exceptions.Forbidden):
        holder.sys.create_or_update_policy("escalate", 'path "*" { capabilities = ["sudo"] }')


def test_bound_cidrs_and_tidy(server_url: str, root: hvac.Client) -> None:
    bound_elsewhere = root.adapter.post("/v1/auth/token/create",
                                        json={"bound_cidrs": ["10.0.0.0/8"], "policies": ["web"]})
    bound_here = root.adapter.post("/v1/auth/token/create",
                                   json={"bound_cidrs": ["127.0.0.0/8", "::1"], "policies": ["web"]})
    with pytest.raises(hvac.exceptions.Forbidden):
        as_token(server_url, bound_elsewhere["auth"]["client_token"]).auth.token.lookup_self()
    assert as_token(server_url, bound_here["auth"]["client_token"]).auth.token.lookup_self()["data"]
    tidied = root.auth.token.tidy()
    assert tidied.status_code == 202


def test_hvacs_older_calls_and_the_keys_older_clients_read(server_url: str, root: hvac.Client) -> None:
    """``renew_token`` sends ``"increment": null`` (Vault reads null as not given), and older code
    reads ``rules``, ``keys`` and a path's capabilities at the top of Vault's answers."""
    token = root.auth.token.create(policies=["web"], ttl="1h")["auth"]["client_token"]
    assert root.renew_token(token)["auth"]["lease_duration"] == 3600
    assert root.auth.token.renew(token)["auth"]["lease_duration"] == 3600
    assert root.sys.read_policy("web")["rules"] == CREATES_TOKENS
    assert "web" in root.sys.list_policies()["policies"]
    assert root.sys.get_capabilities(paths=["auth/token/create"], token=token)["capabilities"] == ["update"]
