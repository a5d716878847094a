"""Finding 11: the audit page's sessions. A cookie copied before a logout is refused after it, by
every worker and server on the store; a state-changing POST sent from another site (login CSRF)
is refused; the cookie is ``Secure`` when the page is served over HTTPS."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from freezegun import freeze_time
from werkzeug.test import TestResponse

from tests.support.runtimes import ROOT_TOKEN
from tokenledger.web.app import create_app, runtime_of
from tokenledger.wiring.settings import Settings

EVIL = "https://evil.example"


def log_in(client: FlaskClient, **headers: str) -> TestResponse:
    return client.post("/ui/login", data={"token": ROOT_TOKEN}, headers=headers)


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def logged_in(client: FlaskClient) -> bool:
    response = client.get("/ui/")
    assert response.status_code in (200, 302)
    return response.status_code == 200




@pytest.fixture
def ui(app: Flask) -> FlaskClient:
    return app.test_client()


# -- logout ends every copy of the session ----------------------------------------------------

def test_a_cookie_copied_before_logout_is_refused_after_it(client: FlaskClient) -> None:
    log_in(client)
    copied = session_cookie(client)
    assert client.post("/ui/logout").status_code == 302
    client.set_cookie("session", copied, domain="localhost")
    response = client.get("/ui/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/ui/login")


def test_a_logout_on_one_server_ends_the_session_on_every_other(settings: Settings, client: FlaskClient) -> None:
    """Another worker or server on the store (or this one restarted) knows nothing of this one's memory."""
    other_app = create_app(settings)
    try:
        other = other_app.test_client()
        log_in(client)
        copied = session_cookie(client)
        other.set_cookie("session", copied, domain="localhost")
        assert logged_in(other)  # the same store's keys: the session is good everywhere
        client.post("/ui/logout")
        assert not logged_in(other)
        restarted = create_app(settings)
        try:
            again = restarted.test_client()
            again.set_cookie("session", copied, domain="localhost")
            assert not logged_in(again)
        finally:
            runtime_of(restarted).close()
    finally:
        runtime_of(other_app).close()


@pytest.mark.one_store
def test_a_logout_ends_only_its_own_session(ui: FlaskClient, app: Flask) -> None:
    other = app.test_client()
    log_in(ui)
    log_in(other)
    ui.post("/ui/logout")
    assert not logged_in(ui) and logged_in(other)


@pytest.mark.one_store
def test_logouts_are_forgotten_once_their_sessions_would_have_expired(ui: FlaskClient, app: Flask) -> None:
    index = runtime_of(app).read_models
    lifetime = app.permanent_session_lifetime
    with freeze_time("2030-01-01T00:00:00Z") as clock:
        log_in(ui)
        ui.post("/ui/logout")
        assert len(index.query("SELECT session_id FROM ui_session_logouts", [])) == 1
        clock.tick(lifetime + timedelta(seconds=1))
        log_in(ui)
        ui.post("/ui/logout")
        assert len(index.query("SELECT session_id FROM ui_session_logouts", [])) == 1  # the first is gone


# -- cross-site requests ---------------------------------------------------------------------

@pytest.mark.one_store
@pytest.mark.parametrize("headers", [
    {"Origin": EVIL},
    {"Origin": "http://localhost:8200"},  # another port is another origin
    {"Origin": "https://localhost"},  # and so is another scheme
    {"Origin": "null"},  # a sandboxed frame, with nothing else to tell
    {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain is not this page
    {"Referer": EVIL + "/login-for-you"},
], ids=lambda headers: ",".join(f"{k}={v}" for k, v in headers.items()))
def test_a_login_sent_from_another_site_is_refused(ui: FlaskClient, headers: dict[str, str]) -> None:
    response = log_in(ui, **headers)
    assert response.status_code == 403
    assert "not sent from the audit page" in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers
    assert ui.get_cookie("session") is None and not logged_in(ui)


@pytest.mark.one_store
@pytest.mark.parametrize("headers", [
    {},  # no browser: nobody tricked into sending it
    {"Origin": "http://localhost"},
    {"Origin": "http://LOCALHOST:80"},
    {"Origin": "null", "Sec-Fetch-Site": "same-origin"},  # what Chromium sends from a no-referrer page
    {"Sec-Fetch-Site": "same-origin"},
    {"Referer": "http://localhost/ui/login"},
], ids=lambda headers: ",".join(f"{k}={v}" for k, v in headers.items()) or "none")
def test_a_login_from_the_page_itself_is_accepted(ui: FlaskClient, headers: dict[str, str]) -> None:
    response = log_in(ui, **headers)
    assert response.status_code == 302 and logged_in(ui)


@pytest.mark.one_store
def test_a_logout_sent_from_another_site_is_refused(ui: FlaskClient) -> None:
    log_in(ui)
    response = ui.post("/ui/logout", headers={"Origin": EVIL})
    assert response.status_code == 403 and "not sent from the audit page" in response.get_data(as_text=True)
    assert logged_in(ui)


# -- the Secure flag ---------------------------------------------------------------------------

@pytest.mark.one_store
def test_the_cookie_is_secure_over_https(ui: FlaskClient) -> None:
    response = ui.post("/ui/login", data={"token": ROOT_TOKEN}, base_url="https://localhost")
    assert response.status_code == 302
    assert "; Secure" in response.headers["Set-Cookie"]
    assert ui.get("/ui/", base_url="https://localhost").status_code == 200


@pytest.mark.one_store
def test_the_cookie_is_not_secure_over_http_whatever_a_header_claims(ui: FlaskClient) -> None:
    """A secure cookie would not come back over plain HTTP; no forwarded header is trusted."""
    response = ui.post("/ui/login", data={"token": ROOT_TOKEN}, headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 302 and "Secure" not in response.headers["Set-Cookie"]
