"""Tamper evidence: one hash chain over the whole log, in notification-ID order.

``hash_n = SHA-256(hash_p || encode(n, event))``, where ``p`` is the chain's previous position
(the positions are the notification IDs, which may have gaps on PostgreSQL) and the hash before
the chain's first entry is 32 zero bytes. The recorders append each save's links in the events'
transaction (``append``); ``verify_chain`` recomputes them.

The chain's first link is its genesis: an entry holding ``GENESIS`` at the position of the last
event recorded before the chain (0 for a store chained from its creation), written with the
store's tables together with a row of ``ledger_genesis`` naming that position. Events up to it
carry no entry, and ``verify_chain`` counts them instead of checking them; every later event
must be chained, so emptying the chain table no longer switches the chain off. A store older
than genesis records gets its genesis when it is next opened (``create_table``); until then it
verifies as before, its chain starting at its first entry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from eventsourcing.persistence import DatabaseError, Notification, StoredEvent

from tokenledger.projections.dialect import Dialect
from tokenledger.projections.read_model_store import Cursor

TABLE = "ledger_chain"
GENESIS_TABLE = "ledger_genesis"
GENESIS = bytes(32)
Link = tuple[int, bytes]


@dataclass(frozen=True)
class EventsTable:
    """Where a store keeps its log: the table, and the column of the notification IDs."""

    name: str
    position: str


@dataclass(frozen=True)
class Genesis:
    """The store's genesis record: ``position`` is where its chain starts, None if the table
    that records it has lost its row."""

    position: int | None


class ChainError(DatabaseError):
    """The chain cannot take a save's events: the log lost events the chain already covers."""


def encode(position: int, event: StoredEvent) -> bytes:
    """Every field length-prefixed (8 bytes, big-endian), so different fields never encode alike."""
    fields = (
        position.to_bytes(8, "big", signed=True),
        str(event.originator_id).encode(),
        event.originator_version.to_bytes(8, "big", signed=True),
        event.topic.encode(),
        bytes(event.state),
    )
    return b"".join(len(field).to_bytes(8, "big") + field for field in fields)


def link(previous: bytes, position: int, event: StoredEvent) -> bytes:
    if len(previous) != len(GENESIS):
        raise ValueError(f"a chain hash is {len(GENESIS)} bytes, got {len(previous)}")
    return hashlib.sha256(previous + encode(position, event)).digest()


# -- the table, on the caller's cursor ---------------------------------------------------------


def create_table(cursor: Cursor, dialect: Dialect, events: EventsTable) -> None:
    """Create the chain's tables; the first time, record the genesis (see the module's doc).
    Run it under the store's DDL lock, in one transaction."""
    integer = "INTEGER" if dialect.name == "sqlite" else "BIGINT"  # SQLite: the rowid itself
    recorded = table_exists(cursor, dialect, GENESIS_TABLE)
    cursor.execute(f"CREATE TABLE IF NOT EXISTS {_qualified(dialect, TABLE)} "
                   f"(position {integer} PRIMARY KEY, hash {dialect.bytes_type} NOT NULL)")
    cursor.execute(f"CREATE TABLE IF NOT EXISTS {_qualified(dialect, GENESIS_TABLE)} (position BIGINT PRIMARY KEY)")
    if not recorded:
        start = _chain_start(cursor, dialect, events)
        cursor.execute(dialect.sql(f"INSERT INTO {GENESIS_TABLE} (position) VALUES (?)"), (start,))
        cursor.execute(dialect.sql(f"INSERT INTO {TABLE} (position, hash) VALUES (?, ?)"), (start, GENESIS))


def _chain_start(cursor: Cursor, dialect: Dialect, events: EventsTable) -> int:
    """Just before the chain's first entry, where an older store has one; else after the log."""
    cursor.execute(dialect.sql(f"SELECT MIN(position) AS first FROM {TABLE}"))
    first = cursor.fetchone()["first"]
    if first is not None:
        return int(first) - 1
    cursor.execute(dialect.sql(f"SELECT MAX({events.position}) AS last FROM {events.name}"))
    last = cursor.fetchone()["last"]
    return 0 if last is None else int(last)


def _qualified(dialect: Dialect, table: str) -> str:
    return '"' + dialect.schema.replace('"', '""') + f'".{table}' if dialect.schema else table


