"""The rules for issuing a child token, exercised without Flask or a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from tokenledger.domain.commands import CreateToken
from tokenledger.domain.errors import InvalidRequest
from tokenledger.domain.issuance import TokenPlan, check_custom_id, display_name, plan_child_token, renewal_terms
from tokenledger.domain.leases import TtlLimits
from tokenledger.domain.role_settings import RoleSettings, write_role_settings
from tokenledger.domain.token_view import TokenView

NOW = datetime(2026, 1, 1, tzinfo=UTC)
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


def test_an_empty_policy_list_counts_as_none_and_the_parents_are_inherited() -> None:
    assert plan(CreateToken(policies=())).policies == ["root"]
    assert plan(CreateToken(policies=()), parent("default", "web")).policies == ["default", "web"]


# -- batch tokens --------------------------------------------------------------------------


def test_a_batch_token_is_never_renewable_and_may_have_a_parent() -> None:
    batch = plan(CreateToken(token_type="batch", policies=("web",), renewable=True))
    assert (batch.token_type, batch.renewable, batch.parent_id) == ("batch", False, ROOT.token_id)


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (CreateToken(token_type="batch", explicit_max_ttl=60, num_uses=2, period=60), "explicit_max_ttl"),
        (CreateToken(token_type="batch", num_uses=2, period=60), "num_uses"),
        (CreateToken(token_type="batch", num_uses=-1), "num_uses"),
        (CreateToken(token_type="batch", period=60), "period"),
    ],
)
def test_a_batch_token_cannot_have_an_explicit_max_ttl_uses_or_a_period(
    command: CreateToken, field: str
) -> None:
    with pytest.raises(InvalidRequest, match=f'^batch tokens cannot have "{field}" set$'):
        plan(replace(command, policies=("web",)))


def test_a_batch_token_cannot_be_a_root_token() -> None:
    with pytest.raises(InvalidRequest, match="^batch tokens cannot be root tokens$"):
        plan(CreateToken(token_type="batch"))


# -- bound CIDRs ---------------------------------------------------------------------------


def test_requested_cidrs_are_normalised_and_bad_ones_refused() -> None:
    bound = plan(CreateToken(policies=("web",), bound_cidrs=("10.0.0.1/32", "2001:DB8::/32")))
    assert bound.bound_cidrs == ("10.0.0.1", "2001:db8::/32")
    with pytest.raises(InvalidRequest, match='^error parsing bound_cidrs: error parsing address "10.0.0/8"'):
        plan(CreateToken(policies=("web",), bound_cidrs=("10.0.0/8",)))


def test_a_child_inherits_its_parents_cidrs_and_may_only_narrow_them() -> None:
    bound_parent = parent("default", "web", bound_cidrs=("10.0.0.0/8",))
    assert plan(CreateToken(), bound_parent).bound_cidrs == ("10.0.0.0/8",)
    assert plan(CreateToken(bound_cidrs=("10.1.0.0/16",)), bound_parent).bound_cidrs == ("10.1.0.0/16",)
    with pytest.raises(InvalidRequest, match="bound_cidrs must lie within the parent token's bound CIDRs"):
        plan(CreateToken(bound_cidrs=("192.168.0.0/16",)), bound_parent)
    assert plan(CreateToken(orphan_endpoint=True), bound_parent).bound_cidrs == ()


def test_a_root_token_that_never_expires_is_not_bound() -> None:
    assert plan(CreateToken(bound_cidrs=("10.0.0.0/8",))).bound_cidrs == ()
    expiring = plan(CreateToken(bound_cidrs=("10.0.0.0/8",), ttl=600))
    assert (expiring.policies, expiring.bound_cidrs) == (["root"], ("10.0.0.0/8",))


# -- tokens created against a role ---------------------------------------------------------


def role(**given: object) -> RoleSettings:
    return write_role_settings("web", given, None)


def plan_with(role_settings: RoleSettings, command: CreateToken | None = None, of: TokenView = ROOT,
              sudo: bool | None = None) -> TokenPlan:
    command = command or CreateToken()
    return plan_child_token(
        replace(command, role_name=role_settings.name), of,
        sudo=of.is_root if sudo is None else sudo, limits=LIMITS, now=NOW, role=role_settings,
    )


USER = parent("default", "web")


def test_an_unknown_role_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="^unknown role nope$"):
        plan(CreateToken(role_name="nope"))


def test_a_role_token_is_created_at_the_roles_path_and_remembers_the_role() -> None:
    child = plan_with(role())
    assert (child.path, child.role_name) == ("auth/token/create/web", "web")
    assert plan_with(role(path_suffix="v001")).path == "auth/token/create/web/v001"


def test_an_orphan_role_makes_orphans_without_sudo() -> None:
    assert plan_with(role(orphan=True), of=USER).parent_id is None
    assert plan_with(role(), of=USER).parent_id == USER.token_id


def test_a_role_ignores_no_parent_and_its_sudo_rule() -> None:
    assert plan_with(role(), CreateToken(no_parent=True), of=USER).parent_id == USER.token_id


def test_a_non_renewable_role_makes_non_renewable_tokens() -> None:
    assert plan_with(role(renewable=False), of=USER).renewable is False
    assert plan_with(role(), CreateToken(renewable=False), of=USER).renewable is False
    assert plan_with(role(), of=USER).renewable is True


def test_allowed_policies_are_the_default_set_and_may_exceed_the_parents() -> None:
    assert plan_with(role(allowed_policies=("admin", "web")), of=USER).policies == ["admin", "default", "web"]
    asked = CreateToken(policies=("Admin",))
    assert plan_with(role(allowed_policies=("admin",)), asked, of=USER).policies == ["admin", "default"]


def test_policies_outside_the_allowed_ones_are_refused_with_vaults_listing() -> None:
    with pytest.raises(InvalidRequest) as error:
        plan_with(role(allowed_policies=("web",), allowed_policies_glob=("team-*",)),
                  CreateToken(policies=("web", "ops")), of=USER)
    assert str(error.value) == (
        'token policies (["default" "ops" "web"]) must be subset of the role\'s allowed policies '
        '(["default" "web"]) or glob policies (["team-*"])'
    )


def test_glob_allowed_policies_admit_matching_names_but_are_never_the_default_set() -> None:
    glob_role = role(allowed_policies_glob=("team-*", "*-ro"))
    assert plan_with(glob_role, CreateToken(policies=("team-a", "db-ro")), of=USER).policies == [
        "db-ro", "default", "team-a",
    ]
    assert plan_with(glob_role, of=USER).policies == ["default"]
    for outside in ("teamx", "my-team-a", "db-ro-2"):
        with pytest.raises(InvalidRequest, match="must be subset of the role's allowed policies"):
            plan_with(glob_role, CreateToken(policies=(outside,)), of=USER)


def test_disallowed_policies_refuse_by_name_or_glob() -> None:
    with pytest.raises(InvalidRequest, match='^token policy "ops" is disallowed by this role$'):
        plan_with(role(disallowed_policies=("ops",)), CreateToken(policies=("ops",)), of=USER)
    with pytest.raises(InvalidRequest, match='^token policy "secret-db" is disallowed by this role$'):
        plan_with(role(disallowed_policies_glob=("secret-*",)), CreateToken(policies=("secret-db",)), of=USER)


def test_with_only_disallowed_policies_the_parents_are_inherited_and_checked() -> None:
    assert plan_with(role(disallowed_policies=("ops",)), of=parent("web")).policies == ["default", "web"]
    with pytest.raises(InvalidRequest, match='token policy "ops" is disallowed'):
        plan_with(role(disallowed_policies=("ops",)), of=parent("ops", "web"))


@pytest.mark.parametrize(
    "keeps_default_out",
    [
        {"disallowed_policies": ("default",)},
        {"disallowed_policies_glob": ("def*",)},
        {"token_no_default_policy": True},
    ],
)
def test_a_role_can_keep_default_from_being_added(keeps_default_out: dict[str, object]) -> None:
    assert plan_with(role(allowed_policies=("web",), **keeps_default_out), of=USER).policies == ["web"]


def test_no_default_policy_in_the_request_keeps_default_out_of_a_role_token() -> None:
    asked = CreateToken(no_default_policy=True)
    assert plan_with(role(allowed_policies=("web",)), asked, of=USER).policies == ["web"]


def test_asking_for_default_that_the_role_disallows_is_refused() -> None:
    with pytest.raises(InvalidRequest, match='token policy "default" is disallowed by this role'):
        plan_with(role(allowed_policies=("web", "default"), disallowed_policies=("default",)), of=USER)


def test_a_role_without_policy_lists_keeps_the_usual_subset_rule() -> None:
    with pytest.raises(InvalidRequest, match="child policies must be subset of parent"):
        plan_with(role(orphan=True), CreateToken(policies=("admin",)), of=USER)
    assert plan_with(role(), of=USER).policies == ["default", "web"]


@pytest.mark.parametrize(
    ("role_type", "requested", "issued"),
    [
        ("default-service", "", "service"), ("default-service", "batch", "batch"),
        ("default-batch", "", "batch"), ("default-batch", "service", "service"),
        ("service", "batch", "service"), ("batch", "", "batch"), ("batch", "service", "batch"),
        ("service", "weird", "service"),
    ],
)
def test_the_roles_token_type_decides_or_lets_the_request_decide(
    role_type: str, requested: str, issued: str
) -> None:
    role_settings = role(token_type=role_type, orphan=True, renewable=False)
    assert plan_with(role_settings, CreateToken(token_type=requested), of=USER).token_type == issued


def test_a_default_service_role_still_refuses_a_bad_requested_type() -> None:
    with pytest.raises(InvalidRequest, match="^invalid 'token_type' value$"):
        plan_with(role(), CreateToken(token_type="weird"), of=USER)


def test_the_roles_period_and_explicit_max_ttl_apply_and_the_lesser_wins() -> None:
    periodic = plan_with(role(token_period=600, token_explicit_max_ttl=7200), of=USER)
    assert (periodic.period, periodic.ttl, periodic.explicit_max_ttl) == (600, 600, 7200)
    assert periodic.warnings == []
    both = plan_with(role(token_period=600, token_explicit_max_ttl=7200),
                     CreateToken(period=900, explicit_max_ttl=3600))
    assert (both.period, both.explicit_max_ttl) == (600, 3600)
    assert both.warnings == [
        "Explicit max TTL specified both during creation call and in role; "
        "using the lesser value of 3600 seconds",
        "Period specified both during creation call and in role; using the lesser value of 600 seconds",
    ]


def test_a_role_period_does_not_need_sudo_but_a_requested_one_still_does() -> None:
    assert plan_with(role(token_period=600), of=USER).period == 600
    with pytest.raises(InvalidRequest, match="root or sudo privileges required to create periodic token"):
        plan_with(role(token_period=600), CreateToken(period=60), of=USER)


def test_a_batch_token_from_a_role_ignores_the_roles_terms_and_use_count() -> None:
    batch_role = role(token_explicit_max_ttl=7200, token_num_uses=3)
    batch = plan_with(batch_role, CreateToken(token_type="batch"), of=USER)
    assert (batch.token_type, batch.explicit_max_ttl, batch.period, batch.num_uses) == ("batch", 0, 0, 0)


@pytest.mark.parametrize(("requested", "issued"), [(0, 3), (5, 3), (2, 2)])
def test_the_roles_use_count_caps_the_requested_one(requested: int, issued: int) -> None:
    assert plan_with(role(token_num_uses=3), CreateToken(num_uses=requested), of=USER).num_uses == issued


def test_a_roles_cidrs_replace_the_parents_and_the_requested_ones() -> None:
    bound_parent = parent("default", "web", bound_cidrs=("10.0.0.0/8",))
    bound_role = role(token_bound_cidrs=("192.168.0.0/16",))
    assert plan_with(bound_role, CreateToken(bound_cidrs=("10.1.0.0/16",)), of=bound_parent).bound_cidrs == (
        "192.168.0.0/16",
    )
    assert plan_with(role(), of=bound_parent).bound_cidrs == ()


def test_an_entity_alias_must_match_the_roles_list_ignoring_case() -> None:
    aliased = role(allowed_entity_aliases=("web-*", "Bob"))
    frontend = plan_with(aliased, CreateToken(entity_alias="Web-Frontend"), of=USER)
    assert frontend.entity_alias == "Web-Frontend"
    assert plan_with(aliased, CreateToken(entity_alias="BOB"), of=USER).entity_alias == "BOB"
    with pytest.raises(InvalidRequest, match="^invalid 'entity_alias' value$"):
        plan_with(aliased, CreateToken(entity_alias="alice"), of=USER)
    with pytest.raises(InvalidRequest, match="^invalid 'entity_alias' value$"):
        plan_with(role(), CreateToken(entity_alias="bob"), of=USER)


# -- renewal against a role ----------------------------------------------------------------


def test_a_token_without_a_role_renews_on_its_own_terms() -> None:
    assert renewal_terms(300, 3600, None) == (300, 3600)


def test_a_role_token_renews_on_the_roles_terms_as_they_are_now() -> None:
    created_with = role(token_period=300)
    child = plan_with(created_with, of=USER)
    changed = write_role_settings("web", {"token_period": 60, "token_explicit_max_ttl": 7200}, created_with)
    assert renewal_terms(child.period, child.explicit_max_ttl, changed) == (60, 7200)
    no_longer_periodic = write_role_settings("web", {"token_period": 0}, created_with)
    assert renewal_terms(child.period, child.explicit_max_ttl, no_longer_periodic) == (0, 0)


def test_a_token_whose_role_was_deleted_is_not_renewed() -> None:
    with pytest.raises(InvalidRequest, match='^original token role "web" could not be found, not renewing$'):
        renewal_terms(300, 0, None, role_name="web")


# -- token_ttl, token_max_ttl and token_policies (beyond Vault's token store) --------------


def test_the_roles_ttl_is_the_ttl_when_the_request_gives_none() -> None:
    assert plan_with(role(token_ttl=600), of=USER).ttl == 600
    assert plan_with(role(token_ttl=600), CreateToken(ttl=60), of=USER).ttl == 60
    assert plan_with(role(token_ttl=600), CreateToken(lease=120), of=USER).ttl == 120
    assert plan_with(role(), of=USER).ttl == LIMITS.default_ttl


def test_the_roles_ttl_makes_a_root_role_token_expire() -> None:
    assert plan_with(role()).ttl == 0
    expiring = plan_with(role(token_ttl=600))
    assert (expiring.policies, expiring.ttl, expiring.renewable) == (["root"], 600, True)


def test_the_roles_ttl_is_still_capped_by_the_system_maximum() -> None:
    capped = plan_with(role(token_ttl=1000 * 3600), of=USER)
    assert capped.ttl == LIMITS.max_ttl
    assert capped.warnings == [
        'TTL of "1000h" exceeded the effective max_ttl of "768h"; TTL value is capped accordingly'
    ]


def test_the_roles_max_ttl_caps_the_lifetime_as_an_explicit_max_ttl() -> None:
    child = plan_with(role(token_max_ttl=900), of=USER)
    assert (child.ttl, child.explicit_max_ttl) == (900, 900)
    assert child.warnings == ['TTL of "768h" exceeded the effective max_ttl of "15m"; TTL value is capped accordingly']
    asked_longer = plan_with(role(token_max_ttl=900), CreateToken(ttl=3600), of=USER)
    assert (asked_longer.ttl, asked_longer.explicit_max_ttl) == (900, 900)
    assert asked_longer.warnings == [
        'TTL of "1h" exceeded the effective max_ttl of "15m"; TTL value is capped accordingly'
    ]
    within = plan_with(role(token_ttl=300, token_max_ttl=900), of=USER)
    assert (within.ttl, within.explicit_max_ttl) == (300, 900)


@pytest.mark.parametrize(
    ("requested", "role_explicit", "role_max", "expected"),
    [
        (0, 0, 900, 900), (600, 0, 900, 600), (1200, 0, 900, 900), (0, 600, 900, 600),
        (0, 1200, 900, 900), (1200, 1500, 900, 900), (300, 1500, 900, 300), (0, 0, 0, 0),
    ],
)
def test_the_explicit_max_ttl_is_the_smallest_set_of_the_requests_and_the_roles(
    requested: int, role_explicit: int, role_max: int, expected: int
) -> None:
    terms = role(token_explicit_max_ttl=role_explicit, token_max_ttl=role_max)
    child = plan_with(terms, CreateToken(policies=("web",), explicit_max_ttl=requested))
    assert child.explicit_max_ttl == expected


def test_the_roles_max_ttl_warns_only_as_vault_warns_of_a_capped_default_ttl() -> None:
    both = plan_with(role(token_explicit_max_ttl=7200, token_max_ttl=1800),
                     CreateToken(policies=("web",), explicit_max_ttl=3600))
    capped = 'TTL of "768h" exceeded the effective max_ttl of "30m"; TTL value is capped accordingly'
    assert both.explicit_max_ttl == 1800
    assert both.warnings == [
        "Explicit max TTL specified both during creation call and in role; "
        "using the lesser value of 3600 seconds",
        capped,
    ]
    assert plan_with(role(token_max_ttl=1800), CreateToken(explicit_max_ttl=3600)).warnings == []  # a root child


def test_the_roles_max_ttl_ends_a_periodic_token() -> None:
    periodic = plan_with(role(token_period=600, token_max_ttl=3600), of=USER)
    assert (periodic.period, periodic.ttl, periodic.explicit_max_ttl) == (600, 600, 3600)


def test_a_batch_token_from_a_role_takes_its_ttl_and_is_capped_by_its_max_ttl() -> None:
    batch_role = role(token_type="batch", orphan=True, renewable=False, token_ttl=300, token_max_ttl=900)
    batch = plan_with(batch_role, of=USER)
    assert (batch.token_type, batch.ttl, batch.explicit_max_ttl) == ("batch", 300, 0)
    longer = plan_with(batch_role, CreateToken(ttl=3600), of=USER)
    assert (longer.ttl, longer.explicit_max_ttl) == (900, 0)
    assert longer.warnings == [
        'TTL of "1h" exceeded the effective max_ttl of "15m"; TTL value is capped accordingly'
    ]
    only_max = plan_with(role(token_max_ttl=900), CreateToken(token_type="batch"), of=USER)
    assert (only_max.token_type, only_max.ttl, only_max.explicit_max_ttl) == ("batch", 900, 0)


def test_a_batch_request_is_still_refused_its_own_explicit_max_ttl_but_not_for_the_roles() -> None:
    with pytest.raises(InvalidRequest, match='^batch tokens cannot have "explicit_max_ttl" set$'):
        plan_with(role(token_max_ttl=900), CreateToken(token_type="batch", explicit_max_ttl=60), of=USER)


def test_a_role_token_renews_within_the_roles_max_ttl_as_it_is_now() -> None:
    created_with = role(token_ttl=300)
    child = plan_with(created_with, of=USER)
    assert child.explicit_max_ttl == 0
    capped = write_role_settings("web", {"token_max_ttl": 1800}, created_with)
    assert renewal_terms(child.period, child.explicit_max_ttl, capped) == (0, 1800)
    both = write_role_settings("web", {"token_explicit_max_ttl": 3600}, capped)
    assert renewal_terms(child.period, child.explicit_max_ttl, both) == (0, 1800)
    lower_explicit = write_role_settings("web", {"token_explicit_max_ttl": 600}, capped)
    assert renewal_terms(child.period, child.explicit_max_ttl, lower_explicit) == (0, 600)
    lifted = write_role_settings("web", {"token_max_ttl": 0}, capped)
    assert renewal_terms(child.period, child.explicit_max_ttl, lifted) == (0, 0)


def test_the_roles_token_policies_are_the_policies_when_the_request_names_none() -> None:
    granting = role(token_policies=("reports", "ops"))
    assert plan_with(granting, of=USER).policies == ["default", "ops", "reports"]
    assert plan_with(granting, CreateToken(policies=()), of=USER).policies == ["default", "ops", "reports"]
    assert plan_with(granting, CreateToken(policies=("web",)), of=USER).policies == ["default", "web"]


def test_the_roles_token_policies_take_precedence_over_its_allowed_ones_as_the_default_set() -> None:
    both = role(allowed_policies=("web", "ops"), token_policies=("web",))
    assert plan_with(both, of=USER).policies == ["default", "web"]
    assert plan_with(both, CreateToken(policies=("ops",)), of=USER).policies == ["default", "ops"]


def test_the_roles_token_policies_do_not_widen_its_allowed_ones() -> None:
    narrow = role(allowed_policies=("web",), token_policies=("reports",))
    with pytest.raises(InvalidRequest, match="must be subset of the role's allowed policies"):
        plan_with(narrow, CreateToken(policies=("reports",)), of=USER)
    with pytest.raises(InvalidRequest, match="child policies must be subset of parent"):
        plan_with(role(token_policies=("reports",)), CreateToken(policies=("reports",)), of=USER)


@pytest.mark.parametrize(
    ("keeps_default_out", "request_"),
    [
        ({"disallowed_policies": ("default",)}, CreateToken()),
        ({"disallowed_policies_glob": ("def*",)}, CreateToken()),
        ({"token_no_default_policy": True}, CreateToken()),
        ({}, CreateToken(no_default_policy=True)),
    ],
)
def test_default_is_kept_from_the_roles_token_policies_as_from_its_allowed_ones(
    keeps_default_out: dict[str, object], request_: CreateToken
) -> None:
    terms = role(token_policies=("web",), **keeps_default_out)
    assert plan_with(terms, request_, of=USER).policies == ["web"]


def test_the_roles_token_policies_are_checked_against_its_disallowed_ones() -> None:
    with pytest.raises(InvalidRequest, match='^token policy "ops" is disallowed by this role$'):
        plan_with(role(token_policies=("web", "ops"), disallowed_policies=("ops",)), of=USER)
    with pytest.raises(InvalidRequest, match='^token policy "secret-db" is disallowed by this role$'):
        plan_with(role(token_policies=("secret-db",), disallowed_policies_glob=("secret-*",)), of=USER)
    with pytest.raises(InvalidRequest, match='^token policy "default" is disallowed by this role$'):
        plan_with(role(token_policies=("default", "web"), disallowed_policies=("default",)), of=USER)


def test_a_batch_token_from_a_role_gets_its_token_policies() -> None:
    batch_role = role(token_type="default-batch", token_policies=("web",))
    batch = plan_with(batch_role, of=USER)
    assert (batch.token_type, batch.policies) == ("batch", ["default", "web"])
