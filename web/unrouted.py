"""Paths no route serves. As in Vault, the caller's token and policies are checked before the path
is found to be unknown: a client without a grant learns "permission denied" and nothing of which
paths exist; one with a grant gets 405 where another method is served there, else 404."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import MethodNotAllowed, NotFound

from tokenledger.domain.caller import Caller
from tokenledger.web.access import Gate
from tokenledger.web.envelope import error_response
from tokenledger.web.errors import UNSUPPORTED_OPERATION, UNSUPPORTED_PATH

RULE = "/<path:unknown>"
ENDPOINT = "unrouted"
ANY_METHOD = ["GET", "POST", "PUT", "DELETE", "LIST", "PATCH", "HEAD", "OPTIONS"]


def add_unrouted_paths(blueprint: Blueprint, gate: Gate, vault_prefix: str) -> None:
    """Answer the paths below ``blueprint``'s mount (Vault's ``vault_prefix``) that no route serves.

    Paths under no mount at all (``/v1/secret/...``) are left to the app's 404: a catch-all for
    ``/v1`` would also swallow ``//`` paths, which werkzeug now redirects to the one path the
    policies see."""
    blueprint.add_url_rule(RULE, endpoint=ENDPOINT, view_func=gate.guard(_unrouted, vault_prefix, RULE),
                           methods=ANY_METHOD)


def _unrouted(caller: Caller, unknown: str) -> Response:
    if _served_by_another_method():
        return error_response(405, UNSUPPORTED_OPERATION)
    return error_response(404, UNSUPPORTED_PATH)


def is_unrouted(endpoint: str) -> bool:
    return endpoint.rsplit(".", 1)[-1] == ENDPOINT


def _served_by_another_method() -> bool:
    adapter = current_app.url_map.bind("")
    for method in ("GET", "POST", "LIST"):
        try:
            endpoint, _ = adapter.match(request.path, method=method)
        except (NotFound, MethodNotAllowed):
            continue
        if not is_unrouted(endpoint):
            return True
    return False
