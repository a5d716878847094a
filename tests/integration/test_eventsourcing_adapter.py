"""Every assumption ``tokenledger.adapters.eventsourcing`` makes about the eventsourcing
library, checked against the installed version: private names exist with the signatures the
adapter calls or overrides, and behave as it relies on. A failure names the assumption, so an
upgrade of the library says what to change in the adapter (and only there).

In memory: the round trips use an in-memory SQLite database; PostgreSQL's insert path runs on
a fake connection (the integration tier runs it on a real server).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import Aggregate, BaseAggregate
from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, Mapper, StoredEvent, Transcoder, UUIDAsHex
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore
from eventsourcing.utils import get_topic, resolve_topic

from tokenledger.adapters import eventsourcing as adapter
from tokenledger.adapters.eventsourcing import (
    PostgresRecorderHooks,
    ProjectingApplication,
    SQLiteRecorderHooks,
    aggregate_at,
    create_aggregate,
    event_from_state,
    sqlite_database,
)
from tokenledger.application.ledger import project_events
from tokenledger.domain.token_events import TokenCreated
from tokenledger.projections.ledger_recorder import LedgerRecorder
from tokenledger.projections.postgres_store import IndexedPostgresRecorder
from tokenledger.projections.sqlite_store import IndexedSQLiteRecorder

LIBRARY = f"eventsourcing {version('eventsourcing')}"
NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


@contextmanager
def assumption(text: str) -> Iterator[None]:
    """Fail with the assumption's text if anything in the block does not hold."""
    try:
        yield
    except Exception as error:
        pytest.fail(f"tokenledger/adapters/eventsourcing.py assumes that {text}; with {LIBRARY} "
                    f"it does not\n    ({type(error).__name__}: {error})", pytrace=False)


def parameters(function: Callable[..., Any]) -> list[tuple[str, Any]]:
    """(name, kind) of each parameter, ``self`` and ``cls`` left out."""
    return [(p.name, p.kind) for p in inspect.signature(function).parameters.values() if p.name not in ("self", "cls")]


POSITIONAL, KEYWORD, EXTRA = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY,
                              inspect.Parameter.VAR_KEYWORD)


# -- a small model to run the library with -------------------------------------------------------


class Opened(Aggregate.Created):
    label: str


class Bumped(Aggregate.Event):
    by: int
    note: str = "none"  # added later: older stored events lack it

    def apply(self, aggregate: Any) -> None:
        aggregate.count += self.by


class Counter(Aggregate):
    def __init__(self, label: str) -> None:
        self.label = label
        self.count = 0

    def bump(self, by: int) -> None:
        self.trigger_event(Bumped, by=by, timestamp=NOW)


