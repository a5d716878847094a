"""The ledger as a file of JSON lines: export it, import it into a new store, and check that the
configured cipher key reads it.

The file (UTF-8, one JSON object a line, ASCII-only as written) has two kinds of line:

* **Key lines**, first, unless exported without keys: one per row of the store's ``ledger_keys``
  table, ``{"key": "token-hmac", "material": "<base64>"}``. ``token-hmac`` hashes token values
  (without it an imported token cannot be looked up by value, only by accessor) and
  ``batch-token-aes-gcm`` seals batch tokens. A file with keys is as sensitive as the store.
* **Event lines**, in log order::

    {"position": 17, "aggregate_id": "8c4f...-...", "version": 3,
     "type": "tokenledger.domain.token_events:TokenRenewed", "timestamp": "2026-01-02T03:04:05.123456Z",
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

import json
from base64 import b64encode
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import MapperDeserialisationError, Notification, PersistenceError
from eventsourcing.utils import get_topic, resolve_topic

from tokenledger.projections.event_fields import InvalidField, event_class, event_state
from tokenledger.projections.read_model_store import KEYS_TABLE, ReadModelStore

BATCH_SIZE = 1000
EVENT_FIELDS = ("position", "aggregate_id", "version", "type", "timestamp", "data")
KEY_FIELDS = ("key", "material")


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


def export_ledger(ledger: Application[Any], index: ReadModelStore, out: IO[str], *,
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


def read_keys(index: ReadModelStore) -> list[tuple[str, bytes]]:
    with index.transaction(commit=False) as cursor:
        cursor.execute(index.dialect.sql(f"SELECT name, material FROM {KEYS_TABLE} ORDER BY name"))
        return [(row["name"], bytes(row["material"])) for row in cursor.fetchall()]


def event_line(notification: Notification, event: Any) -> dict[str, Any]:
    """The JSON line of one event; a ``LedgerFileError`` if the line would not read back as the
    same event (a field whose value its class's annotations cannot restore)."""
    state = dict(vars(event))
    if "originator_topic" in state:  # a ledger written before the package rename names the old module
        state["originator_topic"] = get_topic(resolve_topic(state["originator_topic"]))
    where = f"event at position {notification.id}"
    line = {
        "position": notification.id,
        "aggregate_id": str(state.pop("originator_id")),
        "version": state.pop("originator_version"),
        "type": get_topic(type(event)),
        "timestamp": format_instant(state.pop("timestamp")),
        "data": {name: _to_json(value, f"{where}, field {name!r}") for name, value in state.items()},
    }
    try:
        restored = event_state(event_class(line["type"]), line["data"])
    except InvalidField as error:
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
