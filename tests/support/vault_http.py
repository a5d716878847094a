"""Calling the API the way a Vault client does, through Flask's test client."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support.runtimes import ROOT_TOKEN

API = "/v1/auth/token"


def call(client: FlaskClient, method: str, path: str, token: str = ROOT_TOKEN,
         body: Any = None, **kwargs: Any) -> TestResponse:
    """A request to ``/v1/auth/token/<path>``, or to ``/v1/<path>`` for a path starting ``sys/``."""
    headers = {"X-Vault-Token": token} if token else {}
    headers.update(kwargs.pop("headers", {}))
    url = f"/v1/{path}" if path.startswith("sys/") else f"{API}/{path}"
    return client.open(url, method=method, json=body, headers=headers, **kwargs)


def create(client: FlaskClient, token: str = ROOT_TOKEN, **body: Any) -> dict[str, Any]:
    response = call(client, "POST", "create", token, body)
    assert response.status_code == 200, response.json
    return response.json


def issue(client: FlaskClient, token: str = ROOT_TOKEN, **body: Any) -> str:
    """A new token's value."""
    value: str = create(client, token, **body)["auth"]["client_token"]
    return value


def write_policy(client: FlaskClient, name: str, text: str, token: str = ROOT_TOKEN, **kwargs: Any) -> None:
    response = call(client, "PUT", f"sys/policy/{name}", token, {"policy": text}, **kwargs)
    assert response.status_code == 204, response.json


CREATES_TOKENS = """
path "auth/token/create" { capabilities = ["update"] }
path "auth/token/create-orphan" { capabilities = ["update"] }
"""


def let_create_tokens(client: FlaskClient, policy: str = "web", **kwargs: Any) -> None:
    """Holders of ``policy`` may create child and orphan tokens (and nothing more)."""
    write_policy(client, policy, CREATES_TOKENS, **kwargs)
