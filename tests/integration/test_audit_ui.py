"""The audit web page at ``/ui/``: a token login refused without sudo on the history, a token's
tree (parents and descendants, ended ones struck through) and timeline, now and as of an instant.

Through Flask's test client; tests/e2e/test_audit_ui.py drives a real server in headless Chromium.
"""

from __future__ import annotations

import base64
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from flask.testing import FlaskClient
from freezegun import freeze_time

from tests.support.runtimes import ROOT_TOKEN
from tests.support.vault_http import CREATES_TOKENS, call, create, write_policy

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
    assert page.events == ["TokenCreated", "TokenUsed"]  # it created its children: its first use
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
        # its use at 10:00:01 (creating its children) is recorded, after the instant
        assert read_page(later.get_data(as_text=True)).events == ["TokenCreated", "TokenUsed"]
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
