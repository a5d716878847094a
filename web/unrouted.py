"""Paths no route serves. As in Vault, the caller's token and policies are checked before the path
is found to be unknown: a client without a grant learns "permission denied" and nothing of which
paths exist; one with a grant gets 405 where another method is served there, else 404. A LIST
asks for the path with a trailing ``/`` (Vault adds it), so a LIST where no list is served is an
unsupported path, not an unsupported operation."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Response as BaseResponse

from tokenledger.domain.caller import Caller
from tokenledger.domain.errors import LedgerError
from tokenledger.web.access import Gate, Handler, is_list_request
from tokenledger.web.envelope import error_response
from tokenledger.web.errors import UNSUPPORTED_OPERATION, UNSUPPORTED_PATH, error_of, no_route_message
from tokenledger.web.served import served_request

RULE = "/<path:unknown>"
ENDPOINT = "unrouted"
MOUNT_RULE = "/"
MOUNT_ENDPOINT = "unrouted_mount"
ANY_METHOD = ["GET", "POST", "PUT", "DELETE", "LIST", "PATCH", "HEAD", "OPTIONS"]
_MOUNTS = ("/v1/auth/token/", "/v1/sys/")
NO_ROUTE_SERVES = ("HEAD", "OPTIONS")  # methods every route takes, to answer them as Vault does


def add_unrouted_paths(blueprint: Blueprint, gate: Gate, vault_prefix: str) -> None:
    """Answer the paths below ``blueprint``'s mount (Vault's ``vault_prefix``) that no route serves.

    Paths under no mount at all (``/v1/secret/...``) are left to the app's 404 (see
    ``add_unmounted_paths``): a catch-all for ``/v1`` would also swallow ``//`` paths, which
    werkzeug now redirects to the one path the policies see."""
    blueprint.add_url_rule(RULE, endpoint=ENDPOINT, view_func=gate.guard(_unrouted, vault_prefix, RULE),
                           methods=ANY_METHOD)
    # The mount point itself, with its ``/`` or without (Vault's router adds it): no backend path.
    blueprint.add_url_rule(MOUNT_RULE, endpoint=MOUNT_ENDPOINT, methods=ANY_METHOD, strict_slashes=False,
                           view_func=gate.guard(_at_mount, vault_prefix, MOUNT_RULE))


def add_unmounted_paths(app: Flask, gate: Gate) -> None:
    """The app's 404 for a ``/v1/`` path under no mount: Vault checks the token (403 without a
    live one) and its policies (403 without a grant, spending a use) before it finds no handler."""
    app.register_error_handler(NotFound, _unmounted(gate))


def _unmounted(gate: Gate) -> Callable[[NotFound], Response]:
    def answer(error: NotFound) -> Response:
        path = request.path
        if path.startswith("/v1/") and not path.startswith(_MOUNTS):
            vault_path = path.removeprefix("/v1/")
            try:
                gate.pass_unrouted(vault_path)
                listing = request.method == "LIST" or (request.method == "GET" and is_list_request(request))
            except LedgerError as refused:
                return error_of(refused)
            if listing and not vault_path.endswith("/"):
                vault_path += "/"
            return error_response(404, f'no handler for route "{vault_path}". route entry not found.')
        return error_response(404, no_route_message(error))

    return answer


def _unrouted(caller: Caller, unknown: str) -> Response:
    return unrouted_answer()


def _at_mount(caller: Caller) -> Response:
    return unrouted_answer()


def unrouted_answer() -> Response:
    """405 where another method is served at the path, else 404."""
    if _served_by_another_method():
        return error_response(405, UNSUPPORTED_OPERATION)
    return error_response(404, UNSUPPORTED_PATH)


def served_as_vault_serves(handler: Handler, *, lists: bool) -> Handler:
    """``handler`` of a route, answering what Vault's routes do not serve once the gate has
    admitted it: a HEAD (Vault's ``header`` operation, which no route serves) and an OPTIONS (sent
    on by Vault with no operation, CORS being off), and, where the route serves no LIST (``lists``
    false), a GET with ``list=true`` as a LIST there."""

    @wraps(handler)
    def view(caller: Caller, **path_parameters: str) -> BaseResponse:
        served = served_request()
        if served.method in NO_ROUTE_SERVES:
            return error_response(405, UNSUPPORTED_OPERATION)
        if not lists and served.method == "GET" and is_list_request(served):
            return unrouted_answer()
        return handler(caller, **path_parameters)

    return view


def is_unrouted(endpoint: str) -> bool:
    return endpoint.rsplit(".", 1)[-1] in (ENDPOINT, MOUNT_ENDPOINT)


def _served_by_another_method() -> bool:
    adapter = current_app.url_map.bind("")
    path = request.path
    if (request.method == "LIST" or is_list_request(request)) and not path.endswith("/"):
        path += "/"
    for method in ("GET", "POST", "LIST"):
        try:
            endpoint, _ = adapter.match(path, method=method)
        except (NotFound, MethodNotAllowed, RequestRedirect):
            continue
        if not is_unrouted(endpoint):
            return True
    return False
