"""The audit web page at ``/ui/`` end to end: a real server, driven in headless Chromium (Debian's,
at /usr/bin/chromium). Those tests skip when it is missing, unless TOKENLEDGER_REQUIRE_CHROMIUM=1
(CI), where they fail instead. The pages' rules, through Flask's test client, are in
tests/integration/test_audit_ui.py.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from scripts.servers import Server, free_port, start_server
from tests.support.paths import REPO
from tests.support.vault_http import CREATES_TOKENS
from tokenledger.domain.clock import parse_instant

CHROMIUM = os.environ.get("TOKENLEDGER_CHROMIUM", "/usr/bin/chromium")
REQUIRE_CHROMIUM = os.environ.get("TOKENLEDGER_REQUIRE_CHROMIUM", "") == "1"
UPDATE_SCREENSHOT = os.environ.get("TOKENLEDGER_UPDATE_SCREENSHOT", "") == "1"
README_SCREENSHOT = REPO / "docs" / "audit-ui.png"
READER = 'path "sys/ledger/*" { capabilities = ["read"] }'
ROOT = "ui-e2e-root-token"


@dataclass
class LiveFamily:
    url: str
    root: str
    parent: str
    kept: str
    revoked: str
    grandchild: str
    reader: str
    created: dict[str, datetime]
    revoked_at: datetime


def _vault(url: str, method: str, path: str, token: str = ROOT, **body: Any) -> Any:
    response = requests.request(method, f"{url}/v1/{path}", headers={"X-Vault-Token": token},
                                json=body or None, timeout=10)
    assert response.status_code in (200, 204), response.text
    return response.json() if response.content else None


def _first_event_time(url: str, accessor: str, event_type: str) -> datetime:
    events = _vault(url, "GET", f"sys/ledger/history/accessor/{accessor}")["data"]["events"]
    return parse_instant(next(e["time"] for e in events if e["type"] == event_type))


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveFamily]:
    port = free_port()
    store = tmp_path_factory.mktemp("ui") / "ledger.db"
    server: Server = start_server("--dev", "--dev-root-token-id", ROOT,
                                  "--dev-listen-address", f"127.0.0.1:{port}", "--store", str(store))
    try:
        url = server.url
        _vault(url, "PUT", "sys/policy/web", policy=CREATES_TOKENS)
        _vault(url, "PUT", "sys/policy/reader", policy=READER)

        def child(token: str, name: str, **body: Any) -> dict[str, str]:
            time.sleep(0.03)  # instants a millisecond apart at least, for the datetime-local field
            auth: dict[str, str] = _vault(url, "POST", "auth/token/create", token, display_name=name, **body)["auth"]
            return auth

        parent = child(ROOT, "parent", policies=["web"], ttl="1h")
        kept = child(parent["client_token"], "kept")
        revoked = child(parent["client_token"], "revoked")
        grandchild = child(kept["client_token"], "grandchild")
        time.sleep(0.03)
        _vault(url, "POST", "auth/token/renew-accessor", accessor=parent["accessor"], increment="2h")
        time.sleep(0.03)
        _vault(url, "POST", "auth/token/revoke-accessor", accessor=revoked["accessor"])
        reader = child(ROOT, "reader", policies=["reader"], ttl="1h")
        root = _vault(url, "GET", "auth/token/lookup-self")["data"]["accessor"]
        created = {name: _first_event_time(url, auth["accessor"], "TokenCreated")
                   for name, auth in (("kept", kept), ("revoked", revoked), ("grandchild", grandchild))}
        yield LiveFamily(url, root, parent["accessor"], kept["accessor"], revoked["accessor"],
                         grandchild["accessor"], reader["client_token"], created,
                         _first_event_time(url, revoked["accessor"], "TokenRevoked"))
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        reason = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if REQUIRE_CHROMIUM:
            pytest.fail(f"{reason}; TOKENLEDGER_REQUIRE_CHROMIUM=1")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def datetime_local(instant: datetime) -> str:
    """An instant as a datetime-local field holds it (UTC, to the millisecond, rounded down,
    in the browser's normalised form: no trailing zeros)."""
    text = instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3].rstrip("0").rstrip(".")
    return text[:-3] if text.endswith(":00") and text.count(":") == 2 else text


def show_as_of(page: Any, instant: datetime) -> None:
    value = datetime_local(instant)
    page.fill('input[name="as_of"]', value)
    page.click("text=Show")
    page.wait_for_url(f"**/ui/tokens/*?as_of={value}")


def _node(page: Any, accessor: str) -> Any:
    return page.locator(f'#tree li.node[data-accessor="{accessor}"]')


