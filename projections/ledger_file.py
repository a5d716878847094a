"""The ledger as a file of JSON lines: export it, import it into a new store, and check that the
configured cipher key reads it.

The file (UTF-8, one JSON object a line, ASCII-only as written) has two kinds of line:

* **Key lines**, first, unless exported without keys: one per row of the store's ``ledger_keys``
  table, ``{"key": "token-hmac", "material": "<base64>"}``. ``token-hmac`` hashes token values
  (without it an imported token cannot be looked up by value, only by accessor) and
  ``batch-token-aes-gcm`` seals batch tokens. A file with keys is as sensitive as the store.
* **Event lines**, in log order::

    {"position": 17, "aggregate_id": "8c4f...-...", "version": 3,
     "type": "domain.token_events:TokenRenewed", "timestamp": "2026-01-02T03:04:05.123456Z",
     "data": {"increment": 3600, "ttl": 3600, "expire_at": "2026-01-02T04:04:05.123456Z", ...}}

  ``position`` is the event's notification ID in the exporting store, ``aggregate_id`` and
  ``version`` its aggregate (a UUID in its hyphenated form) and its place in that aggregate's
  history (from 1), ``type`` the event's class as ``module:QualifiedName``, ``timestamp`` when it
  happened (RFC 3339, ``Z`` for UTC), ``data`` the event's other fields by name (for an event that
  creates an aggregate, ``originator_topic`` names the aggregate's class). In ``data``, UUIDs are
  strings in the hyphenated form and datetimes RFC 3339 strings; everything else is plain JSON.
  A field added to an event class later, with a default, is absent from events recorded before.

Events are written as decoded (so decrypted): the file is never encrypted; the importing store
encrypts them with its own key, if it has one.

An import goes into a new store only (no event in its log), in one transaction: a file with any
bad line, or a failure part-way, leaves the store as it was. Keys in the file replace the store's.
"""

from __future__ import annotations

import binascii
import dataclasses
import json
import tempfile
import types
import typing
from base64 import b64decode, b64encode
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import IO, Any, TypeVar, Union
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import AggregateEvent, CanInitAggregate
from eventsourcing.persistence import MapperDeserialisationError, Notification, PersistenceError, StoredEvent
from eventsourcing.utils import resolve_topic

from projections.index_store import KEYS_TABLE, IndexStore
from projections.postgres_store import IndexedPostgresRecorder
from projections.sqlite_store import IndexedSQLiteRecorder

BATCH_SIZE = 1000
EVENT_MODULE_PREFIX = "domain."  # event and aggregate classes are only ever looked up there
EVENT_FIELDS = ("position", "aggregate_id", "version", "type", "timestamp", "data")
KEY_FIELDS = ("key", "material")
_OWN_FIELDS = frozenset({"originator_id", "originator_version", "timestamp"})


class LedgerUnreadableError(PersistenceError):
    """The ledger's events cannot be decoded: encrypted with another key, or not encrypted."""


class LedgerFileError(ValueError):
    """An export that cannot be written faithfully, or an import source that cannot be read."""


