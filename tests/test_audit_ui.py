"""The audit web page at ``/ui/``: a token login refused without sudo on the history, a token's
tree (parents and descendants, ended ones struck through) and timeline, now and as of an instant.

Fast tests go through Flask's test client; the end-to-end ones drive a real server in headless
Chromium (Debian's, at /usr/bin/chromium). Those skip when it is missing, unless
TOKENLEDGER_REQUIRE_CHROMIUM=1 (CI), where they fail instead.
"""

from __future__ import annotations

import base64
import os
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient
from freezegun import freeze_time

from tests.conftest import ROOT_TOKEN
from tests.servers import REPO, Server, free_port, start_server
from tests.vault_http import CREATES_TOKENS, call, create, write_policy
from tokenledger.domain.clock import parse_instant

CHROMIUM = os.environ.get("TOKENLEDGER_CHROMIUM", "/usr/bin/chromium")
REQUIRE_CHROMIUM = os.environ.get("TOKENLEDGER_REQUIRE_CHROMIUM", "") == "1"
UPDATE_SCREENSHOT = os.environ.get("TOKENLEDGER_UPDATE_SCREENSHOT", "") == "1"
README_SCREENSHOT = REPO / "docs" / "audit-ui.png"

AUDITOR = 'path "sys/ledger/history/*" { capabilities = ["read", "sudo"] }'
READER = 'path "sys/ledger/*" { capabilities = ["read"] }'


# -- reading the pages ----------------------------------------------------------------------

@dataclass
class DrawnNode:
    accessor: str
    status: str
    classes: set[str]
    parent: str | None
    children: list[str] = field(default_factory=list)