def _struck(page: Any, accessor: str) -> bool:
    decoration: str = _node(page, accessor).locator("> .label").evaluate(
        "element => getComputedStyle(element).textDecorationLine")
    return "line-through" in decoration


def test_in_a_browser_the_audit_page_draws_the_tree_timeline_and_the_past(
        live: LiveFamily, page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live.url}/ui/tokens/{live.parent}")
    assert "/ui/login" in page.url  # no session yet

    page.goto(f"{live.url}/ui/login")
    page.fill('input[name="token"]', ROOT)
    page.click('button[type="submit"]')
    page.wait_for_url(f"{live.url}/ui/")
    page.fill('input[name="accessor"]', live.parent)
    page.click("text=Show")
    page.wait_for_url(f"{live.url}/ui/tokens/{live.parent}")

    chain = (f'#tree li[data-accessor="{live.root}"] li[data-accessor="{live.parent}"] '
             f'li[data-accessor="{live.kept}"] li[data-accessor="{live.grandchild}"]')
    expect(page.locator(chain)).to_have_count(1)
    expect(_node(page, live.revoked)).to_have_attribute("data-status", "revoked")
    expect(_node(page, live.revoked).locator("> .status")).to_contain_text("revoked")
    assert _struck(page, live.revoked)
    assert not any(_struck(page, a) for a in (live.root, live.parent, live.kept, live.grandchild))
    # its first use (creating kept) is recorded; the next, within the usage interval, is not
    expect(page.locator("#timeline tr.event td:nth-child(2)")).to_have_text(
        ["TokenCreated", "TokenUsed", "TokenRenewed"])
    expect(page.locator("#last-used")).to_contain_text("from 127.0.0.1")
    expect(page.locator("body")).not_to_contain_text(ROOT)

    shot = tmp_path / "audit-ui.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 1000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if UPDATE_SCREENSHOT:
        README_SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(README_SCREENSHOT), full_page=True)

    _node(page, live.revoked).locator("> .label a").click()  # each node links to its own page
    page.wait_for_url(f"{live.url}/ui/tokens/{live.revoked}")
    expect(page.locator("#timeline tr.event td:nth-child(2)")).to_have_text(["TokenCreated", "TokenRevoked"])
    expect(page.locator(f'#tree li[data-accessor="{live.kept}"]')).to_have_count(0)  # siblings are not drawn

    page.goto(f"{live.url}/ui/tokens/{live.parent}")
    show_as_of(page, live.revoked_at - timedelta(milliseconds=1))
    expect(_node(page, live.revoked)).to_have_attribute("data-status", "live")
    assert not _struck(page, live.revoked)
    expect(_node(page, live.grandchild)).to_have_count(1)

    show_as_of(page, live.created["grandchild"] - timedelta(milliseconds=1))
    expect(_node(page, live.kept)).to_have_count(1)
    expect(_node(page, live.revoked)).to_have_attribute("data-status", "live")
    expect(_node(page, live.grandchild)).to_have_count(0)

    page.click("text=Log out")
    page.wait_for_url(f"{live.url}/ui/login")
    page.goto(f"{live.url}/ui/")
    assert "/ui/login" in page.url


def test_in_a_browser_a_token_without_sudo_is_refused(live: LiveFamily, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live.url}/ui/login")
    page.fill('input[name="token"]', live.reader)
    page.click('button[type="submit"]')
    expect(page.locator(".error")).to_contain_text("its policies must grant read with sudo")
    assert page.url.endswith("/ui/login")
    expect(page.locator('input[name="token"]')).to_have_value("")
    page.goto(f"{live.url}/ui/tokens/{live.parent}")
    assert "/ui/login" in page.url


# -- activity charts and the token search (issue 18) -----------------------------------------------

SCREENSHOTS = REPO / "docs" / "screenshots"
KINDS = ("created", "renewed", "revoked", "expired", "used", "live")


@dataclass
class LiveHistory:
    url: str
    start: datetime
    end: datetime
    creators: list[str]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHistory]:
    """A server on a ledger with two days of past activity (``scripts/activity_history.py``)."""
    from scripts.activity_history import write_history
    from tokenledger.wiring.bootstrap import bootstrap
    from tokenledger.wiring.settings import Settings

    store = tmp_path_factory.mktemp("activity") / "ledger.db"
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    runtime = bootstrap(Settings(store=str(store)))
    try:
        runtime.service.initialise(ROOT)
        past = write_history(runtime, end - timedelta(hours=48), 48, 1500)
    finally:
        runtime.close()
    server = start_server("--store", str(store))
    try:
        yield LiveHistory(server.url, past.start, end, past.creators)
    finally:
        server.stop()


def _log_in(page: Any, url: str) -> None:
    page.goto(f"{url}/ui/login")
    page.fill('input[name="token"]', ROOT)
    page.click('button[type="submit"]')
    page.wait_for_url(f"{url}/ui/")


