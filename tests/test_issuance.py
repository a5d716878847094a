"""The rules for issuing a child token, exercised without Flask or a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest

from domain.commands import CreateToken
from domain.errors import InvalidRequest
from domain.issuance import TokenPlan, check_custom_id, display_name, plan_child_token
from domain.leases import TtlLimits
from domain.token_view import TokenView

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
LIMITS = TtlLimits()


def parent(*policies: str, **changes: object) -> TokenView:
    view = TokenView(
        token_id=uuid4(), accessor="a" * 24, parent_id=None, policies=tuple(policies), meta=None,
        display_name="token", path="auth/token/create", num_uses=0, uses_left=None,
        renewable=True, issue_time=NOW, creation_ttl=3600, ttl=3600,
        expire_at=NOW + timedelta(hours=1), explicit_max_ttl=0, period=0,
        token_type="service", entity_alias="", last_renewal_time=None,
    )
    return replace(view, **changes)


ROOT = parent("root", expire_at=None, ttl=0, creation_ttl=0)


def plan(command: CreateToken, of: TokenView = ROOT, sudo: bool | None = None) -> TokenPlan:
    return plan_child_token(
        command, of, sudo=of.is_root if sudo is None else sudo, limits=LIMITS, now=NOW
    )


def test_a_child_of_a_non_root_token_may_only_hold_policies_its_parent_holds() -> None:
    with pytest.raises(InvalidRequest, match="child policies must be subset of parent"):
        plan(CreateToken(policies=("web", "admin")), parent("default", "web"))


def test_default_is_added_unless_asked_not_to() -> None:
    assert plan(CreateToken(policies=("Web", " web ", "stage"))).policies == ["default", "stage", "web"]
    assert plan(CreateToken(policies=("web",), no_default_policy=True)).policies == ["web"]


def test_no_default_policy_removes_default_even_when_requested() -> None:
    assert plan(CreateToken(policies=("default", "web"), no_default_policy=True)).policies == ["web"]


def test_a_non_root_parent_adds_default_only_when_it_holds_default() -> None:
    assert plan(CreateToken(policies=("web",)), parent("web")).policies == ["web"]
    assert plan(CreateToken(policies=("web",)), parent("default", "web")).policies == ["default", "web"]


def test_without_policies_the_child_inherits_the_parents() -> None:
    assert plan(CreateToken(), parent("default", "web")).policies == ["default", "web"]
    assert plan(CreateToken()).policies == ["root"]


def test_root_collapses_the_list_and_needs_a_root_parent() -> None:
    assert plan(CreateToken(policies=("web", "root"))).policies == ["root"]
    with pytest.raises(InvalidRequest, match="root tokens may not be created without parent token being root"):
        plan(CreateToken(policies=("root",)), parent("web"), sudo=True)


def test_non_expiring_root_children_only_come_from_non_expiring_parents() -> None:
    expiring_root = parent("root")
    with pytest.raises(InvalidRequest, match="expiring root tokens cannot create non-expiring root tokens"):
        plan(CreateToken(), expiring_root)


def test_a_root_child_without_ttl_never_expires_and_is_not_renewable() -> None:
    child = plan(CreateToken())
    assert (child.ttl, child.renewable) == (0, False)


def test_non_root_tokens_get_the_default_ttl_and_are_capped_at_the_max() -> None:
    assert plan(CreateToken(policies=("web",))).ttl == LIMITS.default_ttl
    capped = plan(CreateToken(policies=("web",), ttl=1000 * 3600))
    assert capped.ttl == LIMITS.max_ttl
    assert capped.warnings == [
        'TTL of "1000h" exceeded the effective max_ttl of "768h"; TTL value is capped accordingly'
    ]


def test_explicit_max_ttl_caps_the_ttl() -> None:
    assert plan(CreateToken(policies=("web",), explicit_max_ttl=600)).ttl == 600
    assert plan(CreateToken(policies=("web",), ttl=3600, explicit_max_ttl=600)).ttl == 600


def test_a_periodic_token_lives_for_its_period() -> None:
    periodic = plan(CreateToken(policies=("web",), period=300))
    assert (periodic.ttl, periodic.period) == (300, 300)


def test_lease_is_the_deprecated_name_of_ttl() -> None:
    assert plan(CreateToken(policies=("web",), lease=120)).ttl == 120
    assert plan(CreateToken(policies=("web",), lease=120, ttl=60)).ttl == 60


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (CreateToken(num_uses=-1), "number of uses cannot be negative"),
        (CreateToken(ttl=-1), "ttl must be positive"),
        (CreateToken(explicit_max_ttl=-1), "explicit_max_ttl must be positive"),
        (CreateToken(period=-1), "period must be positive"),
        (CreateToken(token_type="weird"), "invalid 'token_type' value"),
        (CreateToken(entity_alias="bob"), "'entity_alias' is only allowed in combination with token role"),
        (CreateToken(policies=("response-wrapping",)), 'cannot assign policy "response-wrapping"'),
    ],
)
def test_bad_parameters_are_refused_with_vaults_message(command: CreateToken, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        plan(command)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (CreateToken(custom_id="mine"), "root or sudo privileges required to specify token id"),
        (CreateToken(no_parent=True), "root or sudo privileges required to create orphan token"),
        (CreateToken(period=60), "root or sudo privileges required to create periodic token"),
    ],
)
def test_privileged_options_need_sudo(command: CreateToken, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        plan(command, parent("default"))


def test_orphans_have_no_parent() -> None:
    assert plan(CreateToken(no_parent=True)).parent_id is None
    assert plan(CreateToken(orphan_endpoint=True), parent("default")).parent_id is None
    assert plan(CreateToken()).parent_id == ROOT.token_id


def test_limited_use_tokens_cannot_have_children() -> None:
    with pytest.raises(InvalidRequest, match="restricted use token cannot generate child tokens"):
        plan(CreateToken(), parent("default", num_uses=3, uses_left=2))
    with pytest.raises(InvalidRequest, match="parent token lookup failed: no parent found"):
        plan(CreateToken(), parent("default", num_uses=1, uses_left=0))


def test_display_names_are_prefixed_and_sanitised() -> None:
    assert display_name("") == "token"
    assert display_name("My App!") == "token-My-App"
    assert display_name("web_1") == "token-web-1"


@pytest.mark.parametrize(
    ("custom_id", "message"),
    [
        ("hvs.abc", "custom token ID cannot have the 'hvs.' prefix"),
        ("s.abc", "custom token ID cannot have the 's.' prefix"),
        ("a.b", "custom token ID cannot have a '.' in the value"),
    ],
)
def test_custom_ids_may_not_look_like_generated_ones(custom_id: str, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        check_custom_id(custom_id)
