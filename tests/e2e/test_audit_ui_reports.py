"""The audit page's hygiene reports end to end, in headless Chromium against a real server: log in,
open each report from the form, check its rows and numbers against the API, follow a row to its
token's page, page through, and download a report as CSV. Saves the screenshot the README shows
(``docs/audit-reports.png``) when TOKENLEDGER_UPDATE_SCREENSHOT=1. Skips without Chromium as
tests/e2e/test_audit_ui.py does, whose server, browser and page fixtures it shares."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from tests.e2e.test_audit_ui import ROOT, UPDATE_SCREENSHOT, LiveFamily, _vault, browser, live, page
from tests.support.paths import REPO

README_SCREENSHOT = REPO / "docs" / "audit-reports.png"
FIXTURES = (browser, live, page)  # shared with the tree's tests: one server, one browser
REPORTS = {"unused": {"since": "2999-01-01T00:00"}, "root-children": {}, "long-lived": {"ttl_over": "30m"},
           "orphans": {}, "addresses": {"more_than": "0"}}


def api_report(live: LiveFamily, name: str, **query: str) -> Any:
    text = "&".join(f"{key}={value}" for key, value in query.items())
    return _vault(live.url, "GET", f"sys/ledger/reports/{name}?{text}")["data"]


def log_in(page: Any, live: LiveFamily) -> None:
    page.goto(f"{live.url}/ui/login")
    page.fill('input[name="token"]', ROOT)
    page.click('button[type="submit"]')
    page.wait_for_url(f"{live.url}/ui/")


def show(page: Any, name: str, **fields: str) -> list[str]:
    page.select_option("#report-choice", name)
    for field, value in fields.items():
        page.fill(f'#report-form [name="{field}"]', value)
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#report-title")
    rows: list[str] = page.locator("#report tr.report-row").evaluate_all(
        "rows => rows.map(row => row.dataset.accessor ?? row.dataset.key)")
    return rows


def test_in_a_browser_each_report_agrees_with_the_api(live: LiveFamily, page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    log_in(page, live)
    page.click("#nav-reports")
    page.wait_for_url(f"{live.url}/ui/reports")
    for name, fields in REPORTS.items():
        api = api_report(live, name, **{k: (v + ":00Z" if k == "since" else v) for k, v in fields.items()})
        assert show(page, name, **fields) == api["keys"], name
        expect(page.locator("#report-title")).to_contain_text(f"of {api['total']}")
    assert live.parent in show(page, "root-children")

    page.select_option('#report-form [name="by"]', "creator")
    counts = show(page, "counts")
    api = api_report(live, "counts", by="creator")
    assert counts == api["keys"]
    for key in counts:
        cell = page.locator(f'#report tr.report-row[data-key="{key}"] td.count')
        expect(cell).to_have_text(str(api["key_info"][key]["count"]))

    page.goto(f"{live.url}/ui/reports?report=long-lived&ttl_over=30m")
    shot = tmp_path / "audit-reports.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if UPDATE_SCREENSHOT:
        page.screenshot(path=str(README_SCREENSHOT), full_page=True)

    with page.expect_download() as download:
        page.click("#export-csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert [row["accessor"] for row in rows] == api_report(live, "long-lived", ttl_over="30m")["keys"]
    assert download.value.suggested_filename == "tokenledger-long-lived.csv"

    page.locator(f'#report tr.report-row[data-accessor="{live.parent}"] a').click()
    page.wait_for_url(f"{live.url}/ui/tokens/{live.parent}")
    expect(page.locator("#last-used")).to_contain_text("127.0.0.1")


def test_in_a_browser_a_report_pages(live: LiveFamily, page: Any) -> None:
    log_in(page, live)
    page.goto(f"{live.url}/ui/reports")
    everything = api_report(live, "unused", since="2999-01-01T00:00:00Z")["keys"]
    first = show(page, "unused", since="2999-01-01T00:00", limit="2")
    assert first == everything[:2]
    page.click("#next-page")
    page.wait_for_selector("#report-title")
    rest = page.locator("#report tr.report-row").evaluate_all("rows => rows.map(row => row.dataset.accessor)")
    assert rest == everything[2:4]