def _table(page: Any, kind: str) -> list[tuple[str, int]]:
    rows = page.locator(f'table.numbers[data-kind="{kind}"] tbody tr')
    return [(row.get_attribute("data-start"), int(row.locator("td.n").text_content()))
            for row in rows.all()]


def _save_screenshot(page: Any, name: str, tmp_path: Path) -> None:
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if UPDATE_SCREENSHOT:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_in_a_browser_the_activity_charts_show_the_apis_numbers(
        history: LiveHistory, page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    _log_in(page, history.url)
    page.click("header nav >> text=Activity")
    page.wait_for_url("**/ui/activity")
    page.fill('input[name="from"]', history.start.strftime("%Y-%m-%dT%H:%M"))
    page.fill('input[name="to"]', history.end.strftime("%Y-%m-%dT%H:%M"))
    page.click("text=Draw")
    page.wait_for_url("**/ui/activity?*")
    expect(page.locator("svg.chart")).to_have_count(6)
    window = f"from={history.start:%Y-%m-%dT%H:%M:%SZ}&to={history.end:%Y-%m-%dT%H:%M:%SZ}"
    api = _vault(history.url, "GET", f"sys/ledger/history/activity?{window}")["data"]
    assert len(api["buckets"]) == 48 and api["totals"]["created"] > 100 and api["totals"]["used"] > 0
    for kind in KINDS:
        assert _table(page, kind) == [(bucket["start"], bucket[kind]) for bucket in api["buckets"]], kind
    first_bar = page.locator("#chart-created rect.bar").first
    assert first_bar.locator("title").text_content().endswith(f": {api['buckets'][0]['created']} created")
    _save_screenshot(page, "activity.png", tmp_path)
    page.locator("#chart-live details summary").click()  # the numbers under a chart open without script
    expect(page.locator('#chart-live table.numbers')).to_be_visible()

    page.select_option('select[name="step"]', "day")
    page.fill('input[name="role"]', "ci")
    page.click("text=Draw")
    page.wait_for_url("**step=day*")
    by_day = _vault(history.url, "GET", f"sys/ledger/history/activity?{window}&step=day&role=ci")["data"]
    assert _table(page, "created") == [(bucket["start"], bucket["created"]) for bucket in by_day["buckets"]]
    assert sum(n for _, n in _table(page, "created")) == by_day["totals"]["created"] > 0


def test_in_a_browser_the_token_search_pages_as_the_api_does(
        history: LiveHistory, page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    _log_in(page, history.url)
    page.click("header nav >> text=Search tokens")
    page.wait_for_url("**/ui/search")
    page.fill('#token-search-form input[name="role"]', "deploy")
    page.fill('#token-search-form input[name="policy"]', "web")
    page.fill('#token-search-form input[name="limit"]', "20")
    page.click("#token-search-form >> text=Search")
    page.wait_for_url("**/ui/search?*")
    api = _vault(history.url, "GET", "sys/ledger/history/search?role=deploy&policy=web&limit=20")["data"]
    shown = page.locator("#results tr.result")
    assert [row.get_attribute("data-accessor") for row in shown.all()] == api["keys"]
    expect(page.locator("#results")).to_have_attribute("data-total", str(api["total"]))
    _save_screenshot(page, "search.png", tmp_path)
    assert api["next_after"] is not None  # more than a page: follow it
    page.click("#next-page")
    page.wait_for_url("**after=*")
    second = _vault(history.url, "GET",
                    f"sys/ledger/history/search?role=deploy&policy=web&limit=20&after={api['next_after']}")
    assert [row.get_attribute("data-accessor") for row in shown.all()] == second["data"]["keys"]

    page.goto(f"{history.url}/ui/search")
    page.fill('#token-search-form input[name="creator"]', history.creators[0])
    page.check('#token-search-form input[name="descendants"]')
    page.fill('#token-search-form input[name="remote_addr"]', "10.0.0.7")
    page.click("#token-search-form >> text=Search")
    query = f"creator={history.creators[0]}&descendants=true&remote_addr=10.0.0.7"
    found = _vault(history.url, "GET", f"sys/ledger/history/search?{query}")["data"]
    expect(page.locator("#results")).to_have_attribute("data-total", str(found["total"]))
    if found["keys"]:
        page.locator("#results tr.result a").first.click()
        page.wait_for_url(f"**/ui/tokens/{found['keys'][0]}")
        expect(page.locator("#timeline tr.event td:nth-child(2)").first).to_have_text("TokenCreated")

    page.goto(f"{history.url}/ui/search?descendants=true")
    expect(page.locator(".error")).to_contain_text("descendants needs a creator accessor")
