"""The ``auth/token`` blueprint: translates Vault's HTTP calls into service commands and queries."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, Response, request

from tokenledger.application.audit import DEFAULT_PAGE, AuditService
from tokenledger.application.formats import token_page
from tokenledger.application.lookup_format import LOOKUP_DATA, TokenLookup, token_as_of_data
from tokenledger.application.tidy import TidyService
from tokenledger.application.token_service import POLICY_DENIED, Renewal, TokenService
from tokenledger.domain.caller import Caller
from tokenledger.domain.clock import Clock
from tokenledger.domain.errors import InvalidRequest, PermissionDenied
from tokenledger.domain.token_view import TokenView
from tokenledger.web import schemas
from tokenledger.web.access import Gate, is_list_request, list_limit
from tokenledger.web.audit_api import HistoryEndpoints, as_of
from tokenledger.web.envelope import error_response, no_content, vault_response
from tokenledger.web.errors import UNSUPPORTED_OPERATION, register_error_handlers
from tokenledger.web.namespace import addresses_a_site
from tokenledger.web.openapi_docs import AS_OF, AUTH_ANSWER, DONE, LOOKUP_ANSWER, REVOKED, WARNED
from tokenledger.web.openapi_schemas import AccessorListSchema, LookupAccessorDataSchema, RoleReadSchema
from tokenledger.web.request_input import RequestBody, body_parameters, body_reader
from tokenledger.web.role_api import ROLE_WRITE, RoleEndpoints
from tokenledger.web.routes import Answer, Doc, Link, Route, RoutedBlueprint
from tokenledger.web.unrouted import add_unrouted_paths
from tokenledger.wiring.bootstrap import Runtime

UPDATE = ("POST", "PUT")
READ_OR_UPDATE = ("GET", "POST", "PUT")
TIDY_WARNING = ("Tidy operation successfully started. Any information from the operation will be "
                "printed to Vault's server logs.")

ROOT_PATHS = ("auth/token/revoke-orphan/*", "auth/token/accessors*")  # Vault's: sudo needed, before routing


def create_token_blueprint(runtime: Runtime) -> Blueprint:
    """A blueprint serving Vault's token API, roles included; mount it at ``/v1/auth/token``."""
    gate = Gate(runtime.service, runtime.settings.index_wait_seconds, ROOT_PATHS)
    blueprint = RoutedBlueprint("vault_token_auth", __name__, gate, "auth/token")
    register_error_handlers(blueprint)
    blueprint.before_request(_refuse_response_wrapping)
    blueprint.before_request(body_reader(runtime.settings.max_request_size, parse_updates=True))
    blueprint.before_request(_refuse_token_not_text)
    tokens = TokenEndpoints(runtime.service, runtime.clock, runtime.tidy, runtime.audit)
    blueprint.add_routes(token_routes(tokens, RoleEndpoints(runtime.roles, runtime.audit)))
    add_unrouted_paths(blueprint, gate, "auth/token")
    return blueprint


def _refuse_response_wrapping() -> None:
    """Ignoring ``X-Vault-Wrap-TTL`` would hand out a bare token where a wrapped one was asked for."""
    if request.headers.get("X-Vault-Wrap-TTL"):
        raise InvalidRequest("response wrapping is not supported by this server")


TOKEN_IN_BODY_PATHS = frozenset(f"/v1/auth/token/{name}" for name in ("lookup", "renew", "revoke", "revoke-orphan"))


def _refuse_token_not_text() -> None:
    """Vault reads the ``token`` of these paths' bodies before routing, to find its namespace: one
    that is not a string (``null`` too) is a 403 ``invalid token``, whoever calls."""
    if request.method in UPDATE and request.path in TOKEN_IN_BODY_PATHS:
        parameters = body_parameters(request)
        if "token" in parameters and not isinstance(parameters["token"], str):
            raise PermissionDenied("invalid token")