class ImportLineError(LedgerFileError):
    """A line of an import file is not what the format allows (nothing was imported)."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


class StoreNotEmptyError(LedgerFileError):
    """The target of an import already has events (nothing was imported)."""


@dataclass(frozen=True)
class ExportSummary:
    keys: int
    events: int


@dataclass(frozen=True)
class ImportSummary:
    keys: int
    events: int
    positions_preserved: bool
    """Every event has the position the file gave it (a full export of a log without gaps)."""


# -- reading with the configured key -----------------------------------------------------------


def check_readable(ledger: Application[Any]) -> None:
    """Decode the log's first and last events; a ``LedgerUnreadableError`` with a clear message
    if the configured cipher key (or its absence) does not read them. An empty log passes."""
    recorder = ledger.recorder
    probes = list(recorder.select_notifications(start=None, limit=1))
    last = recorder.max_notification_id()
    if probes and last is not None and last != probes[0].id:
        probes += recorder.select_notifications(start=last, limit=1)
    for notification in probes:
        try:
            ledger.mapper.to_domain_event(notification)
        except MapperDeserialisationError as error:
            if ledger.mapper.cipher is not None:
                message = "cannot decrypt the ledger: is TOKENLEDGER_CIPHER_KEY the key it was written with?"
            else:
                message = ("cannot read the ledger: it looks encrypted (or damaged): set "
                           "TOKENLEDGER_CIPHER_KEY to the key it was written with")
            raise LedgerUnreadableError(message) from error


# -- export ------------------------------------------------------------------------------------


def export_ledger(ledger: Application[Any], index: IndexStore, out: IO[str], *,
                  since: datetime | None = None, with_keys: bool = True,
                  batch_size: int = BATCH_SIZE) -> ExportSummary:
    """Write the store's keys (unless ``with_keys`` is false), then every event recorded up to
    now (those with ``timestamp >= since``, if given), one JSON line each, in log order."""
    if since is not None and since.tzinfo is None:
        raise ValueError("since needs a UTC offset")
    keys = read_keys(index) if with_keys else []
    for name, material in keys:
        _write(out, {"key": name, "material": b64encode(material).decode("ascii")})
    stop = ledger.recorder.max_notification_id()
    events, position = 0, 0
    while stop is not None and position < stop:
        notifications = ledger.recorder.select_notifications(
            start=position, limit=batch_size, stop=stop, inclusive_of_start=False)
        if not notifications:
            break
        for notification in notifications:
            event: Any = ledger.mapper.to_domain_event(notification)
            if since is None or event.timestamp >= since:
                _write(out, event_line(notification, event))
                events += 1
        position = notifications[-1].id
    return ExportSummary(keys=len(keys), events=events)


def read_keys(index: IndexStore) -> list[tuple[str, bytes]]:
    with index.transaction(commit=False) as cursor:
        cursor.execute(index.dialect.sql(f"SELECT name, material FROM {KEYS_TABLE} ORDER BY name"))
        return [(row["name"], bytes(row["material"])) for row in cursor.fetchall()]


def event_line(notification: Notification, event: Any) -> dict[str, Any]:
    """The JSON line of one event; a ``LedgerFileError`` if the line would not read back as the
    same event (a field whose value its class's annotations cannot restore)."""
    state = dict(vars(event))
    where = f"event at position {notification.id}"
    line = {
        "position": notification.id,
        "aggregate_id": str(state.pop("originator_id")),
        "version": state.pop("originator_version"),
        "type": notification.topic,
        "timestamp": format_instant(state.pop("timestamp")),
        "data": {name: _to_json(value, f"{where}, field {name!r}") for name, value in state.items()},
    }
    try:
        restored = _event_state(_event_class(notification.topic), line["data"])
    except _Invalid as error:
        raise LedgerFileError(f"{where} cannot be exported faithfully: {error}") from None
    if restored != state:
        raise LedgerFileError(f"{where} cannot be exported faithfully: its fields do not read back")
    return line


def format_instant(value: datetime) -> str:
    """RFC 3339, with ``Z`` for UTC; read back by ``datetime.fromisoformat`` to an equal value."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def parse_instant(text: str) -> datetime:
    """An RFC 3339 instant with its UTC offset (``Z`` or ``+hh:mm``); ``ValueError`` otherwise."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an RFC 3339 instant: {text!r}") from None
    if value.tzinfo is None:
        raise ValueError(f"an instant needs a UTC offset (e.g. 2026-01-01T00:00:00Z): {text!r}")
    return value


def _to_json(value: Any, where: str) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise LedgerFileError(f"{where}: {value} has no JSON form")
        return value
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return format_instant(value)
    if isinstance(value, list | tuple):
        return [_to_json(item, where) for item in value]
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {key: _to_json(item, where) for key, item in value.items()}
    raise LedgerFileError(f"{where}: a {type(value).__name__} has no JSON form here")


def _write(out: IO[str], line: dict[str, Any]) -> None:
    out.write(json.dumps(line, separators=(",", ":")) + "\n")


# -- import ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Event:
    position: int
    event: Any


def import_ledger(ledger: Application[Any], index: IndexStore, source: IO[str],
                  batch_size: int = BATCH_SIZE) -> ImportSummary:
    """Restore an export into this store, which must have no event yet.

    First every line is checked (an ``ImportLineError`` names the first bad one); then, in one
    transaction, the events are re-created, encoded by this store's mapper (so encrypted with
    its key, if any), inserted through its recorder with their read-model rows, and the file's
    keys replace the store's. Any failure rolls it all back. A ``StoreNotEmptyError`` if the log
    has an event. Any process that opened the store before the import holds its old keys: close
    it (``web.bootstrap.bootstrap`` reads the keys once).
    """
    with _Rereadable(source) as lines:
        keys, events = 0, 0
        for item in _parse(lines):
            keys += isinstance(item, tuple)
            events += isinstance(item, _Event)
        lines.rewind()
        preserved = _insert_all(ledger, index, _parse(lines), batch_size)
    return ImportSummary(keys=keys, events=events, positions_preserved=preserved)


