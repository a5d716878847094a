"""The ``sys`` endpoints a token service needs: ACL policies (``sys/policy``, ``sys/policies/acl``),
``sys/leases/revoke-prefix`` for tokens, and ``sys/capabilities[-self|-accessor]``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, request

from tokenledger.application.audit import AuditService
from tokenledger.application.policy_service import PolicyService
from tokenledger.application.token_service import TokenService
from tokenledger.domain import policies
from tokenledger.domain.caller import Caller
from tokenledger.domain.errors import InvalidRequest, PermissionDenied, multierror
from tokenledger.domain.policy_document import normalize_policy_name
from tokenledger.domain.token_view import TokenView
from tokenledger.web.access import Gate, is_list_request, paged_keys
from tokenledger.web.activity_api import ActivityEndpoints, activity_routes
from tokenledger.web.audit_api import HistoryEndpoints, as_of
from tokenledger.web.chain_api import ChainEndpoints
from tokenledger.web.envelope import SYS_BLUEPRINT, error_response, no_content, vault_response
from tokenledger.web.errors import UNSUPPORTED_OPERATION, register_error_handlers
from tokenledger.web.fields import CommaStringList, RequestSchema, VaultString
from tokenledger.web.hygiene_api import HygieneEndpoints, hygiene_routes
from tokenledger.web.openapi_docs import AS_OF, DONE, WARNED
from tokenledger.web.openapi_schemas import (
    CapabilitiesDataSchema,
    LedgerHeadSchema,
    LegacyPolicyListSchema,
    LegacyPolicyReadSchema,
    PolicyListSchema,
    PolicyReadSchema,
    TokenHistorySchema,
    TokenPageSchema,
)
from tokenledger.web.request_input import RequestBody, body_reader
from tokenledger.web.routes import Answer, Doc, Link, Route, RoutedBlueprint
from tokenledger.web.unrouted import add_unrouted_paths
from tokenledger.wiring.activity import activity_service, search_service
from tokenledger.wiring.bootstrap import Runtime

WRITE = ("POST", "PUT")


class PolicyBodySchema(RequestSchema):
    """``sys/policy`` takes the text as ``policy`` or, in older clients, ``rules``."""

    policy = VaultString(load_default="")
    rules = VaultString(load_default="")


class CapabilitiesSchema(RequestSchema):
    paths = CommaStringList(load_default=())
    path = CommaStringList(load_default=())
    token = VaultString(load_default="")
    accessor = VaultString(load_default="")


POLICY_BODY = PolicyBodySchema()
RULES_DEPRECATED = "'rules' is deprecated, please use 'policy' instead"
POLICY_MISSING = "'policy' parameter not supplied or empty"
ROOT_PATHS = tuple(f"sys/{path}" for path in (  # Vault's: sudo needed, before routing
    "auth/*", "remount", "audit", "audit/*", "raw", "raw/*", "rotate", "rotate/keyring", "rotate/root",
    "config/cors", "config/auditing/*", "config/ui/headers/*", "plugins/catalog/*", "revoke-prefix/*",
    "revoke-force/*", "leases/revoke-prefix/*", "leases/revoke-force/*", "leases/lookup/*", "leases",
    "internal/inspect/*"))
CAPABILITIES_BODY = CapabilitiesSchema()


def create_sys_blueprint(runtime: Runtime) -> Blueprint:
    """Mount it at ``/v1/sys``."""
    gate = Gate(runtime.service, runtime.settings.index_wait_seconds, ROOT_PATHS)
    blueprint = RoutedBlueprint(SYS_BLUEPRINT, __name__, gate, "sys")
    register_error_handlers(blueprint)
    blueprint.before_request(body_reader(runtime.settings.max_request_size, parse_updates=True))
    endpoints = SysEndpoints(runtime.service, runtime.policies, runtime.audit)
    history = HistoryEndpoints(runtime.audit)
    chain = ChainEndpoints(runtime.ledger.recorder, runtime.read_models, runtime.clock)  # type: ignore[arg-type]
    blueprint.add_routes(sys_routes(endpoints, history, chain))
    blueprint.add_routes(activity_routes(ActivityEndpoints(activity_service(runtime), search_service(runtime))))
    blueprint.add_routes(hygiene_routes(HygieneEndpoints(runtime.hygiene)))
    add_unrouted_paths(blueprint, gate, "sys")
    return blueprint


class SysEndpoints:
    def __init__(self, tokens: TokenService, policies: PolicyService, audit: AuditService) -> None:
        self._tokens = tokens
        self._policies = policies
        self._audit = audit

    # -- policies --------------------------------------------------------------------------

    def list_policies_legacy(self, caller: Caller) -> Response:
        names = root_last(self._policies.names(caller.namespace))
        return vault_response(data={"keys": names, "policies": names}, data_at_top=True)

    def list_policies(self, caller: Caller) -> Response:
        if request.method == "GET" and not is_list_request(request):
            return error_response(405, UNSUPPORTED_OPERATION)
        return vault_response(data={"keys": root_last(paged_keys(request, self._policies.names(caller.namespace)))})

    # A name that normalises to nothing addresses the list, as in OpenBao: sys/policy/%20 lists.

    def read_policy_legacy(self, caller: Caller, name: str) -> Response:
        if not name:
            return self.list_policies_legacy(caller)
        return self._read(caller, name, text_key="rules", data_at_top=True)

    def read_policy(self, caller: Caller, name: str) -> Response:
        if not name:
            return self.list_policies(caller)
        return self._read(caller, name, text_key="policy")

    def _read(self, caller: Caller, name: str, text_key: str, data_at_top: bool = False) -> Response:
        instant = as_of(request)
        if instant is None:
            text = self._policies.read(caller.namespace, name)
        else:
            text = self._audit.policy_as_of(caller.namespace, name, instant)
        if text is None:
            return error_response(404)
        return vault_response(data={"name": normalize_policy_name(name), text_key: text}, data_at_top=data_at_top)

    def write_policy_legacy(self, caller: Caller, body: RequestBody, name: str) -> Response:
        """``sys/policy`` also takes the deprecated ``rules``, with Vault's warning."""
        return self._write(caller, body, name, legacy=True)

    def write_policy(self, caller: Caller, body: RequestBody, name: str) -> Response:
        """``sys/policies/acl`` takes only ``policy``."""
        return self._write(caller, body, name, legacy=False)

    def _write(self, caller: Caller, body: RequestBody, name: str, *, legacy: bool) -> Response:
        if not name:
            return error_response(405, UNSUPPORTED_OPERATION)
        parameters, warnings = body.load()
        text = parameters["policy"]
        if not text and legacy and parameters["rules"]:
            text = parameters["rules"]
            warnings.append(RULES_DEPRECATED)
        if not text:
            return error_response(400, POLICY_MISSING)
        self._policies.write(caller.actor, caller.namespace, name, text)
        return vault_response(warnings=warnings) if warnings else no_content()

    def delete_policy(self, caller: Caller, name: str) -> Response:
        if not name:
            return error_response(405, UNSUPPORTED_OPERATION)
        self._policies.delete(caller.actor, caller.namespace, name)
        return no_content()

    # -- leases ----------------------------------------------------------------------------

    def revoke_prefix(self, caller: Caller, prefix: str) -> Response:
        """Tokens are the only leases here, found by the path they were created at."""
        self._tokens.revoke_created_under(caller, prefix)
        return no_content()

    # -- capabilities ----------------------------------------------------------------------

    def capabilities_self(self, caller: Caller, body: RequestBody) -> Response:
        parameters, _ = body.load()
        return self._capabilities(lambda: caller.view, parameters)

    def capabilities_of_token(self, caller: Caller, body: RequestBody) -> Response:
        """Another token's capabilities, without spending one of its uses."""
        parameters, _ = body.load()
        return self._capabilities(lambda: self._token_for_capabilities(parameters["token"], caller.namespace),
                                  parameters)

    def capabilities_of_accessor(self, caller: Caller, body: RequestBody) -> Response:
        """The accessor is asked for before the paths, and a missing one is Vault's own answer."""
        parameters, _ = body.load()
        if not parameters["accessor"]:
            return error_response(400, "missing accessor")
        view = self._tokens.lookup_accessor(parameters["accessor"], caller.namespace)
        return self._capabilities(lambda: view, parameters)

    def _token_for_capabilities(self, token: str, namespace: str) -> TokenView:
        """Vault's 400s, collected as its request handling collects them."""
        if not token:
            raise InvalidRequest(multierror("missing token"))
        try:
            return self._tokens.lookup(token, namespace)
        except PermissionDenied:
            raise InvalidRequest(multierror("invalid token")) from None

    def _capabilities(self, token: Callable[[], TokenView], parameters: dict[str, Any]) -> Response:
        """As Vault: the paths are asked for before the token (a missing one is the first error);
        ``path`` is read only when ``paths`` names none; a single path (as asked, before duplicates
        are merged) also answers as ``capabilities``, for older clients."""
        paths = list(parameters["paths"]) or list(parameters["path"])
        if not paths:
            return error_response(400, "paths must be supplied")
        view = token()
        acl = self._policies.acl(view.namespace, view.policies)
        data: dict[str, list[str]] = {path: acl.capabilities(path) for path in paths}
        if len(paths) == 1:
            data["capabilities"] = data[paths[0]]
        return vault_response(data=data, data_at_top=True)