class TokenEndpoints:
    def __init__(self, service: TokenService, clock: Clock, tidy: TidyService, audit: AuditService) -> None:
        self._service = service
        self._clock = clock
        self._tidy = tidy
        self._audit = audit

    # -- create ----------------------------------------------------------------------------

    def create(self, caller: Caller, body: RequestBody, role_name: str = "") -> Response:
        return self._create(caller, body, orphan_endpoint=False, role_name=role_name)

    def create_orphan(self, caller: Caller, body: RequestBody) -> Response:
        return self._create(caller, body, orphan_endpoint=True)

    def _create(self, caller: Caller, body: RequestBody, *, orphan_endpoint: bool, role_name: str = "") -> Response:
        """Only the path names a role (the ACL decides on ``create/<role_name>``): one in the body
        is ignored, with a warning."""
        command, warnings = body.load()
        command = replace(command, orphan_endpoint=orphan_endpoint, role_name=role_name)
        finite_only = addresses_a_site(request) or body.uses_aliases()
        issued = self._service.create(caller, command, finite_only=finite_only)
        auth = schemas.TokenAuth(issued.view, issued.client_token, issued.view.ttl)
        return vault_response(auth=schemas.AUTH.dump(auth), warnings=[*warnings, *issued.warnings])

    # -- lookup ----------------------------------------------------------------------------

    def lookup(self, caller: Caller, body: RequestBody, token: str = "") -> Response:
        if request.method == "GET":  # a GET's parameters are its query's, as in Vault
            token = token or request.args.get("token", "") or caller.raw_token
            warnings: list[str] = []
        else:  # no token given: the caller's own, as in Vault
            parameters, warnings = body.load()
            token = parameters["token"] or caller.raw_token
        return self._lookup_response(self._service.lookup(token, caller.namespace), token, warnings)

    def lookup_self(self, caller: Caller, body: RequestBody) -> Response:
        """A body's parameters are read only for Vault's warning about those it ignores (its
        ``token`` is unused, as in Vault)."""
        warnings = body.load()[1] if request.method != "GET" else []
        return self._lookup_response(caller.view, caller.raw_token, warnings)

    def lookup_accessor(self, caller: Caller, body: RequestBody, accessor: str = "") -> Response:
        """With ``as_of`` (query or body), the token as it was then, whatever became of it since.
        A GET's body is read too."""
        parameters, warnings = body.load()
        instant = as_of(request, parameters)
        if instant is None:
            view = self._service.lookup_accessor(parameters["accessor"], caller.namespace)
            return self._lookup_response(view, "", warnings)
        past = self._audit.token_as_of(caller.namespace, parameters["accessor"], instant)
        return vault_response(data=token_as_of_data(past, instant), warnings=warnings)

    def _lookup_response(self, view: TokenView, presented_id: str, warnings: list[str]) -> Response:
        found = TokenLookup(view, presented_id, self._clock.now())
        return vault_response(data=LOOKUP_DATA.dump(found), warnings=warnings)

    # -- renew -----------------------------------------------------------------------------

    def renew(self, caller: Caller, body: RequestBody, token: str = "") -> Response:
        parameters, warnings = body.load()
        renewal = self._service.renew(caller, parameters["token"], parameters["increment"])
        return _renewal_response(renewal, parameters["token"], warnings)

    def renew_self(self, caller: Caller, body: RequestBody) -> Response:
        parameters, warnings = body.load()
        renewal = self._service.renew_self(caller, parameters["increment"])
        return _renewal_response(renewal, caller.raw_token, warnings)

    def renew_accessor(self, caller: Caller, body: RequestBody, accessor: str = "") -> Response:
        parameters, warnings = body.load()
        renewal = self._service.renew_accessor(caller, parameters["accessor"], parameters["increment"])
        return _renewal_response(renewal, "", warnings)

    # -- revoke ----------------------------------------------------------------------------

    def revoke(self, caller: Caller, body: RequestBody, token: str = "") -> Response:
        parameters, _ = body.load()
        self._service.revoke(caller, parameters["token"])
        return no_content()

    def revoke_self(self, caller: Caller) -> Response:
        self._service.revoke_self(caller)
        return no_content()

    def revoke_accessor(self, caller: Caller, body: RequestBody, accessor: str = "") -> Response:
        parameters, _ = body.load()
        warnings = self._service.revoke_accessor(caller, parameters["accessor"])
        return vault_response(warnings=warnings) if warnings else no_content()

    def revoke_orphan(self, caller: Caller, body: RequestBody, token: str = "") -> Response:
        parameters, _ = body.load()
        self._service.revoke_orphan(caller, parameters["token"])
        return no_content()

    # -- list ------------------------------------------------------------------------------

    def list_accessors(self, caller: Caller) -> Response:
        if request.method == "GET" and not is_list_request(request):
            return error_response(405, UNSUPPORTED_OPERATION)
        after, limit = request.args.get("after") or None, list_limit(request)
        if request.args.get("detailed", "").lower() in ("1", "t", "true"):
            if not caller.is_sudo:
                raise PermissionDenied(POLICY_DENIED)
            page = self._audit.live_tokens(caller.namespace, after, limit or DEFAULT_PAGE)
            if not page.items:
                return error_response(404)
            data = token_page(page)
            return vault_response(data={"keys": data["keys"], "key_info": data["key_info"],
                                        "next_after": data["next_after"]})
        keys = self._service.list_accessors(caller, after=after, limit=limit)
        if not keys:
            return error_response(404)
        return vault_response(data=schemas.KEY_LIST.dump({"keys": keys}))

    # -- tidy ------------------------------------------------------------------------------

    def tidy(self, caller: Caller) -> Response:
        """Vault answers 202, no data and its warning, and tidies in the background; here the work
        is done when it answers, and what it did is recorded (``TidyCompleted``), not answered."""
        self._tidy.tidy(caller.actor)
        response = vault_response(warnings=[TIDY_WARNING])
        response.status_code = 202
        return response