class ProbeSQLiteRecorder(SQLiteRecorderHooks, SQLiteApplicationRecorder):
    """What the hooks call, recorded: in place of ``LedgerRecorder``."""

    def __init__(self, datastore: SQLiteDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.calls: list[tuple[str, Any]] = []

    def inserting(self, cursor: Any, stored_events: Sequence[StoredEvent]) -> AbstractContextManager[None]:
        self.calls.append(("inserting", len(stored_events)))
        return nullcontext()

    def events_inserted(self, cursor: Any, stored_events: Sequence[StoredEvent], notification_ids: Sequence[int],
                        saved_events: Sequence[Any] | None) -> None:
        cursor.execute(f"SELECT COUNT(*) FROM {self.events_table_name}")
        self.calls.append(("events_inserted", (list(notification_ids), saved_events, cursor.fetchone()[0])))


class CounterApp(ProjectingApplication):
    snapshotting_intervals = {Counter: 2}
    snapshotting_projectors = {Counter: project_events}

    def __init__(self) -> None:
        super().__init__({"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:",
                          "APPLICATION_RECORDER_TOPIC": get_topic(ProbeSQLiteRecorder)})
        self.recorded_calls: list[list[int]] = []

    def recorded(self, recordings: Any) -> None:
        self.recorded_calls.append([recording.notification.id for recording in recordings])


@pytest.fixture
def app() -> Iterator[CounterApp]:
    application = CounterApp()
    try:
        yield application
    finally:
        application.close()


def probe(app: CounterApp) -> ProbeSQLiteRecorder:
    assert isinstance(app.recorder, ProbeSQLiteRecorder)
    return app.recorder


# -- topics --------------------------------------------------------------------------------------


def test_old_package_and_class_topics_resolve_to_the_classes_of_today() -> None:
    with assumption("register_topic(old_package, module) makes resolve_topic map every topic under that "
                    "package name onto the module of the same name in the new package"):
        assert resolve_topic("domain.token_events:TokenCreated") is TokenCreated
    with assumption("register_topic(old_topic, cls) makes resolve_topic(old_topic) give the class"):
        for old_topic, cls in adapter.MOVED_CLASSES.items():
            assert resolve_topic(old_topic) is cls
    with assumption("get_topic(cls) is the class's own module and qualname, whatever old topic maps onto it"):
        assert get_topic(TokenCreated) == "tokenledger.domain.token_events:TokenCreated"


# -- aggregates ----------------------------------------------------------------------------------


def test_create_aggregate_makes_an_aggregate_from_its_first_event() -> None:
    with assumption("the class method BaseAggregate._create takes (event_class, *, id=None, **kwargs)"):
        assert parameters(BaseAggregate._create) == [("event_class", POSITIONAL), ("id", KEYWORD),
                                                     ("kwargs", EXTRA)]
    counter_id = uuid4()
    with assumption("_create(event_class, id=..., timestamp=..., **fields) returns the aggregate at version 1, "
                    "made by that one event (pending), whose originator_topic is the aggregate class's topic"):
        counter = create_aggregate(Counter, Opened, id=counter_id, timestamp=NOW, label="a")
        assert (counter.id, counter.version, counter.label, counter.created_on) == (counter_id, 1, "a", NOW)
        [event] = counter.collect_events()
        assert type(event) is Opened and event.originator_topic == get_topic(Counter)
        assert (event.originator_id, event.originator_version, event.timestamp) == (counter_id, 1, NOW)


def test_aggregate_at_stands_an_aggregate_at_a_version_without_its_events() -> None:
    counter_id = uuid4()
    with assumption("an aggregate keeps its ID, version and pending events in _id, _version and "
                    "_pending_events, read by .id, .version and collect_events()"):
        counter = aggregate_at(Counter, counter_id, 7)
        assert (counter.id, counter.version, list(counter.collect_events())) == (counter_id, 7, [])
    with assumption("trigger_event on such an aggregate records the next version"):
        counter.count = 0
        counter.bump(2)
        [event] = counter.collect_events()
        assert (event.originator_id, event.originator_version, counter.version) == (counter_id, 8, 8)


def test_event_from_state_makes_the_event_the_mapper_makes() -> None:
    mapper: Mapper[UUID] = Mapper(transcoder=_transcoder())
    counter_id = uuid4()
    stored = StoredEvent(originator_id=counter_id, originator_version=2, topic=get_topic(Bumped),
                         state=b'{"timestamp": {"_type_": "datetime_iso", "_data_": "2030-01-02T03:04:05+00:00"}, '
                               b'"by": 3}')
    with assumption("Mapper.to_domain_event builds an event without __init__, its __dict__ the decoded "
                    "state, so a field missing from an older stored event reads as the class's default"):
        decoded: Any = mapper.to_domain_event(stored)
        assert vars(decoded) == {"timestamp": NOW, "by": 3, "originator_id": counter_id, "originator_version": 2}
        assert decoded.note == "none"
    with assumption("an event built as the mapper builds one is the same event"):
        rebuilt = event_from_state(Bumped, dict(vars(decoded)))
        assert type(rebuilt) is Bumped and rebuilt == decoded and rebuilt.note == "none"
    with assumption("Mapper.to_stored_event of such an event stores its state as the original's"):
        assert mapper.to_stored_event(rebuilt).state == mapper.to_stored_event(decoded).state
    with assumption("a Mapper holds its cipher as .cipher (None without one)"):
        assert mapper.cipher is None


def _transcoder() -> Transcoder:
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DatetimeAsISO())
    return transcoder


# -- the application -----------------------------------------------------------------------------


