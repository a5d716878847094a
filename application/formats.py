"""How the API and the command line write what they share: times as Go writes them, and the
auditors' answers (a token's history, pages of token summaries). Plain data for JSON, no HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from tokenledger.application.audit import HistoryEntry, Page
from tokenledger.application.ports import RegisteredToken


def go_time(instant: datetime | None) -> str | None:
    """RFC 3339 with fractional seconds trimmed of trailing zeros, as Go encodes a time."""
    if instant is None:
        return None
    text = instant.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    return text.rstrip("0").rstrip(".") + "Z"


def history_entry(entry: HistoryEntry) -> dict[str, Any]:
    return {"version": entry.version, "type": entry.type, "time": go_time(entry.time),
            "actor_accessor": entry.actor_accessor, "remote_addr": entry.remote_addr,
            "changes": {key: plain(value) for key, value in entry.changes.items()}}


def token_page(page: Page) -> dict[str, Any]:
    records: list[RegisteredToken] = page.items
    return {"keys": [record.accessor for record in records],
            "key_info": {record.accessor: token_summary(record) for record in records},
            "total": page.total, "next_after": page.next_after}


def token_summary(record: RegisteredToken) -> dict[str, Any]:
    return {"display_name": record.display_name, "policies": list(record.policies),
            "role": record.role_name, "path": record.path, "creator_accessor": record.creator_accessor,
            "creation_time": go_time(record.created_at), "expire_time": go_time(record.expire_at),
            "status": record.status, "ended_time": go_time(record.ended_at)}


def plain(value: Any) -> Any:
    """A recorded value as JSON can carry it."""
    if isinstance(value, UUID):
        return value.hex
    if isinstance(value, datetime):
        return go_time(value)
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value
