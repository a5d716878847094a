"""The audit page's login session: the token rides in Flask's session cookie, sealed.

Flask's session cookie is signed, not encrypted, so the token is sealed first with AES-GCM:
whoever reads the cookie (it is HttpOnly and SameSite=Strict, but may sit in a browser profile or
a proxy log) learns nothing of the token. The signing and sealing keys are derived (HMAC-SHA256,
one label each) from the store's ``token-hmac`` key, so every worker and every server on the
store agrees, sessions survive a restart, and the store gains no key of its own for the page
(exports list the same keys as before).

Each login also gets a random session id and its login time, signed into the cookie. A logout
records the id in the store (``tokenledger.projections.ui_logouts``), so a copy of the cookie taken before it
is refused afterwards by every worker and server, and a session ends for good a fixed lifetime
after its login, however often its cookie is refreshed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, Request, has_request_context, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

_SEAL_CONTEXT = b"tokenledger audit page: sealed token"
_NONCE_BYTES = 12

SEALED = "sealed_token"
ACCESSOR = "accessor"
NAMESPACE = "namespace"
SESSION_ID = "session_id"
LOGIN_US = "login_us"  # when the session began, microseconds since the epoch

_DEFAULT_PORTS = {"http": 80, "https": 443}
_SAME_ORIGIN_FETCHES = {"same-origin", "none"}  # "none": the user's own navigation, no other page


def new_session_id() -> str:
    return secrets.token_urlsafe(18)


def derived_key(store_key: bytes, purpose: str) -> bytes:
    return hmac.new(store_key, purpose.encode(), hashlib.sha256).digest()


def flask_secret(store_key: bytes) -> bytes:
    """What signs the session cookie."""
    return derived_key(store_key, "ui-session: flask session signing")


class TokenSeal:
    def __init__(self, store_key: bytes) -> None:
        self._cipher = AESGCM(derived_key(store_key, "ui-session: token sealing"))

    def seal(self, token: str) -> str:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._cipher.encrypt(nonce, token.encode(), _SEAL_CONTEXT)
        return base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, sealed: Any) -> str | None:
        """The token, or None if the value is not one this store sealed."""
        if not isinstance(sealed, str):
            return None
        try:
            raw = base64.urlsafe_b64decode(sealed.encode())
            return self._cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _SEAL_CONTEXT).decode()
        except (ValueError, InvalidTag, UnicodeDecodeError):
            return None


class CookieOnlySessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building the cookie's signer for a request that
    carries no cookie: every API call, where that was a fifth of a token lookup's time."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key is not None and (
            "HTTP_COOKIE" not in request.environ or not request.cookies.get(self.get_cookie_name(app))
        ):
            return self.session_class()
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure whenever this request came over HTTPS: the WSGI scheme, as the server saw it
        (no ``X-Forwarded-Proto`` is trusted: the server is not configured behind a proxy)."""
        return super().get_cookie_secure(app) or (has_request_context() and request.is_secure)


def cross_site_refusal(sent: Request) -> str | None:
    """Why a state-changing request must be refused as sent from another site, else None.

    Browsers send ``Origin`` with every POST, but ``null`` where the sending page's
    Referrer-Policy is ``no-referrer`` (the audit page's own) or the sender is sandboxed; then
    ``Sec-Fetch-Site`` (every current browser) or ``Referer`` decides. A request with none of them
    comes from no browser, so from nobody who could be tricked into sending it.
    """
    own = _origin_of(sent.host_url)

    def ours(url: str) -> bool:
        return own is not None and _origin_of(url) == own

    origin = sent.headers.get("Origin")
    if origin and origin != "null":
        return None if ours(origin) else f"it came from {origin}"
    fetch_site = sent.headers.get("Sec-Fetch-Site")
    if fetch_site:
        return None if fetch_site in _SAME_ORIGIN_FETCHES else f"the browser says it came from a {fetch_site} page"
    referer = sent.headers.get("Referer")
    if referer:
        return None if ours(referer) else "it came from another site"
    return "it came from a page without an origin" if origin == "null" else None


def _origin_of(url: str) -> tuple[str, str, int] | None:
    """Scheme, host and port (the scheme's default port when none is written), or None."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower(), 0)
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    return parts.scheme.lower(), parts.hostname.lower(), port
