"""How an event class's fields are read back from JSON: by its annotations (UUIDs and datetimes
from strings, optional and union types, lists and dicts), refusing anything else."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar, Union
from uuid import UUID

from eventsourcing.domain import AggregateEvent
from eventsourcing.utils import get_topic, resolve_topic

import tokenledger.domain
from tokenledger.adapters.eventsourcing import topic_prefixes

EVENT_MODULE_PREFIXES = topic_prefixes(tokenledger.domain)  # event and aggregate classes live in the model
OWN_FIELDS = frozenset({"originator_id", "originator_version", "timestamp"})


class InvalidField(ValueError):
    pass


@dataclass(frozen=True)
class EventClass:
    cls: type
    readers: dict[str, Reader]
    required: frozenset[str]
    optional: frozenset[str]


@lru_cache(maxsize=256)
def event_class_or_error(topic: str) -> EventClass | str:
    if not topic.startswith(EVENT_MODULE_PREFIXES) or ":" not in topic:
        return f"unknown event type {topic!r}"
    try:
        cls = resolve_topic(topic)
        hints = typing.get_type_hints(cls)
    except Exception:
        return f"unknown event type {topic!r}"
    if not isinstance(cls, type) or not issubclass(cls, AggregateEvent) or not dataclasses.is_dataclass(cls):
        return f"{topic!r} is not an event type"
    fields = [field for field in dataclasses.fields(cls) if field.name not in OWN_FIELDS]
    required = frozenset(field.name for field in fields if field.default is dataclasses.MISSING
                         and field.default_factory is dataclasses.MISSING)
    readers = {field.name: reader(hints.get(field.name, Any)) for field in fields}
    return EventClass(cls, readers, required, frozenset(readers) - required)


def event_class(topic: str) -> EventClass:
    found = event_class_or_error(topic)
    if isinstance(found, str):
        raise InvalidField(found)
    return found


def event_state(event_class: EventClass, data: dict[str, Any]) -> dict[str, Any]:
    """The event's fields (but its own three) from their JSON form, typed as its class says."""
    name = event_class.cls.__name__
    missing = sorted(event_class.required - set(data))
    if missing:
        raise InvalidField(f"a {name} needs the field(s) {', '.join(map(repr, missing))}")
    unknown = sorted(set(data) - event_class.required - event_class.optional)
    if unknown:
        raise InvalidField(f"a {name} has no field(s) {', '.join(map(repr, unknown))}")
    readers = event_class.readers
    state = {field: readers[field](value, f"field {field!r}") for field, value in data.items()}
    topic = state.get("originator_topic")
    if topic is not None:
        cls = aggregate_class(topic)
        if not isinstance(cls, type):
            raise InvalidField(f"field 'originator_topic': unknown aggregate type {topic!r}")
        state["originator_topic"] = get_topic(cls)  # an old name is written under the current one
    return state


@lru_cache(maxsize=64)
def aggregate_class(topic: str) -> Any:
    if not topic.startswith(EVENT_MODULE_PREFIXES):
        return None
    try:
        return resolve_topic(topic)
    except Exception:
        return None


Reader = Callable[[Any, str], Any]


def as_is(value: Any, where: str) -> Any:
    return value


@lru_cache(maxsize=256)
def reader(hint: Any) -> Reader:
    """How to read a JSON value as ``hint`` says (UUIDs and datetimes from their strings), made
    once per type; a reader raises ``InvalidField`` naming ``where`` for a value of another type."""
    origin = typing.get_origin(hint)
    if hint is Any or isinstance(hint, TypeVar):
        return as_is
    if origin is Union or origin is types.UnionType:
        return union_reader(hint)
    if hint is UUID:
        return parsed(UUID, "a UUID string")
    if hint is datetime:
        return parsed(datetime.fromisoformat, "an RFC 3339 string")
    if hint in (bool, str, int, float):
        return scalar_reader(hint)
    if hint is list or origin is list:
        item = reader((typing.get_args(hint) or (Any,))[0])

        def read_list(value: Any, where: str) -> Any:
            if not isinstance(value, list):
                raise InvalidField(f"{where} must be a list")
            return [item(element, where + " item") for element in value]
        return read_list
    if hint is dict or origin is dict:
        entry = reader((typing.get_args(hint) or (str, Any))[1])

        def read_dict(value: Any, where: str) -> Any:
            if not isinstance(value, dict):
                raise InvalidField(f"{where} must be an object")
            return {key: entry(element, f"{where}[{key!r}]") for key, element in value.items()}
        return read_dict

    def unreadable(value: Any, where: str) -> Any:
        raise InvalidField(f"{where} has a type ({name(hint)}) an import cannot restore")
    return unreadable


def union_reader(hint: Any) -> Reader:
    options = [reader(option) for option in typing.get_args(hint) if option is not type(None)]
    nullable = type(None) in typing.get_args(hint)

    def read_union(value: Any, where: str) -> Any:
        if value is None and nullable:
            return None
        for option in options:
            try:
                return option(value, where)
            except InvalidField:
                continue
        raise InvalidField(f"{where} must be {name(hint)}")
    return read_union


def parsed(parse: Callable[[str], Any], what: str) -> Reader:
    def read_parsed(value: Any, where: str) -> Any:
        if isinstance(value, str):
            try:
                return parse(value)
            except ValueError:
                pass
        raise InvalidField(f"{where} must be {what}")
    return read_parsed


def scalar_reader(hint: type) -> Reader:
    what = {bool: "true or false", str: "a string", int: "an integer", float: "a number"}[hint]
    accepted: tuple[type, ...] = (int, float) if hint is float else (hint,)
    refused: tuple[type, ...] = () if hint is bool else (bool,)

    def read_scalar(value: Any, where: str) -> Any:
        if isinstance(value, accepted) and not isinstance(value, refused):
            return value
        raise InvalidField(f"{where} must be {what}")
    return read_scalar


def name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint)
