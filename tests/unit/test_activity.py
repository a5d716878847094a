"""The activity charts' arithmetic and drawing, and the search's input rules, without a store:
windows widened to whole steps, days summing hours, the live count carried across buckets, the
hourly buckets the projection writes (through the in-memory read models), and the SVG."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.runtimes import ROOT_TOKEN
from tokenledger.application.activity import ActivityFilter, ActivityService, activity_filter
from tokenledger.application.token_search import token_search
from tokenledger.domain.clock import SystemClock, to_epoch_us
from tokenledger.domain.commands import CreateToken
from tokenledger.domain.errors import InvalidRequest
from tokenledger.projections.activity import _COUNT_CREATED, _COUNT_OTHER, HOURS, hour_of
from tokenledger.projections.dialect import POSTGRES, SQLITE
from tokenledger.projections.writes import tally
from tokenledger.web.activity_svg import HEIGHT, Point, bar_chart, line_chart
from tokenledger.wiring.bootstrap import Runtime

NOW = datetime(2026, 4, 1, 13, 25, tzinfo=UTC)
H10 = to_epoch_us(datetime(2026, 4, 1, 10, tzinfo=UTC)) // 3_600_000_000


class FakeBuckets:
    """Rows as the SQL query sums them: (hour, kind, count), whatever the filter."""

    def __init__(self, rows: list[tuple[int, str, int]], before: int = 0) -> None:
        self.rows, self.before = rows, before
        self.asked: list[tuple[object, ...]] = []

    def hourly_counts(self, namespace: str, first_hour: int, end_hour: int, role: str | None,
                      creator: str | None) -> list[tuple[int, str, int]]:
        self.asked.append((namespace, first_hour, end_hour, role, creator))
        return [row for row in self.rows if first_hour <= row[0] < end_hour]

    def live_before(self, namespace: str, hour: int, role: str | None, creator: str | None) -> int:
        return self.before


def test_a_window_is_widened_to_whole_steps_and_defaults_to_the_last_day() -> None:
    wanted = activity_filter("", datetime(2026, 4, 1, 10, 30, tzinfo=UTC), datetime(2026, 4, 1, 12, 1, tzinfo=UTC),
                             None, "", "", NOW)
    assert (wanted.start.hour, wanted.end.hour, wanted.step) == (10, 13, "hour")
    assert (wanted.role, wanted.creator) == (None, None)  # empty: any
    default = activity_filter("", None, None, None, None, None, NOW)
    assert default.end == datetime(2026, 4, 1, 14, tzinfo=UTC)
    assert default.start == datetime(2026, 3, 31, 13, tzinfo=UTC)
    days = activity_filter("", None, None, "day", None, None, NOW)
    assert days.end == datetime(2026, 4, 2, tzinfo=UTC) and days.end - days.start == timedelta(days=31)


@pytest.mark.parametrize(("start", "end", "step", "message"), [
    (NOW, NOW, "hour", "from must be before to"),
    (NOW, NOW - timedelta(hours=1), "hour", "from must be before to"),
    (NOW - timedelta(days=90), NOW, "hour", "more than 2000 hours"),
    (None, None, "minute", "step must be one of hour, day"),
])
def test_a_bad_window_is_refused(start: datetime | None, end: datetime | None, step: str, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        activity_filter("", start, end, step, None, None, NOW)


def test_days_sum_their_hours_and_the_live_count_carries_over() -> None:
    rows = [(H10, "created", 3), (H10 + 1, "created", 1), (H10 + 1, "used", 2), (H10 + 2, "revoked", 1),
            (H10 + 3, "expired", 1), (H10 + 30, "created", 5)]
    buckets = FakeBuckets(rows, before=7)
    service = ActivityService(buckets, SystemClock())
    start = datetime(2026, 4, 1, 10, tzinfo=UTC)
    hourly = service.activity(ActivityFilter("", start, start + timedelta(hours=4)))
    assert [b.counts["created"] for b in hourly.buckets] == [3, 1, 0, 0]
    assert [b.live for b in hourly.buckets] == [10, 11, 10, 9] and hourly.live_at_start == 7
    day = datetime(2026, 4, 1, tzinfo=UTC)
    daily = service.activity(ActivityFilter("", day, day + timedelta(days=2), "day"))
    assert [(b.start.day, b.counts["created"], b.counts["used"]) for b in daily.buckets] == [(1, 4, 2), (2, 5, 0)]
    assert [b.live for b in daily.buckets] == [9, 14] and daily.total("created") == 9
    assert buckets.asked[-1] == ("", H10 - 10, H10 - 10 + 48, None, None)  # the days' hours, once


def test_the_projection_counts_every_kind_in_its_hour(runtime: Runtime) -> None:
    root = runtime.service.authenticate(ROOT_TOKEN, "198.51.100.1")
    limited = runtime.service.create(root, CreateToken(num_uses=3, ttl=3600))
    used = runtime.service.authenticate(limited.client_token, "192.0.2.1")
    runtime.service.settle(used)
    runtime.service.renew_self(runtime.service.authenticate(limited.client_token, "192.0.2.1"), 60)
    runtime.service.revoke(root, limited.client_token)
    counts: dict[str, int] = {}
    for row in runtime.read_models.rows(HOURS):  # type: ignore[attr-defined]
        assert row["hour"] == hour_of(to_epoch_us(datetime.now(UTC))) or row["hour"] == hour_of(
            to_epoch_us(datetime.now(UTC) - timedelta(minutes=1)))
        if row["creator_accessor"] == root.view.accessor:
            counts[row["kind"]] = counts.get(row["kind"], 0) + row["n"]
    assert counts == {"created": 1, "used": 2, "renewed": 1, "revoked": 1}
    addresses = {row["remote_addr"] for row in runtime.read_models.rows("token_addresses")}  # type: ignore[attr-defined]
    assert {"198.51.100.1", "192.0.2.1"} <= addresses


def test_bars_are_as_tall_as_their_numbers_and_say_them() -> None:
    svg = str(bar_chart([Point("10:00", 4), Point("11:00", 0), Point("12:00", 2)], "Created", "created", "#123"))
    heights = [float(h) for h in re.findall(r'<rect class="bar"[^>]* height="([\d.]+)"', svg)]
    assert len(heights) == 3 and heights[1] == 0 and heights[0] == pytest.approx(2 * heights[2])
    assert heights[0] == pytest.approx(HEIGHT - 10 - 22)
    assert "<title>11:00: 0 created</title>" in svg and 'data-value="4"' in svg
    assert svg.startswith('<svg class="chart"') and "<script" not in svg and "style=" not in svg


def test_labels_are_escaped_and_an_empty_chart_draws() -> None:
    svg = str(line_chart([Point("<b>&", 1)], "a <chart>", "live", "#000"))
    assert "<b>" not in svg and "&lt;b&gt;&amp;" in svg and "<title>a &lt;chart&gt;</title>" in svg
    assert '<circle class="point"' in svg
    empty = str(bar_chart([], "none", "created", "#000"))
    assert "<rect" not in empty and empty.endswith("</svg>")


@pytest.mark.parametrize(("fields", "message"), [
    ({"descendants": True}, "descendants needs a creator accessor"),
    ({"start": NOW, "end": NOW}, "from must be before to"),
    ({"role": "x" * 257}, "role is longer than 256 characters"),
    ({"display_name": "a\x00"}, "display_name holds a NUL character"),
])
def test_bad_search_input_is_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        token_search("", **fields)  # type: ignore[arg-type]


def test_a_search_trims_its_texts_and_matches_a_policy_by_its_stored_name() -> None:
    wanted = token_search("ns", role=" ci ", policy=" Web ", display_name="  ", creator="a", descendants=True)
    assert (wanted.role, wanted.policy, wanted.display_name, wanted.creator) == ("ci", "web", None, "a")
    assert token_search("").is_empty() and not wanted.is_empty()


def test_a_tally_copies_the_key_from_its_source_and_names_the_schema() -> None:
    sql = POSTGRES.in_schema("s").render(_COUNT_OTHER)
    assert sql == ('INSERT INTO "s".activity_hours (hour, kind, namespace, role_name, creator_accessor, n) '
                   'SELECT %s, %s, namespace, role_name, creator_accessor, 1 FROM "s".token_registry '
                   'WHERE token_id = %s ON CONFLICT (namespace, hour, kind, role_name, creator_accessor) '
                   'DO UPDATE SET n = activity_hours.n + 1')
    assert SQLITE.render(_COUNT_CREATED).startswith(
        "INSERT INTO activity_hours (namespace, hour, kind, role_name, creator_accessor, n) VALUES (?, ?, ?, ?, ?, 1)")
    with pytest.raises(ValueError, match="gives every key column"):
        tally("t", ("a", "b"), ("a",))