def test_the_application_methods_a_save_is_made_of_are_there() -> None:
    with assumption("Application._record(processing_event), _take_snapshots(processing_event) and "
                    "_notify(recordings) are the steps of Application.save"):
        assert parameters(Application._record) == [("processing_event", POSITIONAL)]
        assert parameters(Application._take_snapshots) == [("processing_event", POSITIONAL)]
        assert parameters(Application._notify) == [("recordings", POSITIONAL)]
    with assumption("ProcessingEvent() holds .events (a list), .aggregates (a dict) and .saved_kwargs (a dict)"):
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        assert (processing_event.events, processing_event.aggregates, processing_event.saved_kwargs) == ([], {}, {})


def test_a_save_hands_its_events_to_the_recorder_and_takes_snapshots(app: CounterApp) -> None:
    counter = create_aggregate(Counter, Opened, id=uuid4(), timestamp=NOW, label="a")
    with assumption("Application._record puts the events with processing_event.saved_kwargs, which reach "
                    "the recorder's insert_events and then its _insert_events, in the insert's transaction"):
        recordings = app.save(counter)
        [inserting, (name, (ids, saved_events, events_in_transaction))] = probe(app).calls
        assert inserting == ("inserting", 1) and name == "events_inserted"
        assert [type(event) for event in saved_events] == [Opened] and events_in_transaction == 1
        assert ids == [recording.notification.id for recording in recordings] == [1]
        assert app.recorded_calls == [[1]]
    with assumption("_take_snapshots takes a snapshot when a saved event's version is a multiple of the "
                    "aggregate's snapshotting_intervals, projecting it with snapshotting_projectors"):
        counter.bump(5)
        app.save(counter)
        assert app.snapshots is not None
        [snapshot] = app.snapshots.get(counter.id)
        assert snapshot.originator_version == 2 and snapshot.state["count"] == 5  # type: ignore[attr-defined]
    with assumption("repository.get(id, projector_func=...) rebuilds the aggregate with the given projector"):
        assert app.repository.get(counter.id, projector_func=project_events).count == 5


# -- recorders -----------------------------------------------------------------------------------


def test_sqlite_inserts_go_through_the_overridden_private_method(app: CounterApp) -> None:
    with assumption("SQLiteApplicationRecorder._insert_events(c, stored_events, **kwargs) inserts the events "
                    "and returns their notification IDs"):
        assert parameters(SQLiteApplicationRecorder._insert_events) == [("c", POSITIONAL),
                                                                        ("stored_events", POSITIONAL), ("_", EXTRA)]
    recorder = probe(app)
    stored = [StoredEvent(originator_id=uuid4(), originator_version=1, topic="a:B", state=b"{}")]
    with assumption("an import can insert through _insert_events on its own transaction "
                    "(datastore.transaction(commit=True)), and the hooks run there too"):
        with recorder.datastore.transaction(commit=True) as cursor:
            assert recorder.insert_on(cursor, stored, ["saved"]) == [1]
        assert recorder.calls[-1] == ("events_inserted", ([1], ["saved"], 1))
        assert [n.id for n in recorder.select_notifications(start=None, limit=10)] == [1]


def test_a_sqlite_datastore_says_where_it_connects() -> None:
    with assumption("SQLiteDatastore.pool has db_name, lock_timeout and is_sqlite_memory_mode"):
        datastore = SQLiteDatastore("file:probe?mode=memory&cache=shared", lock_timeout=3)
        try:
            assert sqlite_database(datastore) == adapter.SQLiteDatabase("file:probe?mode=memory&cache=shared", 3,
                                                                         in_memory=True)
        finally:
            datastore.close()


def test_postgres_inserts_go_through_the_overridden_private_methods() -> None:
    with assumption("PostgresApplicationRecorder has _insert_stored_events(curs, stored_events, **kwargs), "
                    "_fetch_ids_after_insert_events(curs, stored_events, **kwargs) and _lock_table(curs)"):
        assert parameters(PostgresApplicationRecorder._insert_stored_events)[:2] == [
            ("curs", POSITIONAL), ("stored_events", POSITIONAL)]
        assert parameters(PostgresApplicationRecorder._fetch_ids_after_insert_events) == [
            ("curs", POSITIONAL), ("stored_events", POSITIONAL), ("_", EXTRA)]
        assert parameters(PostgresApplicationRecorder._lock_table) == [("curs", POSITIONAL)]
    recorder = _ProbePostgresRecorder.on(_FakeDatastore())
    stored = [StoredEvent(originator_id=uuid4(), originator_version=1, topic="a:B", state=b"{}")] * 2
    with assumption("insert_events runs _insert_stored_events, then _fetch_ids_after_insert_events with the "
                    "save's keyword arguments, on one cursor of one transaction; the IDs come from the "
                    "cursor's RETURNING rows"):
        assert recorder.insert_events(stored, saved_events=["saved"]) == [1, 2]
        [(inserted_on, count), (hooked_on, ids, saved)] = recorder.calls
        assert inserted_on is hooked_on and count == 2 and (ids, saved) == ([1, 2], ["saved"])
    with assumption("an import inserts with _insert_stored_events and _fetch_ids_after_insert_events on "
                    "its own cursor, and takes the insert's lock with _lock_table"):
        cursor = _FakeCursor()
        recorder.calls.clear()
        assert recorder.insert_on(cursor, stored, ["saved"]) == [1, 2]
        assert recorder.calls == [(cursor, 2), (cursor, [1, 2], ["saved"])]
        recorder.lock_events_table(cursor)
        assert cursor.executed == recorder.lock_table_statements