def table_exists(cursor: Cursor, dialect: Dialect, table: str) -> bool:
    if dialect.name == "sqlite":
        cursor.execute("SELECT COUNT(*) AS present FROM sqlite_master WHERE type = 'table' AND name = ?", (table,))
    else:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL AS present", (_qualified(dialect, table),))
    return bool(cursor.fetchone()["present"])


def genesis(cursor: Cursor, dialect: Dialect) -> Genesis | None:
    """The store's genesis record; None for a store older than genesis records."""
    if not table_exists(cursor, dialect, GENESIS_TABLE):
        return None
    cursor.execute(dialect.sql(f"SELECT MIN(position) AS position FROM {GENESIS_TABLE}"))
    position = cursor.fetchone()["position"]
    return Genesis(None if position is None else int(position))


HEAD = f"SELECT position, hash FROM {TABLE} ORDER BY position DESC LIMIT 1"
HeadReader = Callable[[], "Link | None"]


def head(cursor: Cursor, dialect: Dialect) -> Link | None:
    cursor.execute(dialect.sql(HEAD))
    return head_of(cursor.fetchone())


def head_of(row: Any) -> Link | None:
    """The link in a row of ``HEAD``'s answer (``None``: the chain is empty)."""
    return None if row is None else (int(row["position"]), bytes(row["hash"]))


def links(cursor: Cursor, dialect: Dialect, after: int, stop: int, limit: int) -> list[Link]:
    """The entries with ``after < position <= stop``, in order, at most ``limit`` of them."""
    cursor.execute(
        dialect.sql(f"SELECT position, hash FROM {TABLE} WHERE position > ? AND position <= ? "
                    "ORDER BY position LIMIT ?"),
        (after, stop, limit),
    )
    return [(int(row["position"]), bytes(row["hash"])) for row in cursor.fetchall()]


def append(cursor: Cursor, dialect: Dialect, events: Sequence[StoredEvent], positions: Sequence[int],
           read_head: HeadReader | None = None) -> None:
    """Chain one insert's events, paired with their notification IDs, after the current head
    (read by ``read_head`` where the store has it read already, in the insert's round trip).

    Run it on the insert's transaction, after the events: writers are serialised by then."""
    if len(positions) != len(events):
        raise ChainError(f"{len(events)} events came back with {len(positions)} notification IDs")
    if not events:
        return
    last = read_head() if read_head is not None else head(cursor, dialect)
    previous, last_position = (GENESIS, 0) if last is None else (last[1], last[0])
    rows: list[Link] = []
    for position, event in sorted(zip(positions, events, strict=True), key=lambda pair: pair[0]):
        if position <= last_position:
            raise ChainError(f"the hash chain already covers position {position}: events were removed "
                             "from the end of the log (run `tokenledger ledger verify`)")
        previous, last_position = link(previous, position, event), position
        rows.append((position, previous))
    cursor.executemany(dialect.sql(f"INSERT INTO {TABLE} (position, hash) VALUES (?, ?)"), rows)


# -- verification ------------------------------------------------------------------------------


class ChainedRecorder(Protocol):
    def select_notifications(self, start: int | None, limit: int, stop: int | None = None,
                             topics: Sequence[str] = (), *, inclusive_of_start: bool = True
                             ) -> Sequence[Notification]: ...
    def max_notification_id(self) -> int | None: ...
    def chain_head(self) -> Link | None: ...
    def chain_links(self, after: int, stop: int, limit: int) -> list[Link]: ...
    def chain_genesis(self) -> Genesis | None: ...


@dataclass
class ChainReport:
    verified: int = 0
    unchained: int = 0  # events before the chain's first entry
    genesis: int | None = None  # where the chain starts, if the store recorded it
    start: int | None = None  # position of the chain's first entry after its genesis
    head: int | None = None  # last position verified
    head_hash: bytes = GENESIS
    problem: str | None = None  # the first one found: verification stops there

    @property
    def intact(self) -> bool:
        return self.problem is None

    def lines(self) -> list[str]:
        lines = []
        if self.unchained:
            before = f" before position {self.start}" if self.start is not None else ""
            lines.append(f"{self.unchained} events{before} carry no chain entries "
                         "(recorded before the chain existed)")
        if self.problem is not None:
            lines.append(self.problem)
            if self.head is not None:
                lines.append(f"the chain holds up to position {self.head} (hash {self.head_hash.hex()})")
        elif self.head is None:
            lines.append("chain intact: no event is chained yet")
        else:
            lines.append(f"chain intact: {self.verified} events from position {self.start} to {self.head}; "
                         f"head hash {self.head_hash.hex()}")
        return lines


