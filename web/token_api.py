"""The ``auth/token`` blueprint: translates Vault's HTTP calls into service commands and queries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from flask import Blueprint, Response, request

from tokenledger.application.audit import DEFAULT_PAGE, AuditService
from tokenledger.application.tidy import TidyService
from tokenledger.application.token_service import POLICY_DENIED, Renewal, TokenService
from tokenledger.domain.caller import Caller
from tokenledger.domain.clock import Clock
from tokenledger.domain.errors import InvalidRequest, PermissionDenied
from tokenledger.domain.token_view import TokenView
from tokenledger.web import schemas
from tokenledger.web.access import Gate, is_list_request, list_limit
from tokenledger.web.audit_api import as_of, token_as_of_data, token_page
from tokenledger.web.envelope import error_response, no_content, vault_response
from tokenledger.web.errors import UNSUPPORTED_OPERATION, register_error_handlers
from tokenledger.web.namespace import addresses_a_site
from tokenledger.web.request_input import body_parameters, body_reader, load, uses_aliases
from tokenledger.web.role_api import RoleEndpoints
from tokenledger.web.unrouted import add_unrouted_paths
from tokenledger.wiring.bootstrap import Runtime

UPDATE = ["POST", "PUT"]
READ_OR_UPDATE = ["GET", "POST", "PUT"]
Handler = Callable[..., Response]
TIDY_WARNING = ("Tidy operation successfully started. Any information from the operation will be "
                "printed to Vault's server logs.")

ROLE_NAME_REPLACED = ("Endpoint replaced the value of these parameters with the values captured from "
                      "the endpoint's path: [role_name]")


def create_token_blueprint(runtime: Runtime) -> Blueprint:
    """A blueprint serving Vault's token API, roles included; mount it at ``/v1/auth/token``."""
    blueprint = Blueprint("vault_token_auth", __name__)
    register_error_handlers(blueprint)
    blueprint.before_request(_refuse_response_wrapping)
    blueprint.before_request(body_reader(runtime.settings.max_request_size, parse_updates=True))
    gate = Gate(runtime.service, runtime.settings.index_wait_seconds)
    token_endpoints = TokenEndpoints(runtime.service, runtime.clock, runtime.tidy, runtime.audit)
    role_endpoints = RoleEndpoints(runtime.roles, runtime.audit)
    for rule, handler, methods in [*token_endpoints.routes(), *role_endpoints.routes()]:
        exists = role_endpoints.exists if rule.startswith("/roles/") else None
        blueprint.add_url_rule(rule, view_func=gate.guard(handler, "auth/token", rule, exists),
                               methods=methods, endpoint=f"{handler.__name__}{rule}")
    add_unrouted_paths(blueprint, gate, "auth/token")
    return blueprint


def _refuse_response_wrapping() -> None:
    """Ignoring ``X-Vault-Wrap-TTL`` would hand out a bare token where a wrapped one was asked for."""
    if request.headers.get("X-Vault-Wrap-TTL"):
        raise InvalidRequest("response wrapping is not supported by this server")