def _insert_all(ledger: Application[Any], index: IndexStore, items: Iterator[tuple[str, bytes] | _Event],
                batch_size: int) -> bool:
    recorder = ledger.recorder
    preserved = True
    with _import_transaction(recorder, index) as cursor:
        batch: list[_Event] = []

        def flush() -> None:
            nonlocal preserved
            if not batch:
                return
            stored = [ledger.mapper.to_stored_event(item.event) for item in batch]
            ids = _insert(recorder, cursor, stored, [item.event for item in batch], batch[0].position)
            preserved = preserved and list(ids) == [item.position for item in batch]
            batch.clear()

        for item in items:
            if isinstance(item, tuple):
                name, material = item
                cursor.execute(index.dialect.sql(
                    f"INSERT INTO {KEYS_TABLE} (name, material) VALUES (?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET material = excluded.material"), (name, material))
                continue
            if batch and (len(batch) >= batch_size or item.position != batch[-1].position + 1):
                flush()  # a run of consecutive positions goes in as one insert
            batch.append(item)
        flush()
    return preserved


@contextmanager
def _import_transaction(recorder: Any, index: IndexStore) -> Iterator[Any]:
    """One write transaction, holding the lock every save takes, on a log with no event."""
    if isinstance(recorder, IndexedSQLiteRecorder):
        with index.exclusive() as cursor:  # the writers' file lock, then BEGIN and a first write
            _require_empty(cursor, recorder.events_table_name)
            yield cursor
    elif isinstance(recorder, IndexedPostgresRecorder):
        with index.transaction(commit=True) as cursor:
            recorder._lock_table(typing.cast(Any, cursor))  # first, as every save takes it: the same lock order
            _require_empty(cursor, _pg_table(recorder))
            yield cursor
    else:
        raise TypeError(f"import needs an indexed recorder, got {type(recorder)}")


def _require_empty(cursor: Any, table: str) -> None:
    cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")
    if cursor.fetchone() is not None:
        raise StoreNotEmptyError("the store already has events: import needs a new, empty store")


def _pg_table(recorder: IndexedPostgresRecorder) -> str:
    return f'"{_quoted(recorder.datastore.schema)}"."{_quoted(recorder.events_table_name)}"'


def _insert(recorder: Any, cursor: Any, stored: Sequence[StoredEvent], events: list[Any],
            first_position: int) -> Sequence[int]:
    """Insert one run of events with their read-model rows, on the import's transaction, through
    the same recorder methods a save goes through; returns their notification IDs."""
    if isinstance(recorder, IndexedSQLiteRecorder):
        ids = recorder._insert_events(cursor, stored, saved_events=events)
    else:
        # The next notification ID is the file's position: PostgreSQL's sequence can then
        # reproduce a log with gaps (a rolled-back save consumes IDs), and a retried import
        # starts at 1 again (a rollback does not rewind a sequence). Nothing else inserts while
        # the import holds the table's lock.
        cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'notification_id'), %s, false)",
                       (_pg_table(recorder), first_position))
        recorder._insert_stored_events(cursor, stored)
        ids = recorder._fetch_ids_after_insert_events(cursor, stored, saved_events=events)
    if ids is None or len(ids) != len(stored):
        raise PersistenceError("the recorder did not return a notification ID for every event")
    return ids


def _quoted(identifier: str) -> str:
    return identifier.replace('"', '""')


class _Rereadable:
    """The source, read twice: rewound if it can be, else (a pipe) first copied to an unnamed
    temporary file, private to this process and gone when closed."""

    def __init__(self, source: IO[str]) -> None:
        self._source = source
        self._start: int | None = None
        self._copy: IO[str] | None = None

    def __enter__(self) -> _Rereadable:
        try:
            if self._source.seekable():
                self._start = self._source.tell()
        except (OSError, ValueError):
            self._start = None
        if self._start is None:
            self._copy = tempfile.TemporaryFile("w+", encoding="utf-8")
            for line in iter(self._source.readline, ""):
                self._copy.write(line)
            self._copy.seek(0)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._copy is not None:
            self._copy.close()

    def rewind(self) -> None:
        if self._copy is not None:
            self._copy.seek(0)
        else:
            self._source.seek(self._start or 0)

    def readline(self) -> str:
        return (self._copy or self._source).readline()