def root_last(names: list[str]) -> list[str]:
    """Policy names in Vault's order: the stored ones sorted, then ``root``, which Vault does not
    store and adds at the end."""
    return [name for name in names if name != policies.ROOT] + ([policies.ROOT] if policies.ROOT in names else [])


# -- the route table -------------------------------------------------------------------------

_NAME = {"name": "$request.path.name"}
_POLICY_LINKS = (  # from a policy written: read it back (either way), delete it
    Link("ReadPolicy", SysEndpoints.read_policy, "GET", _NAME),
    Link("ReadPolicyLegacy", SysEndpoints.read_policy_legacy, "GET", _NAME),
    Link("DeletePolicy", SysEndpoints.delete_policy, "DELETE", _NAME),
)
_CAPABILITIES = (Answer(200, data=CapabilitiesDataSchema, description="capabilities per path"),)
_TOKEN_PAGE = (Answer(200, data=TokenPageSchema, description="a page of tokens"),)


def sys_routes(endpoints: SysEndpoints, history: HistoryEndpoints, chain: ChainEndpoints) -> tuple[Route, ...]:
    """The ``sys`` blueprint's routes. The ACL sees a policy's name as stored (trimmed, lower-cased)."""
    write_policy = Route(("/policy/<name>",), WRITE, endpoints.write_policy_legacy, Doc(
        "Create or update an ACL policy (HCL or JSON)", (DONE, WARNED), tag="sys/policy",
        example={"policy": 'path "auth/token/create/deploy" { capabilities = ["update"] }'}, links=_POLICY_LINKS),
        body=POLICY_BODY, stored_name=normalize_policy_name)
    delete_policy = Route(("/policy/<name>",), ("DELETE",), endpoints.delete_policy, Doc(
        "Delete an ACL policy", (DONE,), tag="sys/policy"), stored_name=normalize_policy_name)
    return (
        Route(("/policy", "/policy/"), ("GET", "LIST"), endpoints.list_policies_legacy, Doc(
            "List ACL policies", (Answer(200, data=LegacyPolicyListSchema, description="policy names"),),
            listing=True, tag="sys/policy", description="GET lists too, without `list=true`.")),
        Route(("/policy/<name>",), ("GET",), endpoints.read_policy_legacy, Doc(
            "Read an ACL policy", (Answer(200, data=LegacyPolicyReadSchema, description="the text as `rules`"),),
            query=("as_of",), tag="sys/policy", description=AS_OF + " 404 if none."),
            stored_name=normalize_policy_name),
        write_policy,
        delete_policy,
        Route(("/policies/acl", "/policies/acl/"), ("GET", "LIST"), endpoints.list_policies, Doc(
            "List ACL policies", (Answer(200, data=PolicyListSchema, description="a page of names"),),
            query=("after", "limit"), listing=True, tag="sys/policy")),
        Route(("/policies/acl/<name>",), ("GET",), endpoints.read_policy, Doc(
            "Read an ACL policy", (Answer(200, data=PolicyReadSchema, description="the text as `policy`"),),
            query=("as_of",), tag="sys/policy", description=AS_OF + " 404 if none."),
            stored_name=normalize_policy_name),
        replace(write_policy, rules=("/policies/acl/<name>",), handler=endpoints.write_policy),
        replace(delete_policy, rules=("/policies/acl/<name>",)),
        Route(("/leases/revoke-prefix/<path:prefix>",), WRITE, endpoints.revoke_prefix, Doc(
            "Revoke every token created under a path prefix (sudo)", (DONE,), tag="sys/leases",
            description="Tokens are the only leases here, found by the path they were created at "
                        "(`auth/token/create/<role>`).")),
        Route(("/capabilities-self",), WRITE, endpoints.capabilities_self, Doc(
            "The calling token's capabilities on paths", _CAPABILITIES, tag="sys/capabilities",
            example={"paths": ["auth/token/create"]}), body=CAPABILITIES_BODY),
        Route(("/capabilities",), WRITE, endpoints.capabilities_of_token, Doc(
            "Another token's capabilities on paths (without spending its uses)", _CAPABILITIES,
            tag="sys/capabilities", description="The token is `token` in the body."), body=CAPABILITIES_BODY),
        Route(("/capabilities-accessor",), WRITE, endpoints.capabilities_of_accessor, Doc(
            "The capabilities on paths of the token holding an accessor", _CAPABILITIES,
            tag="sys/capabilities", description="The accessor is `accessor` in the body."), body=CAPABILITIES_BODY),
        Route(("/ledger/history/accessor/<accessor>",), ("GET",), history.token_history, Doc(
            "A token's events, oldest first (sudo)", (Answer(200, data=TokenHistorySchema,
                                                             description="a page of events"),),
            query=("after_version", "limit"), tag="sys/ledger")),
        Route(("/ledger/history/creator/<accessor>",), ("GET",), history.created_by, Doc(
            "Tokens created by an accessor (sudo)", _TOKEN_PAGE, query=("after", "limit", "descendants"),
            tag="sys/ledger", description="Follows creation, not parenthood: orphans it made are included.")),
        Route(("/ledger/history/role/<role>",), ("GET",), history.created_against_role, Doc(
            "Tokens created against a role in [from, to) (sudo)", _TOKEN_PAGE,
            query=("after", "limit", "from", "to"), tag="sys/ledger")),
        Route(("/ledger/head",), ("GET",), chain.ledger_head, Doc(
            "A signed checkpoint of the hash chain's head (sudo, root namespace)",
            (Answer(200, data=LedgerHeadSchema, description="the head"),), tag="sys/ledger",
            description="Record it outside the store; `tokenledger ledger verify --expect-head` checks it.")),
    )
