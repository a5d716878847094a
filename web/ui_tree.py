"""What the audit page draws: a token's family as a tree of nodes, each with its status at the
instant viewed, and its timeline as rows of plain text."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from tokenledger.application.audit import HistoryEntry
from tokenledger.application.formats import go_time, plain
from tokenledger.application.ports import RegisteredToken
from tokenledger.domain.clock import parse_instant
from tokenledger.domain.errors import InvalidRequest
from tokenledger.domain.token_view import TokenStatus
from tokenledger.projections.audit_tree import Family, status_at


@dataclass
class Node:
    record: RegisteredToken
    status: TokenStatus
    focus: bool = False
    children: list[Node] = field(default_factory=list)

    @property
    def ended(self) -> bool:
        return self.status.ended

    @property
    def ended_time(self) -> str | None:
        return go_time(self.record.ended_at) if self.ended else None


@dataclass(frozen=True)
class TimelineRow:
    version: int
    type: str
    time: str
    just_before: str
    actor_accessor: str
    remote_addr: str
    changes: list[tuple[str, str]]
    after_instant: bool


def tree_of(family: Family, instant: datetime | None, *, focus_exists: bool = True,
            focus_status: TokenStatus | None = None) -> Node | None:
    """The topmost ancestor shown, down the chain to the token and on to its descendants.
    A token that did not exist yet at the instant is left out, with everything below it."""
    focus = Node(family.token, focus_status or status_at(family.token, instant), focus=True)
    by_id: dict[UUID, Node] = {family.token.token_id: focus}
    for record in family.descendants:
        parent = by_id.get(record.parent_id) if record.parent_id else None
        if parent is not None:
            node = Node(record, status_at(record, instant))
            parent.children.append(node)
            by_id[record.token_id] = node
    top: Node | None = focus if focus_exists else None
    for record in family.ancestors:
        top = Node(record, status_at(record, instant), children=[top] if top else [])
    return top


def timeline_of(entries: list[HistoryEntry], instant: datetime | None) -> list[TimelineRow]:
    return [TimelineRow(
        version=entry.version, type=entry.type, time=go_time(entry.time) or "",
        just_before=go_time(_just_before(entry.time)) or "",
        actor_accessor=entry.actor_accessor, remote_addr=entry.remote_addr,
        changes=[(key, _shown(value)) for key, value in sorted(entry.changes.items())
                 if value not in (None, "", [], (), {})],
        after_instant=instant is not None and entry.time > instant,
    ) for entry in entries]


def parse_as_of(text: str) -> datetime | None:
    """``as_of`` as RFC 3339, or as an ``<input type="datetime-local">`` sends it (no time zone:
    taken as UTC); empty is now."""
    text = text.strip()
    if not text:
        return None
    try:
        instant = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise InvalidRequest("the instant must look like 2026-11-23T10:00:05Z (UTC)") from None
    if instant.tzinfo is None:
        return instant.replace(tzinfo=UTC)
    return parse_instant(instant.isoformat(), "the instant")


def local_input_value(instant: datetime | None) -> str:
    """The instant as a datetime-local field shows it, in UTC to the millisecond."""
    if instant is None:
        return ""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def _just_before(instant: datetime) -> datetime:
    return instant - timedelta(microseconds=1)


def _shown(value: object) -> str:
    value = plain(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)
