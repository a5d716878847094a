"""Vault's JSON response shapes: the success envelope, 204, and ``{"errors": [...]}``."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, g, has_request_context, request

from tokenledger.web.compact_json import compact_json
from tokenledger.web.served import request_globals

_HEADERS = {"Cache-Control": "no-store"}

SYS_BLUEPRINT = "vault_sys"  # the blueprint of sys/: Vault's answers there name the "system" mount


def json_response(body: dict[str, Any], status: int) -> Response:
    """A JSON body as Vault sends it: never cached."""
    return Response(compact_json(body) + b"\n", status=status, content_type="application/json",
                    headers=_HEADERS)


def vault_response(
    *,
    data: dict[str, Any] | None = None,
    auth: dict[str, Any] | None = None,
    warnings: list[str] | None = None,
    data_at_top: bool = False,
) -> Response:
    """``data_at_top``: the ``data`` keys are also written at the top level, before the envelope's,
    as Vault does on a few ``sys/`` paths (``sys/policy``, ``sys/policy/<name>``,
    ``sys/capabilities*``) for clients older than the envelope."""
    body = {
        "request_id": request_globals().get("request_id") or str(uuid.uuid4()),
        "lease_id": "",
        "renewable": False,
        "lease_duration": 0,
        "data": data,
        "wrap_info": None,
        "warnings": [*(warnings or []), *ignored_warnings()] or None,
        "auth": auth,
        "mount_type": _mount_type(),
    }
    if data_at_top and data:
        body = {**data, **body}
    return json_response(body, 200)


def _mount_type() -> str:
    """The type of the mount that answered, as Vault names it: ``system`` for ``sys/``."""
    return "system" if has_request_context() and request.blueprint == SYS_BLUEPRINT else "token"


def no_content() -> Response:
    return Response(status=204, headers=_HEADERS)


def error_response(status: int, *messages: str) -> Response:
    return json_response({"errors": list(messages)}, status)


def note_ignored(ignored: list[str], replaced: list[str]) -> None:
    """Vault's warnings about body parameters ignored, or replaced by the path's, for this request."""
    g.ignored_parameters = (list(ignored), list(replaced))


def ignored_warnings() -> list[str]:
    """What ``note_ignored`` kept, in Vault's words and order: after the endpoint's own warnings,
    and only in an answer with a body (a 204 names nothing, as in Vault)."""
    ignored, replaced = request_globals().get("ignored_parameters", ([], []))
    warnings = []
    if ignored:
        warnings.append(f"Endpoint ignored these unrecognized parameters: [{' '.join(ignored)}]")
    if replaced:
        warnings.append("Endpoint replaced the value of these parameters with the values captured from the "
                        f"endpoint's path: [{' '.join(replaced)}]")
    return warnings