def _parse(lines: _Rereadable) -> Iterator[tuple[str, bytes] | _Event]:
    """Every key and event of the file, checked; an ``ImportLineError`` at the first bad line."""
    key_names: set[str] = set()
    versions: dict[UUID, int] = {}
    last_position = 0
    number = 0
    for text in iter(lines.readline, ""):
        number += 1
        if not text.strip():
            continue
        try:
            line = json.loads(text)
        except ValueError as error:
            raise ImportLineError(number, f"not JSON ({error})") from None
        try:
            if isinstance(line, dict) and "key" in line:
                if last_position:
                    raise _Invalid("key lines must come before the first event")
                name, material = _key(line)
                if name in key_names:
                    raise _Invalid(f"key {name!r} is given twice")
                key_names.add(name)
                yield name, material
                continue
            item = _event(line, last_position, versions)
        except _Invalid as error:
            raise ImportLineError(number, str(error)) from None
        last_position = item.position
        yield item


class _Invalid(ValueError):
    pass


def _key(line: dict[str, Any]) -> tuple[str, bytes]:
    _exact_fields(line, KEY_FIELDS, "a key line")
    name, material = line["key"], line["material"]
    if not isinstance(name, str) or not name:
        raise _Invalid("'key' must be a non-empty string")
    if not isinstance(material, str):
        raise _Invalid("'material' must be a base64 string")
    try:
        decoded = b64decode(material.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise _Invalid(f"the material of key {name!r} is not base64") from None
    if not decoded:
        raise _Invalid(f"key {name!r} has no material")
    return name, decoded


def _event(line: Any, last_position: int, versions: dict[UUID, int]) -> _Event:
    if not isinstance(line, dict):
        raise _Invalid("not a JSON object")
    _exact_fields(line, EVENT_FIELDS, "an event line")
    position, version = line["position"], line["version"]
    if not _is_int(position) or position <= last_position:
        raise _Invalid(f"'position' must be an integer greater than the previous line's ({last_position})")
    if not isinstance(line["aggregate_id"], str):
        raise _Invalid("'aggregate_id' must be a UUID string")
    try:
        aggregate_id = UUID(line["aggregate_id"])
    except ValueError:
        raise _Invalid(f"'aggregate_id' is not a UUID: {line['aggregate_id']!r}") from None
    if not _is_int(version) or version < 1:
        raise _Invalid("'version' must be an integer from 1")
    if not isinstance(line["type"], str):
        raise _Invalid("'type' must be a string")
    event_class = _event_class(line["type"])
    cls = event_class.cls
    expected = versions.get(aggregate_id, 0) + 1
    if version != expected:
        if expected == 1:
            raise _Invalid(f"aggregate {aggregate_id} starts at version {version}: its earlier events "
                           "are not in the file (an export made with --since cannot be imported alone)")
        raise _Invalid(f"aggregate {aggregate_id} has version {version} after version {expected - 1}")
    if (version == 1) != issubclass(cls, CanInitAggregate):
        raise _Invalid(f"a {cls.__name__} cannot be version {version} of an aggregate")
    if not isinstance(line["timestamp"], str):
        raise _Invalid("'timestamp' must be an RFC 3339 string")
    try:
        timestamp = parse_instant(line["timestamp"])
    except ValueError as error:
        raise _Invalid(f"'timestamp': {error}") from None
    if not isinstance(line["data"], dict):
        raise _Invalid("'data' must be a JSON object")
    state = {"timestamp": timestamp, **_event_state(event_class, line["data"]),
             "originator_id": aggregate_id, "originator_version": version}
    event: Any = object.__new__(cls)  # as the library's mapper makes events: no __init__, and
    object.__setattr__(event, "__dict__", state)  # absent fields read as the class's defaults
    versions[aggregate_id] = version
    return _Event(position=position, event=event)


def _exact_fields(line: dict[str, Any], names: tuple[str, ...], what: str) -> None:
    missing = [name for name in names if name not in line]
    if missing:
        raise _Invalid(f"{what} needs {', '.join(repr(name) for name in missing)}")
    unknown = sorted(set(line) - set(names))
    if unknown:
        raise _Invalid(f"{what} has no field {', '.join(repr(name) for name in unknown)}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class _EventClass:
    cls: type
    readers: dict[str, Reader]
    required: frozenset[str]
    optional: frozenset[str]


@lru_cache(maxsize=256)
def _event_class_or_error(topic: str) -> _EventClass | str:
    if not topic.startswith(EVENT_MODULE_PREFIX) or ":" not in topic:
        return f"unknown event type {topic!r}"
    try:
        cls = resolve_topic(topic)
        hints = typing.get_type_hints(cls)
    except Exception:  # noqa: BLE001 - any failure to find the class is an unknown type
        return f"unknown event type {topic!r}"
    if not isinstance(cls, type) or not issubclass(cls, AggregateEvent) or not dataclasses.is_dataclass(cls):
        return f"{topic!r} is not an event type"
    fields = [field for field in dataclasses.fields(cls) if field.name not in _OWN_FIELDS]
    required = frozenset(field.name for field in fields if field.default is dataclasses.MISSING
                         and field.default_factory is dataclasses.MISSING)
    readers = {field.name: _reader(hints.get(field.name, Any)) for field in fields}
    return _EventClass(cls, readers, required, frozenset(readers) - required)


def _event_class(topic: str) -> _EventClass:
    found = _event_class_or_error(topic)
    if isinstance(found, str):
        raise _Invalid(found)
    return found


def _event_state(event_class: _EventClass, data: dict[str, Any]) -> dict[str, Any]:
    """The event's fields (but its own three) from their JSON form, typed as its class says."""
    name = event_class.cls.__name__
    missing = sorted(event_class.required - set(data))
    if missing:
        raise _Invalid(f"a {name} needs the field(s) {', '.join(map(repr, missing))}")
    unknown = sorted(set(data) - event_class.required - event_class.optional)
    if unknown:
        raise _Invalid(f"a {name} has no field(s) {', '.join(map(repr, unknown))}")
    readers = event_class.readers
    state = {field: readers[field](value, f"field {field!r}") for field, value in data.items()}
    topic = state.get("originator_topic")
    if topic is not None and not isinstance(_aggregate_class(topic), type):
        raise _Invalid(f"field 'originator_topic': unknown aggregate type {topic!r}")
    return state


@lru_cache(maxsize=64)
def _aggregate_class(topic: str) -> Any:
    if not topic.startswith(EVENT_MODULE_PREFIX):
        return None
    try:
        return resolve_topic(topic)
    except Exception:  # noqa: BLE001
        return None


Reader = Callable[[Any, str], Any]


def _as_is(value: Any, where: str) -> Any:
    return value


@lru_cache(maxsize=256)
def _reader(hint: Any) -> Reader:
    """How to read a JSON value as ``hint`` says (UUIDs and datetimes from their strings), made
    once per type; a reader raises ``_Invalid`` naming ``where`` for a value of another type."""
    origin = typing.get_origin(hint)
    if hint is Any or isinstance(hint, TypeVar):
        return _as_is
    if origin is Union or origin is types.UnionType:
        return _union_reader(hint)
    if hint is UUID:
        return _parsed(UUID, "a UUID string")
    if hint is datetime:
        return _parsed(datetime.fromisoformat, "an RFC 3339 string")
    if hint in (bool, str, int, float):
        return _scalar_reader(hint)
    if hint is list or origin is list:
        item = _reader((typing.get_args(hint) or (Any,))[0])

        def read_list(value: Any, where: str) -> Any:
            if not isinstance(value, list):
                raise _Invalid(f"{where} must be a list")
            return [item(element, where + " item") for element in value]
        return read_list
    if hint is dict or origin is dict:
        entry = _reader((typing.get_args(hint) or (str, Any))[1])

        def read_dict(value: Any, where: str) -> Any:
            if not isinstance(value, dict):
                raise _Invalid(f"{where} must be an object")
            return {key: entry(element, f"{where}[{key!r}]") for key, element in value.items()}
        return read_dict

    def unreadable(value: Any, where: str) -> Any:
        raise _Invalid(f"{where} has a type ({_name(hint)}) an import cannot restore")
    return unreadable


def _union_reader(hint: Any) -> Reader:
    options = [_reader(option) for option in typing.get_args(hint) if option is not type(None)]
    nullable = type(None) in typing.get_args(hint)

    def read_union(value: Any, where: str) -> Any:
        if value is None and nullable:
            return None
        for option in options:
            try:
                return option(value, where)
            except _Invalid:
                continue
        raise _Invalid(f"{where} must be {_name(hint)}")
    return read_union


def _parsed(parse: Callable[[str], Any], what: str) -> Reader:
    def read_parsed(value: Any, where: str) -> Any:
        if isinstance(value, str):
            try:
                return parse(value)
            except ValueError:
                pass
        raise _Invalid(f"{where} must be {what}")
    return read_parsed


def _scalar_reader(hint: type) -> Reader:
    what = {bool: "true or false", str: "a string", int: "an integer", float: "a number"}[hint]
    accepted: tuple[type, ...] = (int, float) if hint is float else (hint,)
    refused: tuple[type, ...] = () if hint is bool else (bool,)

    def read_scalar(value: Any, where: str) -> Any:
        if isinstance(value, accepted) and not isinstance(value, refused):
            return value
        raise _Invalid(f"{where} must be {what}")
    return read_scalar


def _name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint)
