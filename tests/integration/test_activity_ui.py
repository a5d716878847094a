"""The audit page's activity charts and token search through Flask's test client: the numbers the
page draws and tabulates are the API's, the SVG needs no script and keeps the page's policy, bad
input is a 400 page saying why, and only auditors get in."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.test_audit_ui import AUDITOR, READER, log_in
from tests.support.activity import WINDOW, tell_story
from tests.support.vault_http import call, create, write_policy

pytestmark = pytest.mark.one_store  # about the pages: the store's tests are in test_activity.py


class _Numbers(HTMLParser):
    """Each chart's table ({kind: [(bucket start, number)]}), its bars' values and the result rows."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[tuple[str, int]]] = {}
        self.marks: dict[str, list[int]] = {}
        self.results: list[str] = []
        self._kind, self._chart, self._start, self._cell = "", "", "", False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "section" and found.get("id", "").startswith("chart-"):
            self._chart = found["id"].removeprefix("chart-")
        elif tag in ("rect", "circle") and "data-value" in found:
            self.marks.setdefault(self._chart, []).append(int(found["data-value"]))
        elif tag == "table" and "data-kind" in found:
            self._kind = found["data-kind"]
        elif tag == "tr" and "data-start" in found:
            self._start = found["data-start"]
        elif tag == "td" and "n" in found.get("class", "").split():
            self._cell = True
        elif tag == "tr" and "data-accessor" in found:
            self.results.append(found["data-accessor"])

    def handle_data(self, data: str) -> None:
        if self._cell:
            self.tables.setdefault(self._kind, []).append((self._start, int(data)))
            self._cell = False


def numbers(html: str) -> _Numbers:
    reader = _Numbers()
    reader.feed(html)
    return reader


def page(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def test_the_charts_and_their_tables_show_the_apis_numbers(client: FlaskClient, app: Flask) -> None:
    story = tell_story(client, app)
    log_in(client)
    for query in ("", "step=day", "role=ci", f"creator={story.parent}"):
        api = call(client, "GET", f"sys/ledger/history/activity?{WINDOW}&{query}").json["data"]
        drawn = numbers(page(client, f"/ui/activity?{WINDOW}&{query}"))
        for kind in ("created", "renewed", "revoked", "expired", "used", "live"):
            expected = [(bucket["start"], bucket[kind]) for bucket in api["buckets"]]
            assert drawn.tables[kind] == expected, (query, kind)
            assert drawn.marks[kind] == [value for _, value in expected], (query, kind)
    assert numbers(page(client, f"/ui/activity?{WINDOW}")).tables["created"][0] == ("2026-04-01T10:00:00Z", 3)


def test_the_charts_are_svg_with_tooltips_and_no_script(client: FlaskClient, app: Flask) -> None:
    tell_story(client, app)
    log_in(client)
    response = client.get("/ui/activity?from=2026-04-01T10:00&to=2026-04-01T14:00")
    html = response.get_data(as_text=True)
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none';")
    assert "<script" not in html and " style=" not in html
    assert html.count('<svg class="chart"') == 6
    assert "<title>2026-04-01 11:00: 4 used</title>" in html
    assert "<title>2026-04-01 12:00: 4 live</title>" in html
    assert 'value="2026-04-01T10:00"' in html and 'value="2026-04-01T14:00"' in html  # the form keeps the window


@pytest.mark.parametrize(("query", "message"), [
    ("step=week", "step must be one of hour, day"),
    ("from=2026-04-02T00:00&to=2026-04-01T00:00", "from must be before to"),
    ("from=tomorrow", "the instant must look like 2026-11-23T10:00:05Z (UTC)"),
    ("from=2000-01-01T00:00", "the window holds more than 2000 hours: narrow it, or count by day"),
])
def test_bad_chart_input_is_a_400_page_saying_why(client: FlaskClient, query: str, message: str) -> None:
    log_in(client)
    html = page(client, f"/ui/activity?{query}", 400)
    assert message in html


def test_the_search_page_finds_pages_and_links(client: FlaskClient, app: Flask) -> None:
    story = tell_story(client, app)
    log_in(client)
    assert "Give at least one of" in page(client, "/ui/search")
    found = numbers(page(client, "/ui/search?role=ci"))
    assert sorted(found.results) == sorted(story.role_tokens)
    api = call(client, "GET", "sys/ledger/history/search?policy=web&limit=2").json["data"]
    first = page(client, "/ui/search?policy=web&limit=2")
    assert numbers(first).results == api["keys"] and f'data-total="{api["total"]}"' in first
    after = re.search(r'id="next-page" href="([^"]+)"', first)
    assert after is not None and "after=" in after.group(1)
    second = numbers(page(client, after.group(1).replace("&amp;", "&"))).results
    api_second = call(client, "GET", f"sys/ledger/history/search?policy=web&limit=2&after={api['next_after']}")
    assert second == api_second.json["data"]["keys"]
    linked = page(client, "/ui/search?remote_addr=192.0.2.7&from=2026-04-01T11:00&to=2026-04-01T12:00")
    assert numbers(linked).results == [story.limited] and f'href="/ui/tokens/{story.limited}"' in linked


def test_bad_search_input_is_a_400_page_saying_why(client: FlaskClient) -> None:
    log_in(client)
    assert "descendants needs a creator accessor" in page(client, "/ui/search?descendants=true", 400)
    assert "limit must be a whole number" in page(client, "/ui/search?role=x&limit=many", 400)


def test_only_auditors_open_the_charts_and_the_search(client: FlaskClient) -> None:
    for path in ("/ui/activity", "/ui/search?role=ci"):
        assert client.get(path).headers["Location"].startswith("/ui/login")
    write_policy(client, "auditor", AUDITOR)
    write_policy(client, "reader", READER)
    auditor = create(client, policies=["auditor"], ttl="1h")["auth"]["client_token"]
    log_in(client, auditor)
    assert client.get("/ui/activity").status_code == 200 and client.get("/ui/search?role=ci").status_code == 200
    client.post("/ui/logout")
    reader: Any = create(client, policies=["reader"], ttl="1h")["auth"]["client_token"]
    assert log_in(client, reader).status_code == 403
