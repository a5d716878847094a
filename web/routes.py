"""Route tables: each route declared once, as OpenBao's ``paths()`` declare theirs: the rules and
methods it serves, its handler, the schema its request body is loaded by, how the gate sees it,
and the text of its OpenAPI operation (``Doc``).

A ``RoutedBlueprint`` registers its URL rules from its table and keeps the table;
``tokenledger.web.openapi`` describes every route from the tables (``routes_of``). A route
documented as taking Vault's token passes the blueprint's ``Gate``; a route with a ``body``
schema has its handler called with a ``RequestBody`` after the caller, which the handler loads
when its own earlier checks have passed, as each handler did before there was a table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Blueprint, Flask
from marshmallow import Schema
from werkzeug.wrappers import Response

from tokenledger.domain.caller import Caller
from tokenledger.web.access import Existence, Gate, Handler, StoredName
from tokenledger.web.fields import RequestSchema
from tokenledger.web.request_input import RequestBody
from tokenledger.web.unrouted import served_as_vault_serves

JSON, HTML, TEXT, FORM = "application/json", "text/html", "text/plain", "application/x-www-form-urlencoded"

ENVELOPE, EMPTY, PAGE, DOCUMENT, BARE, PLAIN = "envelope", "empty", "page", "document", "bare", "plain"

VAULT_SECURITY = ("VaultToken", "Bearer")
VAULT_ERRORS = (400, 403, 404, 409, 412, 500)

_APP_ROUTES = "tokenledger.routes"  # app.extensions: the routes registered on the app itself


@dataclass(frozen=True)
class Answer:
    """One response: a status and what its body is: Vault's envelope (``data`` and ``auth``
    shaped by the named schemas, null when not named), nothing, an HTML page (the UI, its
    redirects included), the OpenAPI document, the ``data`` schema alone (``bare``), or text."""

    status: int
    data: type[Schema] | None = None
    auth: type[Schema] | None = None
    description: str = ""
    kind: str = ENVELOPE


@dataclass(frozen=True)
class Link:
    """An OpenAPI link from the route's success answers to the operation of the handler ``target``
    with ``method`` whose path parameters are those of ``parameters`` (each a runtime expression)."""

    name: str
    target: Handler
    method: str
    parameters: Mapping[str, str]


@dataclass(frozen=True, eq=False)
class Doc:
    """A route's OpenAPI text: what it answers, the query parameters it reads (names in
    ``tokenledger.web.openapi_docs.PARAMETERS``), who may call it, the errors it answers as
    ``{"errors": [...]}``, and the links from its answers."""

    summary: str
    answers: tuple[Answer, ...]
    query: tuple[str, ...] = ()
    listing: bool = False  # a LIST route (documented as GET with list=true)
    description: str = ""
    tag: str = "auth/token"
    security: tuple[str, ...] = VAULT_SECURITY  # any one of them; () is none at all
    anonymous_too: bool = False  # also answers without credentials (the UI redirects to its login)
    vault_parameters: bool = True  # site, X-Vault-Namespace, X-Vault-Index
    errors: tuple[int, ...] = VAULT_ERRORS
    example: Mapping[str, Any] | None = None  # a request body that succeeds on a fresh ledger
    form: type[Schema] | None = None  # a form its handler reads itself (the audit UI's login)
    links: tuple[Link, ...] = ()


@dataclass(frozen=True, eq=False)
class Route:
    """A handler and the rules it serves with ``methods``.

    ``body`` loads and describes the parameters of a POST or PUT (and of any request whose
    handler asks); ``path_fields`` are the path parameters given to it, which win over the body's.
    For the gate: ``exists`` tells a write whether its target exists (Vault's ``create`` or
    ``update``), ``stored_name`` the form a name in the path is stored under (see ``Gate.guard``).
    """

    rules: tuple[str, ...]
    methods: tuple[str, ...]
    handler: Handler
    doc: Doc
    body: RequestSchema | None = None
    path_fields: tuple[str, ...] = ()
    exists: Existence | None = None
    stored_name: StoredName | None = None

    @property
    def gated(self) -> bool:
        """Whether it takes Vault's token, and so passes the gate, as its document says."""
        return self.doc.security == VAULT_SECURITY

    def endpoint(self, rule: str) -> str:
        """A gated route is gated at each rule, one view each: its handler's name and the rule."""
        name = self.handler.__name__
        return f"{name}{rule}" if self.gated else name


class RoutedBlueprint(Blueprint):
    """A blueprint whose routes are registered from its route table, which it keeps (only the
    catch-all of unknown paths is not, see ``tokenledger.web.unrouted``). The gated ones pass
    ``gate`` at their rule under ``vault_prefix``, Vault's path of the mount point."""

    def __init__(self, name: str, import_name: str, gate: Gate | None = None, vault_prefix: str = "",
                 **options: Any) -> None:
        super().__init__(name, import_name, **options)
        self.routes: list[Route] = []
        self._gate = gate
        self._vault_prefix = vault_prefix

    def add_routes(self, routes: Iterable[Route]) -> None:
        for route in routes:
            # A gated route takes OPTIONS itself (Vault answers it after the ACL), not Flask.
            methods = [*route.methods, *(["OPTIONS"] if route.gated else [])]
            for rule in route.rules:
                self.add_url_rule(rule, endpoint=route.endpoint(rule), view_func=self._view(route, rule),
                                  methods=methods)
            self.routes.append(route)

    def _view(self, route: Route, rule: str) -> Handler:
        if not route.gated:
            assert route.body is None, f"{route.endpoint(rule)}: only the gate's routes load a body"
            return route.handler
        assert self._gate is not None, f"{route.endpoint(rule)} needs the blueprint's gate"
        handler = served_as_vault_serves(_with_body(route), lists="LIST" in route.methods)
        return self._gate.guard(handler, self._vault_prefix, rule, route.exists, route.stored_name)


def _with_body(route: Route) -> Handler:
    """The route's handler, given its ``RequestBody`` after the caller if it declares one."""
    schema = route.body
    if schema is None:
        return route.handler

    @wraps(route.handler)
    def handler(caller: Caller, **path_parameters: str) -> Response:
        from_path = {name: path_parameters[name] for name in route.path_fields if name in path_parameters}
        return route.handler(caller, RequestBody(schema, from_path), **path_parameters)

    return handler


def add_app_routes(app: Flask, routes: Iterable[Route]) -> None:
    """Register ungated routes on the app itself (the OpenAPI document's own), kept as a blueprint's are."""
    kept: list[Route] = app.extensions.setdefault(_APP_ROUTES, [])
    for route in routes:
        assert not route.gated and route.body is None, route.handler.__name__
        for rule in route.rules:
            app.add_url_rule(rule, endpoint=route.endpoint(rule), view_func=route.handler,
                             methods=list(route.methods))
        kept.append(route)


def routes_of(app: Flask) -> dict[str, Route]:
    """The route of every endpoint registered from a route table, the app's and its blueprints'."""
    found = {route.endpoint(rule): route for route in app.extensions.get(_APP_ROUTES, []) for rule in route.rules}
    for name, blueprint in app.blueprints.items():  # endpoints are ``{blueprint name}.{endpoint}``
        if isinstance(blueprint, RoutedBlueprint):
            found.update({f"{name}.{route.endpoint(rule)}": route for route in blueprint.routes
                          for rule in route.rules})
    return found


def handler_function(handler: Handler) -> Callable[..., Any]:
    """The function behind a handler, bound or not: what a ``Link`` names a route by."""
    function: Callable[..., Any] = getattr(handler, "__func__", handler)
    return function