def _renewal_response(renewal: Renewal, client_token: str, warnings: list[str]) -> Response:
    auth = schemas.TokenAuth(renewal.view, client_token, renewal.lease.ttl)
    return vault_response(
        auth=schemas.AUTH.dump(auth), warnings=[*warnings, *renewal.lease.warnings]
    )


# -- the route table -------------------------------------------------------------------------

TIDIED = Answer(202, description="Vault's 202, no data and its warning; the tidy is done when it answers "
                                 "and recorded as a TidyCompleted event")
_ACCESSOR = {"accessor": "$response.body#/auth/accessor"}
_TOKEN = {"token": "$response.body#/auth/client_token"}
_TOKEN_LINKS = (  # from a token created: look it up, renew it, revoke it, read its history
    Link("LookupAccessor", TokenEndpoints.lookup_accessor, "GET", _ACCESSOR),
    Link("RenewAccessor", TokenEndpoints.renew_accessor, "POST", _ACCESSOR),
    Link("RevokeAccessor", TokenEndpoints.revoke_accessor, "POST", _ACCESSOR),
    Link("History", HistoryEndpoints.token_history, "GET", _ACCESSOR),
    Link("CreatedBy", HistoryEndpoints.created_by, "GET", _ACCESSOR),
    Link("Lookup", TokenEndpoints.lookup, "GET", _TOKEN),
    Link("Renew", TokenEndpoints.renew, "POST", _TOKEN),
    Link("Revoke", TokenEndpoints.revoke, "POST", _TOKEN),
    Link("RevokeOrphan", TokenEndpoints.revoke_orphan, "POST", _TOKEN),
)
_ROLE = {"role_name": "$request.path.role_name"}
_ROLE_LINKS = (  # from a role written: read it, create against it, delete it, its tokens
    Link("ReadRole", RoleEndpoints.read_role, "GET", _ROLE),
    Link("CreateAgainstRole", TokenEndpoints.create, "POST", _ROLE),
    Link("DeleteRole", RoleEndpoints.delete_role, "DELETE", _ROLE),
    Link("CreatedAgainstRole", HistoryEndpoints.created_against_role, "GET", {"role": "$request.path.role_name"}),
)


