"""The audit page's hygiene reports at ``/ui/reports``: pick one, see its rows with a link to each
token's page, page through, export as CSV or JSON; the same ACL decision as the API's.

Through Flask's test client; tests/e2e/test_audit_ui.py drives a real server in headless Chromium.
"""

from __future__ import annotations

import csv
import io
import re

from flask.testing import FlaskClient

from tests.integration.test_audit_ui import AUDITOR, build_family, log_in
from tests.support.runtimes import ROOT_TOKEN
from tests.support.vault_http import call, create, write_policy

ROWS = re.compile(r'<tr class="report-row" data-(?:accessor|key)="([^"]*)"')


def rows_of(html: str) -> list[str]:
    return ROWS.findall(html)


def test_the_reports_page_needs_a_login(client: FlaskClient) -> None:
    assert client.get("/ui/reports?report=orphans").headers["Location"].startswith("/ui/login")


def test_each_row_links_to_its_tokens_page_and_agrees_with_the_api(client: FlaskClient) -> None:
    family = build_family(client)
    log_in(client)
    chooser = client.get("/ui/reports")
    assert chooser.status_code == 200 and 'id="report-form"' in chooser.get_data(as_text=True)
    page = client.get("/ui/reports", query_string={"report": "root-children"})
    html = page.get_data(as_text=True)
    api = call(client, "GET", "sys/ledger/reports/root-children").json["data"]
    assert rows_of(html) == api["keys"] and family.parent in api["keys"]
    assert f'href="/ui/tokens/{family.parent}"' in html
    counts = client.get("/ui/reports", query_string={"report": "counts", "by": "creator"}).get_data(as_text=True)
    assert f'href="/ui/tokens/{family.parent}"' in counts  # the creator of kept
    assert all(token not in html + counts for token in (*family.tokens.values(), ROOT_TOKEN))


def test_a_report_pages_and_exports(client: FlaskClient) -> None:
    for number in range(3):
        create(client, policies=["web"], display_name=f"t{number}")
    log_in(client)
    query = {"report": "unused", "since": "2999-01-01T00:00", "limit": "2"}
    html = client.get("/ui/reports", query_string=query).get_data(as_text=True)
    first = rows_of(html)
    assert len(first) == 2 and 'id="next-page"' in html
    next_link = re.search(r'id="next-page" href="([^"]+)"', html)
    assert next_link is not None
    rest = rows_of(client.get(next_link.group(1).replace("&amp;", "&")).get_data(as_text=True))
    assert rest and not set(rest) & set(first) and min(rest) > max(first)
    exported = client.get("/ui/reports/export", query_string={**query, "format": "csv"})
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert [row["accessor"] for row in csv.DictReader(io.StringIO(exported.get_data(as_text=True)))] == first
    as_json = client.get("/ui/reports/export", query_string={**query, "format": "json"})
    assert [row["accessor"] for row in as_json.json] == first


def test_bad_input_is_a_400_page(client: FlaskClient) -> None:
    log_in(client)
    for query in ({"report": "unused"}, {"report": "stale"}, {"report": "long-lived", "ttl_over": "ever"},
                  {"report": "unused", "since": "noon"}):
        response = client.get("/ui/reports", query_string=query)
        assert response.status_code == 400, query
    assert client.get("/ui/reports/export", query_string={"report": "orphans", "format": "xml"}).status_code == 400


def test_a_token_without_sudo_on_the_reports_may_not_read_them(client: FlaskClient) -> None:
    write_policy(client, "auditor", AUDITOR)
    auditor = create(client, policies=["auditor"], ttl="1h")["auth"]["client_token"]
    assert log_in(client, auditor).status_code == 302
    response = client.get("/ui/reports", query_string={"report": "orphans"})
    page = response.get_data(as_text=True)
    assert response.status_code == 403 and "may not read the audit" in page
    assert "sudo on sys/ledger/reports/orphans" in page  # what is missing, not what it has
