"""The root token every test store is initialised with, and what tests read off a runtime."""

from __future__ import annotations

from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder
from freezegun.api import FakeDatetime

from tokenledger.wiring.bootstrap import Runtime

ROOT_TOKEN = "root-token-for-tests"


class FrozenDatetimeAsISO(DatetimeAsISO):
    """freezegun's datetimes are a subclass the transcoder does not know: store them as any other."""

    type = FakeDatetime


def accept_frozen_time(runtime: Runtime) -> Runtime:
    transcoder = runtime.ledger.mapper.transcoder
    assert isinstance(transcoder, JSONTranscoder)
    transcoder.register(FrozenDatetimeAsISO())
    return runtime


def event_count(runtime: Runtime) -> int:
    return len(recorded_topics(runtime))


def change_count(runtime: Runtime) -> int:
    """How many events in the log record a change of state: every event but ``TokenUsed``, which
    a request served to a token without a use limit may add (``tokenledger.application.usage``)."""
    return len([name for _, name in recorded_topics(runtime) if name != "TokenUsed"])


def recorded_topics(runtime: Runtime) -> list[tuple[str, str]]:
    """(aggregate ID hex, event class name) of every event in the log, in log order."""
    notifications = runtime.ledger.recorder.select_notifications(start=None, limit=1_000_000)
    return [(n.originator_id.hex, n.topic.rsplit(":", 1)[-1]) for n in notifications]