def verify_chain(recorder: ChainedRecorder, batch_size: int = 1000) -> ChainReport:
    """Recompute the chain over the log as it stands now, stopping at the first problem.

    Reads run in windows of positions, each bounded by ``batch_size`` events and entries; the
    upper bound is fixed first, so saves committed meanwhile (events and entries together) are
    left for the next run.
    """
    last = recorder.chain_head()
    stop = max(recorder.max_notification_id() or 0, last[0] if last else 0)
    report, after = ChainReport(), 0
    _check_genesis(recorder, report)
    while after < stop and report.intact:
        events = recorder.select_notifications(after, batch_size, stop, inclusive_of_start=False)
        upper = events[-1].id if len(events) == batch_size else stop
        entries = recorder.chain_links(after, upper, batch_size)
        if len(entries) == batch_size:
            upper = entries[-1][0]
        mismatch = _check_window(report, {e.id: e for e in events if e.id <= upper}, dict(entries))
        if mismatch is not None:
            report.problem = _explain(report, mismatch, recorder.chain_links(mismatch.id - 1, stop, batch_size))
        after = upper
    return report


def _check_genesis(recorder: ChainedRecorder, report: ChainReport) -> None:
    """A store that recorded where its chain starts must still hold that first link."""
    genesis = recorder.chain_genesis()
    if genesis is None:
        return
    if genesis.position is None:
        report.problem = (f"the store's genesis record is missing ({GENESIS_TABLE} is empty): "
                          "the start of its hash chain was removed")
        return
    report.genesis = genesis.position
    first = recorder.chain_links(genesis.position - 1, genesis.position, 1)
    if first != [(genesis.position, GENESIS)]:
        state = "altered" if first else "missing"
        report.problem = (f"the chain's genesis link at position {genesis.position} is {state}: "
                          "chain entries were removed or rewritten")


def _check_window(report: ChainReport, events: dict[int, Notification], stored: dict[int, bytes]
                  ) -> Notification | None:
    """Check the window's positions in order; return the first event that does not link."""
    for position in sorted(events.keys() | stored.keys()):
        event, expected = events.get(position), stored.get(position)
        if report.genesis is not None and position <= report.genesis:
            report.unchained += event is not None  # its link, if any, is the genesis, checked first
            continue
        if expected is not None and report.start is None:
            report.start = position
        if expected is None:
            assert event is not None
            if report.start is None and report.genesis is None:
                report.unchained += 1
                continue
            report.problem = f"event at position {position} ({_about(event)}) has no chain entry: " \
                             "inserted outside the ledger"
            return None
        if event is None:
            report.problem = f"event at position {position} is missing"
            return None
        if link(report.head_hash, position, event) != expected:
            return event
        report.verified, report.head, report.head_hash = report.verified + 1, position, expected
    return None


def _explain(report: ChainReport, event: Notification, ahead: list[Link]) -> str:
    """An event moved from a later position still links there (``ahead`` starts at the event's
    own entry); else say what the mismatch can mean (on PostgreSQL, rolled-back saves leave gaps
    in the positions, so a gap is only a hint)."""
    for (_, previous), (other, expected) in zip(ahead, ahead[1:], strict=False):
        if link(previous, other, event) == expected:
            return f"event at position {event.id} ({_about(event)}) was chained at position {other}: reordered"
    message = f"event at position {event.id} ({_about(event)}) does not match its hash: altered or reordered"
    if report.head is None and report.unchained:
        return message + ", or the chain entries before it were removed"
    if report.head is not None and report.head != event.id - 1:
        return message + f", or chained events between positions {report.head} and {event.id} were removed"
    return message


def _about(event: StoredEvent) -> str:
    return f"aggregate {event.originator_id}, version {event.originator_version}"
