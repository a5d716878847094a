"""Vault's JSON response shapes: the success envelope, 204, and ``{"errors": [...]}``."""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import Response, g

_HEADERS = {"Cache-Control": "no-store"}


def _json(body: dict[str, Any], status: int) -> Response:
    return Response(
        json.dumps(body) + "\n", status=status, mimetype="application/json", headers=_HEADERS
    )


def vault_response(
    *,
    data: dict[str, Any] | None = None,
    auth: dict[str, Any] | None = None,
    warnings: list[str] | None = None,
) -> Response:
    body = {
        "request_id": g.get("request_id") or str(uuid.uuid4()),
        "lease_id": "",
        "renewable": False,
        "lease_duration": 0,
        "data": data,
        "wrap_info": None,
        "warnings": warnings or None,
        "auth": auth,
        "mount_type": "token",
    }
    return _json(body, 200)


def no_content() -> Response:
    return Response(status=204, headers=_HEADERS)


def error_response(status: int, *messages: str) -> Response:
    return _json({"errors": list(messages)}, status)