def token_routes(tokens: TokenEndpoints, roles: RoleEndpoints) -> tuple[Route, ...]:
    """The ``auth/token`` blueprint's routes, token roles included."""
    lookup = Route(("/lookup",), READ_OR_UPDATE, tokens.lookup, Doc(
        "Look up a token (GET: the one in the query's `token` or the path, else the caller's own)",
        (LOOKUP_ANSWER,)), body=schemas.TOKEN_BODY)
    lookup_accessor = Route(("/lookup-accessor",), UPDATE, tokens.lookup_accessor, Doc(
        "Look up a token by accessor",
        (Answer(200, data=LookupAccessorDataSchema, description="the token's properties"),),
        query=("as_of",), description=AS_OF + " `as_of` may be in the body too."),
        body=schemas.LOOKUP_ACCESSOR_BODY, path_fields=("accessor",))
    return (
        Route(("/create", "/create/<role_name>"), UPDATE, tokens.create, Doc(
            "Create a token (a child of the caller unless no_parent), optionally against a role", (AUTH_ANSWER,),
            description="Takes Vault's parameters and, as aliases, the other product's kebab-case dialect "
                        "(`no-parent`, `max-ttl`, ...); a request in that dialect or with `site` refuses a "
                        "token that would never expire.",
            example={"policies": ["web"], "ttl": "1h", "meta": {"team": "a"}, "num_uses": 10}, links=_TOKEN_LINKS),
            body=schemas.CREATE_TOKEN, path_fields=("role_name",)),
        Route(("/create-orphan",), UPDATE, tokens.create_orphan, Doc(
            "Create an orphan token", (AUTH_ANSWER,), example={"policies": ["web"], "ttl": "1h"},
            links=_TOKEN_LINKS), body=schemas.CREATE_TOKEN),
        lookup,
        replace(lookup, rules=("/lookup/<path:token>",), methods=("GET",)),
        Route(("/lookup-self",), READ_OR_UPDATE, tokens.lookup_self, Doc(
            "Look up the calling token", (LOOKUP_ANSWER,)), body=schemas.TOKEN_BODY),
        lookup_accessor,
        # Vault reads no token by accessor at lookup-accessor (405): a GET names it in the path.
        replace(lookup_accessor, rules=("/lookup-accessor/<accessor>",), methods=READ_OR_UPDATE),
        Route(("/renew", "/renew/<path:token>"), UPDATE, tokens.renew, Doc("Renew a token", (AUTH_ANSWER,)),
              body=schemas.RENEW_BODY, path_fields=("token",)),
        Route(("/renew-self",), UPDATE, tokens.renew_self, Doc("Renew the calling token", (AUTH_ANSWER,)),
              body=schemas.INCREMENT_BODY),
        Route(("/renew-accessor", "/renew-accessor/<accessor>"), UPDATE, tokens.renew_accessor, Doc(
            "Renew a token by accessor", (AUTH_ANSWER,)), body=schemas.RENEW_ACCESSOR_BODY, path_fields=("accessor",)),
        Route(("/revoke", "/revoke/<path:token>"), UPDATE, tokens.revoke, Doc(
            "Revoke a token and its descendants", (REVOKED,)), body=schemas.TOKEN_BODY, path_fields=("token",)),
        Route(("/revoke-self",), UPDATE, tokens.revoke_self, Doc(
            "Revoke the calling token and its descendants", (REVOKED,))),
        Route(("/revoke-accessor", "/revoke-accessor/<accessor>"), UPDATE, tokens.revoke_accessor, Doc(
            "Revoke a token by accessor", (REVOKED, WARNED)), body=schemas.ACCESSOR_BODY, path_fields=("accessor",)),
        Route(("/revoke-orphan", "/revoke-orphan/<path:token>"), UPDATE, tokens.revoke_orphan, Doc(
            "Revoke a token, orphaning its children (sudo)", (REVOKED,)), body=schemas.TOKEN_BODY,
            path_fields=("token",)),
        Route(("/accessors", "/accessors/"), ("LIST", "GET"), tokens.list_accessors, Doc(
            "List the accessors of live tokens (sudo)",
            (Answer(200, data=AccessorListSchema, description="a page of accessors"),),
            query=("after", "limit", "detailed"), listing=True,
            description="404 when the page is empty. `detailed=true` adds each token's summary.")),
        Route(("/tidy",), UPDATE, tokens.tidy, Doc("Repair the read models and record due expiries", (TIDIED,))),
        Route(("/roles", "/roles/"), ("GET", "LIST"), roles.list_roles, Doc(
            "List token roles", (Answer(200, data=schemas.KeyListSchema, description="a page of role names"),),
            query=("after", "limit"), listing=True, tag="auth/token/roles",
            description="404 when the page is empty.")),
        Route(("/roles/<role_name>",), ("GET",), roles.read_role, Doc(
            "Read a token role", (Answer(200, data=RoleReadSchema, description="the role"),),
            query=("as_of",), tag="auth/token/roles", description=AS_OF + " 404 if none.")),
        Route(("/roles/<role_name>",), UPDATE, roles.write_role, Doc(
            "Create or update a token role (only the fields given change)", (DONE, WARNED), tag="auth/token/roles",
            example={"allowed_policies": "app,db", "orphan": True, "path_suffix": "blue",
                     "token_period": "1h", "token_bound_cidrs": ["10.0.0.0/8"]}, links=_ROLE_LINKS),
            body=ROLE_WRITE, exists=roles.exists),
        Route(("/roles/<role_name>",), ("DELETE",), roles.delete_role, Doc(
            "Delete a token role", (DONE,), tag="auth/token/roles")),
    )