class TokenEndpoints:
    def __init__(self, service: TokenService, clock: Clock, tidy: TidyService, audit: AuditService) -> None:
        self._service = service
        self._clock = clock
        self._tidy = tidy
        self._audit = audit

    def routes(self) -> list[tuple[str, Handler, list[str]]]:
        return [
            ("/create", self.create, UPDATE),
            ("/create/<role_name>", self.create, UPDATE),
            ("/create-orphan", self.create_orphan, UPDATE),
            ("/lookup", self.lookup, READ_OR_UPDATE),
            ("/lookup/<path:token>", self.lookup, ["GET"]),
            ("/lookup-self", self.lookup_self, READ_OR_UPDATE),
            ("/lookup-accessor", self.lookup_accessor, READ_OR_UPDATE),
            ("/lookup-accessor/<accessor>", self.lookup_accessor, READ_OR_UPDATE),
            ("/renew", self.renew, UPDATE),
            ("/renew/<path:token>", self.renew, UPDATE),
            ("/renew-self", self.renew_self, UPDATE),
            ("/renew-accessor", self.renew_accessor, UPDATE),
            ("/renew-accessor/<accessor>", self.renew_accessor, UPDATE),
            ("/revoke", self.revoke, UPDATE),
            ("/revoke/<path:token>", self.revoke, UPDATE),
            ("/revoke-self", self.revoke_self, UPDATE),
            ("/revoke-accessor", self.revoke_accessor, UPDATE),
            ("/revoke-accessor/<accessor>", self.revoke_accessor, UPDATE),
            ("/revoke-orphan", self.revoke_orphan, UPDATE),
            ("/revoke-orphan/<path:token>", self.revoke_orphan, UPDATE),
            ("/accessors", self.list_accessors, ["LIST", "GET"]),
            ("/accessors/", self.list_accessors, ["LIST", "GET"]),
            ("/tidy", self.tidy, UPDATE),
        ]

    # -- create ----------------------------------------------------------------------------

    def create(self, caller: Caller, role_name: str = "") -> Response:
        return self._create(caller, orphan_endpoint=False, role_name=role_name)

    def create_orphan(self, caller: Caller) -> Response:
        return self._create(caller, orphan_endpoint=True)

    def _create(self, caller: Caller, *, orphan_endpoint: bool, role_name: str = "") -> Response:
        """Only the path names a role (the ACL decides on ``create/<role_name>``): one in the body
        is ignored, with a warning."""
        command, warnings = load(schemas.CREATE_TOKEN, request, role_name=role_name)
        if role_name and "role_name" in body_parameters(request):
            warnings.append(ROLE_NAME_REPLACED)
        command = replace(command, orphan_endpoint=orphan_endpoint, role_name=role_name)
        finite_only = addresses_a_site(request) or uses_aliases(schemas.CREATE_TOKEN, request)
        issued = self._service.create(caller, command, finite_only=finite_only)
        auth = schemas.TokenAuth(issued.view, issued.client_token, issued.view.ttl)
        return vault_response(auth=schemas.AUTH.dump(auth), warnings=[*warnings, *issued.warnings])

    # -- lookup ----------------------------------------------------------------------------

    def lookup(self, caller: Caller, token: str = "") -> Response:
        if request.method == "GET":
            token = token or caller.raw_token
            warnings: list[str] = []
        else:
            parameters, warnings = load(schemas.TOKEN_BODY, request, token=token)
            token = parameters["token"]
        return self._lookup_response(self._service.lookup(token, caller.namespace), token, warnings)

    def lookup_self(self, caller: Caller) -> Response:
        return self._lookup_response(caller.view, caller.raw_token, [])

    def lookup_accessor(self, caller: Caller, accessor: str = "") -> Response:
        """With ``as_of`` (query or body), the token as it was then, whatever became of it since."""
        parameters, warnings = load(schemas.LOOKUP_ACCESSOR_BODY, request, accessor=accessor)
        instant = as_of(request, parameters)
        if instant is None:
            view = self._service.lookup_accessor(parameters["accessor"], caller.namespace)
            return self._lookup_response(view, "", warnings)
        past = self._audit.token_as_of(caller.namespace, parameters["accessor"], instant)
        return vault_response(data=token_as_of_data(past), warnings=warnings)

    def _lookup_response(self, view: TokenView, presented_id: str, warnings: list[str]) -> Response:
        found = schemas.TokenLookup(view, presented_id, self._clock.now())
        return vault_response(data=schemas.LOOKUP_DATA.dump(found), warnings=warnings)

    # -- renew -----------------------------------------------------------------------------

    def renew(self, caller: Caller, token: str = "") -> Response:
        parameters, warnings = load(schemas.RENEW_BODY, request, token=token)
        renewal = self._service.renew(caller, parameters["token"], parameters["increment"])
        return _renewal_response(renewal, parameters["token"], warnings)

    def renew_self(self, caller: Caller) -> Response:
        parameters, warnings = load(schemas.INCREMENT_BODY, request)
        renewal = self._service.renew_self(caller, parameters["increment"])
        return _renewal_response(renewal, caller.raw_token, warnings)

    def renew_accessor(self, caller: Caller, accessor: str = "") -> Response:
        parameters, warnings = load(schemas.RENEW_ACCESSOR_BODY, request, accessor=accessor)
        renewal = self._service.renew_accessor(caller, parameters["accessor"], parameters["increment"])
        return _renewal_response(renewal, "", warnings)

    # -- revoke ----------------------------------------------------------------------------

    def revoke(self, caller: Caller, token: str = "") -> Response:
        parameters, _ = load(schemas.TOKEN_BODY, request, token=token)
        self._service.revoke(caller, parameters["token"])
        return no_content()

    def revoke_self(self, caller: Caller) -> Response:
        self._service.revoke_self(caller)
        return no_content()

    def revoke_accessor(self, caller: Caller, accessor: str = "") -> Response:
        parameters, _ = load(schemas.ACCESSOR_BODY, request, accessor=accessor)
        warnings = self._service.revoke_accessor(caller, parameters["accessor"])
        return vault_response(warnings=warnings) if warnings else no_content()

    def revoke_orphan(self, caller: Caller, token: str = "") -> Response:
        parameters, _ = load(schemas.TOKEN_BODY, request, token=token)
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
        """Vault answers 202 and tidies in the background; here the work is done when it answers."""
        report = self._tidy.tidy(caller.actor)
        response = vault_response(data=schemas.TIDY_REPORT.dump(report), warnings=[TIDY_WARNING])
        response.status_code = 202
        return response


def _renewal_response(renewal: Renewal, client_token: str, warnings: list[str]) -> Response:
    auth = schemas.TokenAuth(renewal.view, client_token, renewal.lease.ttl)
    return vault_response(
        auth=schemas.AUTH.dump(auth), warnings=[*warnings, *renewal.lease.warnings]
    )
