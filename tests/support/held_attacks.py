"""What the held attacks send, and how their refusals read: shared by the attacks through Flask's
test client (tests/integration/security) and against a real server (tests/e2e/security)."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.support.runtimes import ROOT_TOKEN

NO_TOKEN = ["permission denied"]  # refused before any policy: unknown token, wrong namespace, address

SPOOFING_HEADERS = [
    {"X-Forwarded-For": "10.0.0.1"},
    {"X-Forwarded-For": "10.0.0.1, 127.0.0.1"},
    {"X-Real-IP": "10.0.0.1"},
    {"Forwarded": "for=10.0.0.1"},
    {"X-Client-IP": "10.0.0.1"},
    {"True-Client-IP": "10.0.0.1"},
]


def errors(response: Any) -> list[str]:
    body = response.get_json(silent=True) if hasattr(response, "get_json") else response.json()
    return list(body["errors"]) if isinstance(body, dict) and "errors" in body else []


def log_in(client: FlaskClient, **form: str) -> Any:
    """A login to the audit page with the root token, from the page itself."""
    return client.post("/ui/login", data={"token": ROOT_TOKEN, **form}, headers={"Origin": "http://localhost"})