class _ProbePostgresRecorder(PostgresRecorderHooks, PostgresApplicationRecorder):
    calls: list[tuple[Any, ...]]

    @classmethod
    def on(cls, datastore: Any) -> _ProbePostgresRecorder:
        """Without ``__init__``, which needs a server; with what ``insert_events`` reads."""
        recorder = cls.__new__(cls)
        recorder.datastore, recorder.calls = datastore, []
        recorder.lock_table_statements = ["LOCK TABLE probe IN EXCLUSIVE MODE"]
        return recorder

    def _insert_stored_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        self.calls.append((curs, len(stored_events)))
        curs.statusmessage = f"INSERT 0 {len(stored_events)}"

    def inserting(self, cursor: Any, stored_events: Sequence[StoredEvent]) -> AbstractContextManager[None]:
        return nullcontext()

    def events_inserted(self, cursor: Any, stored_events: Sequence[StoredEvent], notification_ids: Sequence[int],
                        saved_events: Sequence[Any] | None) -> None:
        self.calls.append((cursor, list(notification_ids), saved_events))


class _FakeCursor:
    def __init__(self) -> None:
        self.statusmessage = ""
        self.executed: list[Any] = []

    def execute(self, statement: Any, *_: Any, **__: Any) -> None:
        self.executed.append(statement)

    def fetchall(self) -> list[dict[str, int]]:
        return [{"notification_id": 1}, {"notification_id": 2}]


class _FakeConnection:
    def __init__(self) -> None:
        self.cursors: list[_FakeCursor] = []

    @contextmanager
    def pipeline(self) -> Iterator[Any]:
        yield type("Pipeline", (), {"sync": lambda self: None})()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        yield

    @contextmanager
    def cursor(self) -> Iterator[_FakeCursor]:
        self.cursors.append(_FakeCursor())
        yield self.cursors[-1]


class _FakeDatastore:
    enable_db_functions = False

    @contextmanager
    def get_connection(self) -> Iterator[_FakeConnection]:
        yield _FakeConnection()


def test_the_public_names_the_recorders_use_are_there() -> None:
    with assumption("a SQLite datastore opens a transaction with transaction(commit=...), and its "
                    "application recorder names its table events_table_name"):
        datastore = SQLiteDatastore(":memory:")
        try:
            assert SQLiteApplicationRecorder(datastore).events_table_name == "stored_events"
            with datastore.transaction(commit=False) as cursor:
                cursor.execute("SELECT 1")
        finally:
            datastore.close()
    with assumption("a PostgreSQL datastore takes a schema, and has transaction(commit=...), cursor() "
                    "and get_connection()"):
        assert "schema" in inspect.signature(PostgresDatastore.__init__).parameters
        assert all(callable(getattr(PostgresDatastore, name)) for name in ("transaction", "cursor", "get_connection"))


def test_each_store_recorder_runs_the_ledger_recorder_code_in_the_library_insert() -> None:
    for recorder in (IndexedSQLiteRecorder, IndexedPostgresRecorder):
        assert not getattr(recorder, "__abstractmethods__", None), f"{recorder.__name__} leaves methods abstract"
        assert recorder.events_inserted is LedgerRecorder.events_inserted, (
            f"{recorder.__name__} must list LedgerRecorder before the adapter's hooks among its bases")
        assert recorder.inserting is LedgerRecorder.inserting
