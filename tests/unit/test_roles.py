"""Token roles: what a write to ``auth/token/roles/:name`` leaves, what a read shows, and the Role
aggregate's history. No Flask, no database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tokenledger.application.ledger import TokenLedger
from tokenledger.domain.actor import Actor
from tokenledger.domain.cidrs import address_allowed, parse_cidrs
from tokenledger.domain.errors import InvalidRequest
from tokenledger.domain.role import Role, RoleCreated, RoleDeleted, RoleWritten
from tokenledger.domain.role_policies import entity_alias_allowed
from tokenledger.domain.role_settings import (
    RoleSettings,
    role_id,
    role_read_fields,
    role_write_warnings,
    write_role_settings,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ALICE = Actor(accessor="alice-accessor", remote_addr="10.0.0.1")
BOB = Actor(accessor="bob-accessor", remote_addr="2001:db8::7")


def write(given: Mapping[str, object], existing: RoleSettings | None = None) -> RoleSettings:
    return write_role_settings("web", given, existing)


def refused(given: Mapping[str, object], existing: RoleSettings | None = None) -> str:
    with pytest.raises(InvalidRequest) as error:
        write(given, existing)
    return str(error.value)


# -- writing a role ------------------------------------------------------------------------


def test_a_new_role_has_vaults_defaults() -> None:
    role = write({})
    assert role == RoleSettings(name="web")
    assert (role.renewable, role.orphan, role.token_type) == (True, False, "default-service")


def test_an_update_keeps_every_field_it_does_not_give() -> None:
    first = write({"allowed_policies": ("web",), "orphan": True, "token_period": 300, "path_suffix": "v01"})
    updated = write({"renewable": False}, first)
    assert updated == RoleSettings(
        name="web", allowed_policies=("web",), orphan=True, token_period=300, path_suffix="v01",
        renewable=False,
    )


def test_an_update_may_clear_a_list_by_giving_it_empty() -> None:
    first = write({"allowed_policies": ("web",), "token_bound_cidrs": ("10.0.0.0/8",)})
    cleared = write({"allowed_policies": (), "token_bound_cidrs": ()}, first)
    assert (cleared.allowed_policies, cleared.token_bound_cidrs) == ((), ())


def test_policy_lists_are_normalised_as_vault_does() -> None:
    role = write({
        "allowed_policies": (" Web", "web", "", "Admin"),
        "disallowed_policies": ("Root", "ops", "OPS"),
        "allowed_policies_glob": ("Team-*", "root"),
        "disallowed_policies_glob": ("Secret-*", " secret-* "),
        "allowed_entity_aliases": ("Web-*", "web-*", "Bob"),
    })
    assert role.allowed_policies == ("admin", "web")
    assert role.disallowed_policies == ("ops", "root")  # only the allowed lists collapse to root
    assert role.allowed_policies_glob == ("root",)
    assert role.disallowed_policies_glob == ("secret-*",)
    assert role.allowed_entity_aliases == ("bob", "web-*")


@pytest.mark.parametrize(("name", "message"), [("", "role name cannot be empty"), ("a/b", "unsupported path"),
                                               ("-web", "unsupported path"), ("web.", "unsupported path")])
def test_a_role_name_must_be_one_path_segment(name: str, message: str) -> None:
    with pytest.raises(InvalidRequest, match=f"^{message}$"):
        write_role_settings(name, {}, None)


def test_role_names_may_hold_dots_dashes_and_underscores() -> None:
    assert write_role_settings("a", {}, None).name == "a"
    assert write_role_settings("web_1.prod-eu", {}, None).name == "web_1.prod-eu"


@pytest.mark.parametrize("token_type", ["service", "batch", "default-service", "default-batch"])
def test_a_role_issues_any_of_four_token_types(token_type: str) -> None:
    given = {"token_type": token_type, "orphan": True, "renewable": False}
    assert write(given).token_type == token_type


def test_an_unknown_token_type_is_refused_default_included() -> None:
    assert refused({"token_type": "default"}) == "invalid 'token_type' value \"default\""
    assert refused({"token_type": "weird"}) == "invalid 'token_type' value \"weird\""
    assert refused({"token_type": None}) == "Invalid 'token_type' value: null"


def test_a_path_suffix_must_match_vaults_pattern_somewhere() -> None:
    assert refused({"path_suffix": "v1"}) == (
        "given role path suffix contains invalid characters; must match \\w[\\w-.]+\\w"
    )
    assert write({"path_suffix": "v-1.2"}).path_suffix == "v-1.2"
    assert write({"path_suffix": ""}).path_suffix == ""


def test_a_path_suffix_may_not_climb_out_of_the_role_path() -> None:
    assert refused({"path_suffix": "v1..v2"}) == (
        "error registering path suffix: path cannot contain parent references"
    )


def test_bad_cidrs_are_refused_naming_the_field_and_the_value() -> None:
    assert refused({"token_bound_cidrs": ("10.0.0.0/8", "10.0.0.0/33")}) == (
        'error parsing role fields: error parsing address "10.0.0.0/33": '
        'Unable to convert "10.0.0.0/33" to an IPv4 or IPv6 address, or a UNIX Socket'
    )
    assert refused({"bound_cidrs": ("nowhere",)}).startswith(
        'error parsing bound_cidrs: error parsing address "nowhere"'
    )


@pytest.mark.parametrize("field", ["token_period", "token_explicit_max_ttl", "period", "explicit_max_ttl"])
def test_negative_durations_fail_field_validation(field: str) -> None:
    assert refused({field: -5}) == (
        f"error converting input for field \"{field}\": "
        "cannot provide negative value '-5'"
    )


def test_a_negative_use_count_is_refused() -> None:
    assert refused({"token_num_uses": -1}) == "error parsing role fields: 'token_num_uses' cannot be negative"


def test_fields_a_role_does_not_have_are_ignored_with_a_warning() -> None:
    given = {"token_ttl": 60, "colour": "red", "size": 3, "orphan": True}
    role = write(given)
    assert role == RoleSettings(name="web", orphan=True, token_ttl=60)
    assert role_write_warnings(given, role, max_lease_ttl=3600) == [
        "Endpoint ignored these unrecognized parameters: [colour size]"
    ]


# -- token_ttl, token_max_ttl and token_policies (beyond Vault's token store) --------------


def test_the_ttl_max_ttl_and_policies_fields_are_taken_without_a_warning() -> None:
    given = {"token_ttl": 60, "token_max_ttl": 600, "token_policies": ("Web", " ops", "web", "")}
    role = write(given)
    assert role == RoleSettings(name="web", token_ttl=60, token_max_ttl=600, token_policies=("ops", "web"))
    assert role_write_warnings(given, role, max_lease_ttl=3600) == []


@pytest.mark.parametrize("field", ["token_ttl", "token_max_ttl"])
def test_a_negative_ttl_or_max_ttl_fails_field_validation(field: str) -> None:
    assert refused({field: -1}) == (
        f"error converting input for field \"{field}\": "
        "cannot provide negative value '-1'"
    )


def test_the_ttl_may_not_exceed_a_set_max_ttl() -> None:
    assert refused({"token_ttl": 601, "token_max_ttl": 600}) == (
        "'token_ttl' cannot be greater than 'token_max_ttl'"
    )
    assert write({"token_ttl": 600, "token_max_ttl": 600}).token_ttl == 600
    assert write({"token_ttl": 7200, "token_max_ttl": 0}).token_ttl == 7200  # 0: no max
    assert write({"token_ttl": 0, "token_max_ttl": 60}).token_max_ttl == 60


def test_the_ttl_is_checked_against_the_max_ttl_the_role_keeps() -> None:
    capped = write({"token_ttl": 60, "token_max_ttl": 600})
    assert refused({"token_ttl": 900}, capped) == "'token_ttl' cannot be greater than 'token_max_ttl'"
    assert refused({"token_max_ttl": 30}, capped) == "'token_ttl' cannot be greater than 'token_max_ttl'"
    assert write({"token_max_ttl": 0, "token_ttl": 900}, capped).token_ttl == 900


def test_an_update_keeps_the_ttl_max_ttl_and_policies_it_does_not_give() -> None:
    first = write({"token_ttl": 60, "token_max_ttl": 600, "token_policies": ("web",)})
    assert write({"orphan": True}, first) == replace(first, orphan=True)
    changed = write({"token_ttl": 120, "token_policies": ()}, first)
    assert (changed.token_ttl, changed.token_max_ttl, changed.token_policies) == (120, 600, ())


@pytest.mark.parametrize("policy", ["root", " Root ", "response-wrapping", "control-group"])
def test_a_role_cannot_hand_out_root_or_unassignable_policies(policy: str) -> None:
    name = policy.strip().lower()
    assert refused({"token_policies": ("web", policy)}) == (
        f'cannot assign policy "{name}" to a role\'s token_policies'
    )


def test_a_refused_token_policies_write_leaves_the_role_as_it_was() -> None:
    first = write({"token_policies": ("web",)})
    refused({"token_policies": ("root",)}, first)
    assert first.token_policies == ("web",)


# -- the deprecated fields -----------------------------------------------------------------


def test_a_deprecated_field_alone_sets_itself_and_its_successor() -> None:
    role = write({"period": 60, "explicit_max_ttl": 600, "bound_cidrs": ("10.0.0.1/32",)})
    assert (role.period, role.token_period) == (60, 60)
    assert (role.explicit_max_ttl, role.token_explicit_max_ttl) == (600, 600)
    assert role.bound_cidrs == role.token_bound_cidrs == ("10.0.0.1",)


def test_given_with_its_successor_a_deprecated_field_is_ignored_with_a_warning() -> None:
    given = {"period": 60, "token_period": 90, "explicit_max_ttl": 600, "token_explicit_max_ttl": 900,
             "bound_cidrs": ("10.0.0.0/8",), "token_bound_cidrs": ("192.168.0.0/16",)}
    role = write(given)
    assert (role.period, role.token_period) == (0, 90)
    assert (role.explicit_max_ttl, role.token_explicit_max_ttl) == (0, 900)
    assert (role.bound_cidrs, role.token_bound_cidrs) == ((), ("192.168.0.0/16",))
    assert role_write_warnings(given, role, max_lease_ttl=3600) == [
        "Both 'token_period' and deprecated 'period' value supplied, ignoring the deprecated value",
        "Both 'token_bound_cidrs' and deprecated 'bound_cidrs' value supplied, ignoring the deprecated value",
        "Both 'token_explicit_max_ttl' and deprecated 'explicit_max_ttl' value supplied, "
        "ignoring the deprecated value",
    ]


def test_writing_a_successor_later_clears_the_deprecated_value() -> None:
    old = write({"period": 60})
    role = write({"token_period": 120}, old)
    assert (role.period, role.token_period) == (0, 120)


def test_an_explicit_max_ttl_past_the_system_maximum_is_accepted_with_a_warning() -> None:
    given = {"token_explicit_max_ttl": 7200}
    assert role_write_warnings(given, write(given), max_lease_ttl=3600) == [
        "Given explicit max TTL of 7200 is greater than system/mount allowed value of 3600 seconds; "
        "until this is fixed attempting to create tokens against this role will result in an error"
    ]


# -- batch roles ---------------------------------------------------------------------------


def test_a_batch_role_must_issue_orphan_non_renewable_tokens() -> None:
    assert refused({"token_type": "batch"}) == (
        "'token_type' cannot be 'batch' when role is set to generate non-orphan tokens"
    )
    assert refused({"token_type": "batch", "orphan": True}) == (
        "'token_type' cannot be 'batch' when role is set to generate renewable tokens"
    )
    assert write({"token_type": "batch", "orphan": True, "renewable": False}).token_type == "batch"


@pytest.mark.parametrize(
    ("extra", "what"),
    [({"token_period": 60}, "generate periodic tokens"), ({"period": 60}, "generate periodic tokens"),
     ({"token_explicit_max_ttl": 60}, "generate tokens with an explicit max TTL")],
)
def test_a_batch_role_cannot_be_periodic_or_have_an_explicit_max_ttl(
    extra: dict[str, object], what: str
) -> None:
    given = {"token_type": "batch", "orphan": True, "renewable": False, **extra}
    assert refused(given) == f"'token_type' cannot be 'batch' when role is set to {what}"


def test_an_existing_batch_role_refuses_a_period_or_use_count_in_vaults_other_words() -> None:
    batch = write({"token_type": "batch", "orphan": True, "renewable": False})
    assert refused({"token_num_uses": 3}, batch) == (
        "error parsing role fields: 'token_type' cannot be 'batch' or 'default_batch' "
        "when set to generate tokens with limited use count"
    )
    default_batch = write({"token_type": "default-batch"})
    assert refused({"token_period": 60}, default_batch) == (
        "error parsing role fields: 'token_type' cannot be 'batch' or 'default_batch' "
        "when set to generate periodic tokens"
    )


def test_changing_a_roles_type_away_from_batch_lifts_the_batch_rules() -> None:
    default_batch = write({"token_type": "default-batch"})
    assert write({"token_type": "service", "token_period": 60}, default_batch).token_period == 60


# -- reading a role ------------------------------------------------------------------------


def test_a_read_shows_vaults_fields_and_the_deprecated_durations() -> None:
    """As OpenBao's read answers: our token_ttl, token_max_ttl and token_policies are not there
    when unset."""
    assert role_read_fields(write({"allowed_entity_aliases": ("my-entity-alias",)})) == {
        "allowed_entity_aliases": ["my-entity-alias"], "allowed_policies": [], "allowed_policies_glob": [],
        "disallowed_policies": [], "disallowed_policies_glob": [], "explicit_max_ttl": 0, "name": "web",
        "orphan": False, "path_suffix": "", "period": 0, "renewable": True, "token_explicit_max_ttl": 0,
        "token_no_default_policy": False, "token_period": 0, "token_type": "default-service",
    }


def test_allowed_entity_aliases_read_null_until_written_then_as_written() -> None:
    assert role_read_fields(write({}))["allowed_entity_aliases"] is None
    assert role_read_fields(write({"allowed_entity_aliases": ()}))["allowed_entity_aliases"] == []
    assert role_read_fields(write({"allowed_entity_aliases": ("B", "a*")}))["allowed_entity_aliases"] == ["a*", "b"]


def test_a_role_never_given_aliases_allows_none() -> None:
    assert not entity_alias_allowed("anyone", write({}))


def test_a_read_shows_the_ttl_max_ttl_and_policies() -> None:
    fields = role_read_fields(write({"token_ttl": 60, "token_max_ttl": 600, "token_policies": ("ops", "web")}))
    assert (fields["token_ttl"], fields["token_max_ttl"], fields["token_policies"]) == (60, 600, ["ops", "web"])
    assert list(fields) == sorted(fields)


def test_cidrs_and_use_counts_are_read_only_when_set() -> None:
    fields = role_read_fields(write({"bound_cidrs": ("10.0.0.0/8",), "token_num_uses": 4}))
    assert fields["token_bound_cidrs"] == fields["bound_cidrs"] == ["10.0.0.0/8"]
    assert fields["token_num_uses"] == 4
    assert list(fields) == sorted(fields)


def test_role_ids_are_stable_and_per_namespace() -> None:
    assert role_id("", "web") == role_id("", "web")
    assert len({role_id("", "web"), role_id("team/", "web"), role_id("", "web2")}) == 3


# -- bound CIDRs ---------------------------------------------------------------------------


def test_cidrs_are_written_as_vault_writes_them() -> None:
    assert parse_cidrs(["10.0.0.1", "10.0.0.1/32", " 10.1.2.3/8", "192.168.0.0/16"]) == (
        "10.0.0.1", "10.0.0.1", "10.1.2.3/8", "192.168.0.0/16",
    )
    assert parse_cidrs(["2001:DB8::/32", "::1", "::1/128"]) == ("2001:db8::/32", "::1", "::1")


@pytest.mark.parametrize("bad", ["", "10.0.0.256", "10.0.0.0/33", "2001:db8::/129", "host.example"])
def test_a_bad_cidr_is_refused_by_name(bad: str) -> None:
    with pytest.raises(InvalidRequest, match=f'error parsing address "{bad}"'):
        parse_cidrs(["10.0.0.0/8", bad])


def test_addresses_are_allowed_inside_the_bound_blocks_only() -> None:
    bound = parse_cidrs(["10.0.0.0/8", "2001:db8::/32", "192.168.1.7"])
    assert address_allowed(bound, "10.200.3.4")
    assert address_allowed(bound, "192.168.1.7")
    assert address_allowed(bound, "2001:db8::42")
    assert address_allowed(bound, "::ffff:10.1.1.1")
    assert not address_allowed(bound, "192.168.1.8")
    assert not address_allowed(bound, "2001:db9::1")
    assert not address_allowed(bound, "not-an-address")
    assert not address_allowed(bound, "")


def test_an_unbound_token_is_allowed_from_anywhere() -> None:
    assert address_allowed((), "203.0.113.9")
    assert address_allowed((), "garbage")


# -- the Role aggregate --------------------------------------------------------------------


def new_role(**changes: object) -> Role:
    settings = write({"allowed_policies": ("web",), "token_bound_cidrs": ("10.0.0.0/8",), **changes})
    return Role.create(role_id("team/", "web"), settings, T0, ALICE, namespace="team/")


def test_creating_a_role_records_the_whole_role_and_who_wrote_it() -> None:
    role = new_role()
    [created] = role.collect_events()
    assert isinstance(created, RoleCreated) and isinstance(created, RoleWritten)
    assert (created.actor_accessor, created.remote_addr) == ("alice-accessor", "10.0.0.1")
    assert created.timestamp == T0
    assert (created.namespace, created.name) == ("team/", "web")
    assert created.allowed_policies == ["web"] and created.token_bound_cidrs == ["10.0.0.0/8"]
    assert role.settings == write({"allowed_policies": ("web",), "token_bound_cidrs": ("10.0.0.0/8",)})


def test_a_role_is_written_deleted_and_written_again_as_one_history() -> None:
    role = new_role()
    later = T0 + timedelta(minutes=5)
    role.write(write({"orphan": True}, role.settings), later, BOB)
    assert role.settings is not None and role.settings.orphan
    role.delete(later, BOB)
    assert role.settings is None
    role.delete(later, BOB)  # already gone: nothing more is recorded
    role.write(write({}), later, ALICE)
    assert role.settings == RoleSettings(name="web")
    events = role.collect_events()
    assert [type(event) for event in events] == [RoleCreated, RoleWritten, RoleDeleted, RoleWritten]
    assert isinstance(events[2], RoleDeleted)
    assert (events[2].actor_accessor, events[2].remote_addr) == ("bob-accessor", "2001:db8::7")
    assert all(
        (event.namespace, event.name) == ("team/", "web") for event in events  # type: ignore[attr-defined]
    )
    assert role.version == 4


def test_a_role_cannot_be_written_under_another_name() -> None:
    with pytest.raises(ValueError):
        new_role().write(RoleSettings(name="other"), T0, ALICE)


def test_a_role_survives_the_ledgers_json_transcoding() -> None:
    ledger = TokenLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    role = new_role(disallowed_policies=("ops",), allowed_entity_aliases=("web-*",), period=60)
    role.write(write({"path_suffix": "v002"}, role.settings), T0 + timedelta(seconds=1), BOB)
    ledger.save(role)
    loaded: Role = ledger.repository.get(role.id)
    assert isinstance(loaded, Role)
    assert loaded.settings == role.settings
    assert loaded.settings is not None and loaded.settings.allowed_entity_aliases == ("web-*",)
    stored = list(ledger.events.get(role.id))
    assert [type(event) for event in stored] == [RoleCreated, RoleWritten]
    assert isinstance(stored[1], RoleWritten) and stored[1].remote_addr == "2001:db8::7"


def test_a_role_keeps_its_ttl_max_ttl_and_policies_through_the_ledger() -> None:
    ledger = TokenLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    role = new_role(token_ttl=60, token_max_ttl=600, token_policies=("ops",))
    role.write(write({"token_policies": ("db", "ops")}, role.settings), T0 + timedelta(seconds=1), BOB)
    created, written = role.pending_events
    assert isinstance(created, RoleCreated) and isinstance(written, RoleWritten)
    assert (created.token_ttl, created.token_max_ttl, created.token_policies) == (60, 600, ["ops"])
    assert written.token_policies == ["db", "ops"]
    ledger.save(role)
    loaded: Role = ledger.repository.get(role.id)
    assert loaded.settings == role.settings
    assert loaded.settings is not None and loaded.settings.token_policies == ("db", "ops")


def test_a_role_written_before_ttl_max_ttl_and_policies_existed_still_loads() -> None:
    """Events stored earlier lack the three keys: the role loads with their defaults."""
    ledger = TokenLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    role = new_role(orphan=True)
    role.write(write({"path_suffix": "v002"}, role.settings), T0 + timedelta(seconds=1), BOB)
    old_style = []
    for event in role.collect_events():
        stored = ledger.mapper.to_stored_event(event)
        state = ledger.mapper.transcoder.decode(stored.state)
        for key in ("token_ttl", "token_max_ttl", "token_policies"):
            del state[key]
        old_style.append(replace(stored, state=ledger.mapper.transcoder.encode(state)))
    ledger.recorder.insert_events(old_style)
    loaded: Role = ledger.repository.get(role.id)
    assert loaded.settings == role.settings
    assert loaded.settings is not None
    assert (loaded.settings.token_ttl, loaded.settings.token_max_ttl, loaded.settings.token_policies) == (
        0, 0, (),
    )
    assert loaded.settings.path_suffix == "v002" and loaded.settings.orphan
    stored_events = list(ledger.events.get(role.id))
    assert [type(event) for event in stored_events] == [RoleCreated, RoleWritten]
    assert "token_policies" not in vars(stored_events[1])  # truly an old-style event
    assert stored_events[1].token_policies is None  # type: ignore[attr-defined]
