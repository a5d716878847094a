"""A token's readable fields are declared once, on ``TokenView``: the lookup row (its table, its
insert from a ``TokenCreated``, its reading) follows from it by column name, and these tests fail
when a field is added to one of the view, the event and Vault's two answers but not thought of in
the others. (Adding a field: declare it on ``TokenView`` and on ``TokenCreated``, with a default
there for the events stored before it, set it in ``Token``, and decide here whether Vault's
answers show it; ``tests/integration/test_token_rows.py`` checks that the aggregate and the row
then agree.)"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from tokenledger.application.lookup_format import LOOKUP_DATA, TokenLookup
from tokenledger.application.ports import RegisteredToken
from tokenledger.domain.clock import to_epoch_us
from tokenledger.domain.token_events import TokenCreated
from tokenledger.domain.token_view import TokenStatus, TokenType, TokenView
from tokenledger.projections.audit_registry import REGISTRY_ROW
from tokenledger.projections.lookup import ROW
from tokenledger.projections.rows import RowShape, Sql
from tokenledger.web.schemas import AUTH, TokenAuth

NOW = datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
VIEW = TokenView(
    token_id=uuid4(), accessor="accessor-1", parent_id=uuid4(), policies=("db", "web"),
    meta={"team": "a"}, display_name="token-ci", path="auth/token/create/ci", num_uses=5, uses_left=4,
    renewable=True, issue_time=NOW, creation_ttl=600, ttl=900, expire_at=NOW + timedelta(minutes=15),
    explicit_max_ttl=7200, period=300, token_type=TokenType.SERVICE, entity_alias="alias",
    last_renewal_time=NOW + timedelta(minutes=1), namespace="eu", bound_cidrs=("10.0.0.0/8",),
    role_name="ci",
)
# Fields of the view that neither of Vault's answers shows: the token's ID (the hash of its
# value), the TTL last granted (lookup answers the seconds left), and this service's own (the
# status is added by the audit's as-of).
NOT_IN_VAULTS_ANSWERS = {"token_id", "ttl", "namespace", "entity_alias", "status",
                         "last_used_time", "last_used_remote_addr"}  # shown by the ledger endpoints only
# Keys of Vault's answers that come from elsewhere than the view.
NOT_FROM_THE_VIEW = {"id", "entity_id", "client_token", "lease_duration", "mfa_requirement"}
# A created event's field -> the view's, where their types differ (JSON gives lists back; the
# event keeps the type as the string it was stored as).
EVENT_TYPES_READ_AS = {"policies": (list[str], tuple[str, ...]),
                       "bound_cidrs": (list[str] | None, tuple[str, ...]),
                       "token_type": (str, TokenType)}


def view_fields() -> list[str]:
    return [field.name for field in dataclasses.fields(TokenView)]


def another(field: str) -> Any:
    """A different value for the field: None where it may be, else another of its type."""
    value = getattr(VIEW, field)
    if type(None) in typing.get_args(typing.get_type_hints(TokenView)[field]):
        return None
    if isinstance(value, bool):
        return not value
    if isinstance(value, TokenType):
        return TokenType.BATCH if value is TokenType.SERVICE else TokenType.SERVICE
    if isinstance(value, TokenStatus):
        return TokenStatus.REVOKED
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "-changed"
    if isinstance(value, UUID):
        return uuid4()
    if isinstance(value, datetime):
        return value + timedelta(seconds=61)
    if isinstance(value, tuple):
        return (*value, "more")
    if isinstance(value, dict):
        return {**value, "more": "x"}
    raise TypeError(value)


def shown_by_vaults_answers(field: str) -> set[str]:
    """The keys of the lookup answer and the auth block that change when ``field`` does."""
    changed = replace(VIEW, **{field: another(field)})
    keys: set[str] = set()
    for dump in (lambda view: LOOKUP_DATA.dump(TokenLookup(view, "hvs.x", NOW)),
                 lambda view: AUTH.dump(TokenAuth(view, "hvs.x", 900))):
        before, after = dump(VIEW), dump(changed)
        keys |= {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    return keys


def test_every_field_of_the_view_is_shown_by_vaults_answers_or_said_not_to_be() -> None:
    shown = {field: shown_by_vaults_answers(field) for field in view_fields()}
    assert {field for field, keys in shown.items() if not keys} == NOT_IN_VAULTS_ANSWERS
    answer_keys = set(LOOKUP_DATA.dump(TokenLookup(VIEW, "hvs.x", NOW))) | set(AUTH.dump(TokenAuth(VIEW, "", 1)))
    from_view = set().union(*shown.values())
    assert answer_keys - from_view == NOT_FROM_THE_VIEW


def test_the_lookup_row_keeps_every_field_of_the_view_by_its_name() -> None:
    assert [column.field for column in ROW.columns] == [name for name in view_fields() if name != "status"]
    for column in ROW.columns:
        assert column.name in (column.field, column.field + "_us", "last_renewal_us")


def test_the_view_takes_each_field_a_created_event_has_from_it_with_the_same_type() -> None:
    event_hints = typing.get_type_hints(TokenCreated)
    view_hints = typing.get_type_hints(TokenView)
    copied = [name for name in view_fields() if name in event_hints]
    assert set(view_fields()) - set(copied) == {
        "token_id", "issue_time", "creation_ttl", "uses_left", "last_renewal_time", "status",
        "last_used_time", "last_used_remote_addr"}
    for name in copied:
        expected = EVENT_TYPES_READ_AS.get(name, (view_hints[name], view_hints[name]))
        assert (event_hints[name], view_hints[name]) == expected, name


def test_the_registry_row_keeps_every_field_of_a_registered_token() -> None:
    assert [column.field for column in REGISTRY_ROW.columns] == [f.name for f in dataclasses.fields(RegisteredToken)]


@dataclasses.dataclass(frozen=True)
class Sample:
    key: UUID
    name: str
    count: int | None
    flag: bool
    when: datetime
    until: datetime | None
    names: tuple[str, ...]
    labels: dict[str, str] | None
    kind: TokenType
    status: TokenStatus = TokenStatus.LIVE


@dataclasses.dataclass(frozen=True)
class SampleEvent:
    originator_id: UUID
    timestamp: datetime
    name: str
    count: int | None
    flag: bool
    until: datetime | None
    names: list[str]
    labels: dict[str, str] | None
    kind: str


SHAPE = RowShape(Sample, "samples", key="key", renamed={"until": "until_time_us"}, omitted=("status",))


def test_a_row_shape_derives_its_table_from_the_fields_names_and_types() -> None:
    assert SHAPE.create_table() == (
        "CREATE TABLE IF NOT EXISTS samples (key TEXT PRIMARY KEY, name TEXT NOT NULL, count INTEGER, "
        "flag INTEGER NOT NULL, when_us BIGINT NOT NULL, until_time_us BIGINT, names TEXT NOT NULL, "
        "labels TEXT, kind TEXT NOT NULL)")


def test_a_row_shape_writes_each_value_under_its_column_and_reads_it_back_by_name() -> None:
    key = uuid4()
    event = SampleEvent(originator_id=key, timestamp=NOW, name="n", count=None, flag=True, until=None,
                        names=["a", "b"], labels={"z": "1", "a": "2"}, kind="batch")
    statement, params = SHAPE.inserter(SampleEvent, {"key": "originator_id", "when": "timestamp",
                                                     "count": Sql("NULLIF(?, 0)", "count")})(event)
    assert dict(zip(statement.columns, statement.values, strict=True))["count"] == "NULLIF(?, 0)"
    written = dict(zip(statement.columns, params, strict=True))
    assert written == {"key": key.hex, "name": "n", "count": None, "flag": 1, "when_us": to_epoch_us(NOW),
                       "until_time_us": None, "names": '["a", "b"]', "labels": '{"a": "2", "z": "1"}',
                       "kind": "batch"}
    read = SHAPE.read({**written, "something_else": 1})
    assert read == Sample(key=key, name="n", count=None, flag=True, when=NOW, until=None, names=("a", "b"),
                          labels={"a": "2", "z": "1"}, kind=TokenType.BATCH)
    assert read.kind is TokenType.BATCH


def test_a_row_change_is_given_its_values_by_name() -> None:
    change = SHAPE.update("until", "flag")
    key = uuid4()
    assert change.statement.columns == ("until_time_us", "flag")
    assert change.write(key, flag=False, until=NOW) == (change.statement, (to_epoch_us(NOW), 0, key.hex))
    with pytest.raises(TypeError, match="give"):
        change.write(key, flag=False)
    deletion = SHAPE.delete()
    assert deletion.write(key) == (deletion.statement, (key.hex,))


def test_an_event_without_a_field_the_row_needs_is_refused_when_the_model_is_loaded() -> None:
    with pytest.raises(TypeError, match="has no field"):
        SHAPE.inserter(SampleEvent, {"key": "originator_id"})
