"""Importing a ledger file (see ``tokenledger.projections.ledger_file`` for its format) into a new store:
every line is validated first, then everything is inserted in one transaction."""

from __future__ import annotations

import binascii
import json
import tempfile
from base64 import b64decode
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import CanInitAggregate
from eventsourcing.persistence import PersistenceError, StoredEvent

from tokenledger.adapters.eventsourcing import event_from_state
from tokenledger.projections.event_fields import InvalidField, event_class, event_state
from tokenledger.projections.ledger_file import (
    BATCH_SIZE,
    EVENT_FIELDS,
    KEY_FIELDS,
    ImportLineError,
    ImportSummary,
    StoreNotEmptyError,
    parse_instant,
)
from tokenledger.projections.ledger_recorder import LedgerRecorder
from tokenledger.projections.read_model_store import KEYS_TABLE, ReadModelStore


@dataclass(frozen=True)
class _Event:
    position: int
    event: Any


def import_ledger(ledger: Application[Any], index: ReadModelStore, source: IO[str],
                  batch_size: int = BATCH_SIZE) -> ImportSummary:
    """Restore an export into this store, which must have no event yet.

    First every line is checked (an ``ImportLineError`` names the first bad one); then, in one
    transaction, the events are re-created, encoded by this store's mapper (so encrypted with
    its key, if any), inserted through its recorder with their read-model rows, and the file's
    keys replace the store's. Any failure rolls it all back. A ``StoreNotEmptyError`` if the log
    has an event. Any process that opened the store before the import holds its old keys: close
    it (``tokenledger.wiring.bootstrap.bootstrap`` reads the keys once).
    """
    with _Rereadable(source) as lines:
        keys, events = 0, 0
        for item in _parse(lines):
            keys += isinstance(item, tuple)
            events += isinstance(item, _Event)
        lines.rewind()
        preserved = _insert_all(ledger, index, _parse(lines), batch_size)
    return ImportSummary(keys=keys, events=events, positions_preserved=preserved)


def _insert_all(ledger: Application[Any], index: ReadModelStore, items: Iterator[tuple[str, bytes] | _Event],
                batch_size: int) -> bool:
    recorder = ledger.recorder
    if not isinstance(recorder, LedgerRecorder):
        raise TypeError(f"import needs a ledger recorder, got {type(recorder)}")
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
def _import_transaction(recorder: LedgerRecorder, index: ReadModelStore) -> Iterator[Any]:
    """One write transaction, holding the lock every save takes, on a log with no event."""
    with recorder.import_transaction(index) as cursor:
        cursor.execute(index.dialect.sql(f"SELECT 1 FROM {recorder.events_table().name} LIMIT 1"))
        if cursor.fetchone() is not None:
            raise StoreNotEmptyError("the store already has events: import needs a new, empty store")
        yield cursor


def _insert(recorder: LedgerRecorder, cursor: Any, stored: Sequence[StoredEvent], events: list[Any],
            first_position: int) -> Sequence[int]:
    """Insert one run of events with their read-model rows, on the import's transaction, through
    the same recorder methods a save goes through; returns their notification IDs."""
    ids = recorder.insert_imported(cursor, stored, events, first_position)
    if ids is None or len(ids) != len(stored):
        raise PersistenceError("the recorder did not return a notification ID for every event")
    return ids


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
                    raise InvalidField("key lines must come before the first event")
                name, material = _key(line)
                if name in key_names:
                    raise InvalidField(f"key {name!r} is given twice")
                key_names.add(name)
                yield name, material
                continue
            item = _event(line, last_position, versions)
        except InvalidField as error:
            raise ImportLineError(number, str(error)) from None
        last_position = item.position
        yield item


def _key(line: dict[str, Any]) -> tuple[str, bytes]:
    _exact_fields(line, KEY_FIELDS, "a key line")
    name, material = line["key"], line["material"]
    if not isinstance(name, str) or not name:
        raise InvalidField("'key' must be a non-empty string")
    if not isinstance(material, str):
        raise InvalidField("'material' must be a base64 string")
    try:
        decoded = b64decode(material.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise InvalidField(f"the material of key {name!r} is not base64") from None
    if not decoded:
        raise InvalidField(f"key {name!r} has no material")
    return name, decoded


def _event(line: Any, last_position: int, versions: dict[UUID, int]) -> _Event:
    if not isinstance(line, dict):
        raise InvalidField("not a JSON object")
    _exact_fields(line, EVENT_FIELDS, "an event line")
    position, version = line["position"], line["version"]
    if not _is_int(position) or position <= last_position:
        raise InvalidField(f"'position' must be an integer greater than the previous line's ({last_position})")
    if not isinstance(line["aggregate_id"], str):
        raise InvalidField("'aggregate_id' must be a UUID string")
    try:
        aggregate_id = UUID(line["aggregate_id"])
    except ValueError:
        raise InvalidField(f"'aggregate_id' is not a UUID: {line['aggregate_id']!r}") from None
    if not _is_int(version) or version < 1:
        raise InvalidField("'version' must be an integer from 1")
    if not isinstance(line["type"], str):
        raise InvalidField("'type' must be a string")
    kind = event_class(line["type"])
    cls = kind.cls
    expected = versions.get(aggregate_id, 0) + 1
    if version != expected:
        if expected == 1:
            raise InvalidField(f"aggregate {aggregate_id} starts at version {version}: its earlier events "
                           "are not in the file (an export made with --since cannot be imported alone)")
        raise InvalidField(f"aggregate {aggregate_id} has version {version} after version {expected - 1}")
    if (version == 1) != issubclass(cls, CanInitAggregate):
        raise InvalidField(f"a {cls.__name__} cannot be version {version} of an aggregate")
    if not isinstance(line["timestamp"], str):
        raise InvalidField("'timestamp' must be an RFC 3339 string")
    try:
        timestamp = parse_instant(line["timestamp"])
    except ValueError as error:
        raise InvalidField(f"'timestamp': {error}") from None
    if not isinstance(line["data"], dict):
        raise InvalidField("'data' must be a JSON object")
    state = {"timestamp": timestamp, **event_state(kind, line["data"]),
             "originator_id": aggregate_id, "originator_version": version}
    versions[aggregate_id] = version
    return _Event(position=position, event=event_from_state(cls, state))


def _exact_fields(line: dict[str, Any], names: tuple[str, ...], what: str) -> None:
    missing = [name for name in names if name not in line]
    if missing:
        raise InvalidField(f"{what} needs {', '.join(repr(name) for name in missing)}")
    unknown = sorted(set(line) - set(names))
    if unknown:
        raise InvalidField(f"{what} has no field {', '.join(repr(name) for name in unknown)}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