class _PageReader(HTMLParser):
    """The tree's nodes (with their parents in the drawing) and the timeline's event types."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: dict[str, DrawnNode] = {}
        self.events: list[str] = []
        self._open: list[str | None] = []  # accessor of each open <li>, None for other <li>s

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "li":
            accessor = found.get("data-accessor")
            if accessor:
                parent = next((a for a in reversed(self._open) if a), None)
                self.nodes[accessor] = DrawnNode(accessor, found["data-status"],
                                                 set(found.get("class", "").split()), parent)
                if parent:
                    self.nodes[parent].children.append(accessor)
            self._open.append(accessor)
        elif tag == "tr" and "data-type" in found:
            self.events.append(found["data-type"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "li" and self._open:
            self._open.pop()


def read_page(html: str) -> _PageReader:
    reader = _PageReader()
    reader.feed(html)
    return reader


# -- building a family of tokens through the API --------------------------------------------

@dataclass
class Family:
    root: str
    parent: str
    kept: str
    revoked: str
    grandchild: str
    tokens: dict[str, str]


def build_family(client: FlaskClient, clock: Any = None) -> Family:
    """root -> parent -> (kept -> grandchild, revoked), with ``revoked`` revoked last; with a
    freezegun ``clock``, one second between steps, from 10:00:00."""
    def tick(second: int) -> None:
        if clock is not None:
            clock.move_to(f"2026-04-01 10:00:{second:02d}")

    write_policy(client, "web", CREATES_TOKENS)
    tick(0)
    parent = create(client, policies=["web"], ttl="1h", display_name="parent")["auth"]
    tick(1)
    kept = create(client, parent["client_token"], display_name="kept")["auth"]
    revoked = create(client, parent["client_token"], display_name="revoked")["auth"]
    tick(2)
    grandchild = create(client, kept["client_token"], display_name="grandchild")["auth"]
    tick(3)
    assert call(client, "POST", "revoke-accessor", body={"accessor": revoked["accessor"]}).status_code == 204
    root = call(client, "GET", "lookup-self").json["data"]["accessor"]
    tokens = {"parent": parent["client_token"], "kept": kept["client_token"],
              "revoked": revoked["client_token"], "grandchild": grandchild["client_token"]}
    return Family(root, parent["accessor"], kept["accessor"], revoked["accessor"], grandchild["accessor"], tokens)


def log_in(client: FlaskClient, token: str = ROOT_TOKEN, **form: str) -> Any:
    return client.post("/ui/login", data={"token": token, **form})


# -- the login ------------------------------------------------------------------------------

def test_pages_need_a_login(client: FlaskClient) -> None:
    response = client.get("/ui/tokens/someaccessor?as_of=2026-01-01T00:00:00Z")
    assert response.status_code == 302
    assert response.headers["Location"] == "/ui/login?next=/ui/tokens/someaccessor?as_of%3D2026-01-01T00:00:00Z"
    assert client.get("/ui/").headers["Location"].startswith("/ui/login")
    login = client.get("/ui/login")
    assert login.status_code == 200 and 'type="password" name="token"' in login.get_data(as_text=True)


def test_a_token_without_sudo_on_the_history_is_refused(client: FlaskClient) -> None:
    write_policy(client, "reader", READER)
    reader = create(client, policies=["reader"], ttl="1h")["auth"]["client_token"]
    response = log_in(client, reader)
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "may not read the audit: its policies must grant read with sudo on sys/ledger/history/*" in page
    assert reader not in page and "Set-Cookie" not in response.headers
    unknown = log_in(client, "no-such-token")
    assert unknown.status_code == 403 and "this token is unknown, expired, revoked" in unknown.get_data(as_text=True)
    assert client.get("/ui/").status_code == 302  # still logged out


def test_a_token_with_sudo_on_the_history_may_log_in(client: FlaskClient) -> None:
    write_policy(client, "auditor", AUDITOR)
    auditor = create(client, policies=["auditor"], ttl="1h")["auth"]
    response = log_in(client, auditor["client_token"], next="/ui/tokens/" + auditor["accessor"])
    assert response.status_code == 302 and response.headers["Location"] == "/ui/tokens/" + auditor["accessor"]
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and auditor["client_token"] not in page.get_data(as_text=True)


def test_the_session_cookie_holds_the_token_sealed(client: FlaskClient) -> None:
    response = log_in(client)
    assert response.status_code == 302 and response.headers["Location"] == "/ui/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    value = cookie.split(";", 1)[0].split("=", 1)[1]
    assert ROOT_TOKEN not in value and ROOT_TOKEN not in _session_payload(value)
    assert ROOT_TOKEN not in client.get("/ui/").get_data(as_text=True)
    tampered = value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB")
    client.set_cookie("session", tampered, domain="localhost")
    assert client.get("/ui/").status_code == 302


def _session_payload(cookie: str) -> str:
    """What anyone holding the cookie can read of it (Flask signs it, it does not encrypt it)."""
    body = cookie.split(".")[1 if cookie.startswith(".") else 0]
    data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    return (zlib.decompress(data) if cookie.startswith(".") else data).decode()


def test_redirects_after_login_stay_on_the_audit_pages(client: FlaskClient) -> None:
    assert log_in(client, next="https://elsewhere.example/").headers["Location"] == "/ui/"
    assert log_in(client, next="//elsewhere.example/ui/").headers["Location"] == "/ui/"


def test_logout_ends_the_session(client: FlaskClient) -> None:
    log_in(client)
    assert client.get("/ui/").status_code == 200
    assert client.post("/ui/logout").headers["Location"] == "/ui/login"
    assert client.get("/ui/").status_code == 302


def test_a_revoked_session_token_sends_back_to_the_login(client: FlaskClient) -> None:
    write_policy(client, "auditor", AUDITOR)
    auditor = create(client, policies=["auditor"], ttl="1h")["auth"]
    log_in(client, auditor["client_token"])
    call(client, "POST", "revoke-accessor", body={"accessor": auditor["accessor"]})
    response = client.get("/ui/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/ui/login")
    assert "no longer valid" in client.get(response.headers["Location"]).get_data(as_text=True)


# -- the token page -------------------------------------------------------------------------

def test_the_tree_shows_parents_and_descendants_with_ended_ones_struck(client: FlaskClient) -> None:
    family = build_family(client)
    log_in(client)
    search = client.get("/ui/", query_string={"accessor": family.parent})
    assert search.headers["Location"] == f"/ui/tokens/{family.parent}"
    response = client.get(search.headers["Location"])
    assert response.status_code == 200
    page = read_page(response.get_data(as_text=True))
    nodes = page.nodes
    assert nodes[family.root].parent is None and nodes[family.root].children == [family.parent]
    assert "focus" in nodes[family.parent].classes
    assert nodes[family.parent].children == [family.kept, family.revoked]
    assert nodes[family.kept].children == [family.grandchild]
    assert (nodes[family.revoked].status, "ended" in nodes[family.revoked].classes) == ("revoked", True)
    assert all(nodes[a].status == "live" and "ended" not in nodes[a].classes
               for a in (family.root, family.parent, family.kept, family.grandchild))
    assert page.events == ["TokenCreated"]
    html = response.get_data(as_text=True)
    assert all(token not in html for token in (*family.tokens.values(), ROOT_TOKEN))


def test_a_descendants_page_shows_its_chain_and_timeline(client: FlaskClient) -> None:
    family = build_family(client)
    log_in(client)
    page = read_page(client.get(f"/ui/tokens/{family.revoked}").get_data(as_text=True))
    assert list(page.nodes) == [family.root, family.parent, family.revoked]  # no sibling
    assert page.events == ["TokenCreated", "TokenRevoked"]


def test_an_orphan_leaves_the_tree_when_it_is_orphaned_and_not_before(client: FlaskClient) -> None:
    with freeze_time("2026-04-01 10:00:00") as clock:
        family = build_family(client, clock)
        clock.move_to("2026-04-01 10:00:04")
        orphaning = call(client, "POST", "revoke-orphan", body={"token": family.tokens["kept"]})
        assert orphaning.status_code == 204
        clock.move_to("2026-04-01 11:00:00")
        log_in(client)

        def tree(accessor: str, as_of: str | None = None) -> dict[str, DrawnNode]:
            response = client.get(f"/ui/tokens/{accessor}", query_string={"as_of": as_of} if as_of else {})
            assert response.status_code == 200, response.get_data(as_text=True)
            return read_page(response.get_data(as_text=True)).nodes

        now = tree(family.parent)
        assert family.grandchild not in now and now[family.kept].status == "revoked"
        before = tree(family.parent, "2026-04-01T10:00:03.5Z")
        assert before[family.kept].children == [family.grandchild]
        assert list(tree(family.grandchild)) == [family.grandchild]  # no parent any more
        assert tree(family.grandchild, "2026-04-01T10:00:03.5Z")[family.grandchild].parent == family.kept


def test_as_of_shows_the_tree_as_it_was(client: FlaskClient) -> None:
    with freeze_time("2026-04-01 10:00:00") as clock:
        family = build_family(client, clock)
        clock.move_to("2026-04-01 11:00:00")
        log_in(client)

        def tree_at(as_of: str) -> dict[str, DrawnNode]:
            response = client.get(f"/ui/tokens/{family.parent}", query_string={"as_of": as_of})
            assert response.status_code == 200, response.get_data(as_text=True)
            return read_page(response.get_data(as_text=True)).nodes

        before_revoke = tree_at("2026-04-01T10:00:02.999999Z")
        assert before_revoke[family.revoked].status == "live"
        assert "ended" not in before_revoke[family.revoked].classes
        assert family.grandchild in before_revoke
        at_revoke = tree_at("2026-04-01T10:00:03")  # datetime-local sends no zone: UTC
        assert at_revoke[family.revoked].status == "revoked"
        before_grandchild = tree_at("2026-04-01T10:00:01.500")
        assert family.grandchild not in before_grandchild and family.kept in before_grandchild
        assert tree_at("2026-04-01T12:00:01.5+02:00").keys() == before_grandchild.keys()
        before_parent = client.get(f"/ui/tokens/{family.parent}", query_string={"as_of": "2026-04-01T09:00:00Z"})
        assert "did not exist yet" in before_parent.get_data(as_text=True)
        assert list(read_page(before_parent.get_data(as_text=True)).nodes) == [family.root]
        later = client.get(f"/ui/tokens/{family.parent}", query_string={"as_of": "2026-04-01T10:00:00.5Z"})
        assert read_page(later.get_data(as_text=True)).events == ["TokenCreated"]
        assert 'class="event"' in later.get_data(as_text=True)
        assert client.get(f"/ui/tokens/{family.revoked}",
                          query_string={"as_of": "2026-04-01T10:00:02Z"}).status_code == 200


@pytest.mark.parametrize(("as_of", "message"), [
    ("2999-01-01T00:00:00Z", "as_of is in the future"),
    ("yesterday", "the instant must look like 2026-11-23T10:00:05Z (UTC)"),
])
def test_a_bad_instant_is_a_clear_400(client: FlaskClient, as_of: str, message: str) -> None:
    log_in(client)
    root = call(client, "GET", "lookup-self").json["data"]["accessor"]
    response = client.get(f"/ui/tokens/{root}", query_string={"as_of": as_of})
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_an_unknown_accessor_is_a_404_with_the_search_form(client: FlaskClient) -> None:
    log_in(client)
    response = client.get("/ui/tokens/nosuchaccessor")
    assert response.status_code == 404
    assert "No token ever held the accessor nosuchaccessor" in response.get_data(as_text=True)


def test_namespaces_are_kept_apart(client: FlaskClient) -> None:
    created = call(client, "POST", "create", body={"display_name": "eu-token", "ttl": "1h"},
                   query_string={"site": "eu"})
    accessor = created.json["auth"]["accessor"]
    log_in(client)
    assert client.get(f"/ui/tokens/{accessor}").status_code == 404
    response = client.get(f"/ui/tokens/{accessor}", query_string={"namespace": "eu"})
    assert response.status_code == 200
    assert list(read_page(response.get_data(as_text=True)).nodes) == [accessor]  # its parent is in the root namespace
    assert client.get("/ui/", query_string={"namespace": "bad name!"}).status_code == 400


def test_pages_forbid_framing_and_caching(client: FlaskClient) -> None:
    log_in(client)
    headers = client.get("/ui/").headers
    assert headers["X-Frame-Options"] == "DENY" and headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in headers["Content-Security-Policy"]


# -- end to end, in headless Chromium -------------------------------------------------------

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
    expect(page.locator("#timeline tr.event td:nth-child(2)")).to_have_text(["TokenCreated", "TokenRenewed"])
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
