"""The ``sys`` endpoints a token service needs: ACL policies (``sys/policy``, ``sys/policies/acl``),
``sys/leases/revoke-prefix`` for tokens, and ``sys/capabilities[-self|-accessor]``."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, request
from marshmallow import fields

from tokenledger.application.audit import AuditService
from tokenledger.application.policy_service import PolicyService
from tokenledger.application.token_service import TokenService
from tokenledger.domain.caller import Caller
from tokenledger.domain.policy_document import normalize_policy_name
from tokenledger.domain.token_view import TokenView
from tokenledger.web.access import Gate, is_list_request, paged_keys
from tokenledger.web.audit_api import HistoryEndpoints, as_of
from tokenledger.web.chain_api import ChainEndpoints
from tokenledger.web.envelope import error_response, no_content, vault_response
from tokenledger.web.errors import UNSUPPORTED_OPERATION, register_error_handlers
from tokenledger.web.fields import NameList, RequestSchema
from tokenledger.web.request_input import body_reader, load
from tokenledger.web.unrouted import add_unrouted_paths
from tokenledger.wiring.bootstrap import Runtime

Handler = Callable[..., Response]
WRITE = ["POST", "PUT"]


class PolicyBodySchema(RequestSchema):
    """``sys/policy`` takes the text as ``policy`` or, in older clients, ``rules``."""

    policy = fields.String(load_default="")
    rules = fields.String(load_default="")


class CapabilitiesSchema(RequestSchema):
    paths = NameList(load_default=())
    path = NameList(load_default=())
    token = fields.String(load_default="")
    accessor = fields.String(load_default="")


POLICY_NAME_RULES = ("/policy/<name>", "/policies/acl/<name>")
POLICY_BODY = PolicyBodySchema()
CAPABILITIES_BODY = CapabilitiesSchema()


def create_sys_blueprint(runtime: Runtime) -> Blueprint:
    """Mount it at ``/v1/sys``."""
    blueprint = Blueprint("vault_sys", __name__)
    register_error_handlers(blueprint)
    blueprint.before_request(body_reader(runtime.settings.max_request_size, parse_updates=True))
    gate = Gate(runtime.service, runtime.settings.index_wait_seconds)
    endpoints = SysEndpoints(runtime.service, runtime.policies, runtime.audit)
    history = HistoryEndpoints(runtime.audit)
    chain = ChainEndpoints(runtime.ledger.recorder, runtime.read_models, runtime.clock)  # type: ignore[arg-type]
    for rule, handler, methods in [*endpoints.routes(), *history.routes(), *chain.routes()]:
        stored_name = normalize_policy_name if rule in POLICY_NAME_RULES else None
        blueprint.add_url_rule(rule, view_func=gate.guard(handler, "sys", rule, stored_name=stored_name),
                               methods=methods, endpoint=f"{handler.__name__}{rule}")
    add_unrouted_paths(blueprint, gate, "sys")
    return blueprint


class SysEndpoints:
    def __init__(self, tokens: TokenService, policies: PolicyService, audit: AuditService) -> None:
        self._tokens = tokens
        self._policies = policies
        self._audit = audit

    def routes(self) -> list[tuple[str, Handler, list[str]]]:
        return [
            ("/policy", self.list_policies_legacy, ["GET"]),
            ("/policy/<name>", self.read_policy_legacy, ["GET"]),
            ("/policy/<name>", self.write_policy, WRITE),
            ("/policy/<name>", self.delete_policy, ["DELETE"]),
            ("/policies/acl", self.list_policies, ["GET", "LIST"]),
            ("/policies/acl/", self.list_policies, ["GET", "LIST"]),
            ("/policies/acl/<name>", self.read_policy, ["GET"]),
            ("/policies/acl/<name>", self.write_policy, WRITE),
            ("/policies/acl/<name>", self.delete_policy, ["DELETE"]),
            ("/leases/revoke-prefix/<path:prefix>", self.revoke_prefix, WRITE),
            ("/capabilities-self", self.capabilities_self, WRITE),
            ("/capabilities", self.capabilities_of_token, WRITE),
            ("/capabilities-accessor", self.capabilities_of_accessor, WRITE),
        ]

    # -- policies --------------------------------------------------------------------------

    def list_policies_legacy(self, caller: Caller) -> Response:
        names = self._policies.names(caller.namespace)
        return vault_response(data={"keys": names, "policies": names})

    def list_policies(self, caller: Caller) -> Response:
        if request.method == "GET" and not is_list_request(request):
            return error_response(405, UNSUPPORTED_OPERATION)
        return vault_response(data={"keys": paged_keys(request, self._policies.names(caller.namespace))})

    # A name that normalises to nothing addresses the list, as in OpenBao: sys/policy/%20 lists.

    def read_policy_legacy(self, caller: Caller, name: str) -> Response:
        if not name:
            return self.list_policies_legacy(caller)
        return self._read(caller, name, text_key="rules")

    def read_policy(self, caller: Caller, name: str) -> Response:
        if not name:
            return self.list_policies(caller)
        return self._read(caller, name, text_key="policy")

    def _read(self, caller: Caller, name: str, text_key: str) -> Response:
        instant = as_of(request)
        if instant is None:
            text = self._policies.read(caller.namespace, name)
        else:
            text = self._audit.policy_as_of(caller.namespace, name, instant)
        if text is None:
            return error_response(404)
        return vault_response(data={"name": normalize_policy_name(name), text_key: text})

    def write_policy(self, caller: Caller, name: str) -> Response:
        if not name:
            return error_response(405, UNSUPPORTED_OPERATION)
        body, warnings = load(POLICY_BODY, request)
        text = body["policy"] or body["rules"]
        if not text:
            return error_response(400, "'policy' parameter not supplied or empty")
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

    def capabilities_self(self, caller: Caller) -> Response:
        return self._capabilities(caller.view)

    def capabilities_of_token(self, caller: Caller) -> Response:
        """Another token's capabilities, without spending one of its uses."""
        body, _ = load(CAPABILITIES_BODY, request)
        return self._capabilities(self._tokens.lookup(body["token"], caller.namespace))

    def capabilities_of_accessor(self, caller: Caller) -> Response:
        body, _ = load(CAPABILITIES_BODY, request)
        return self._capabilities(self._tokens.lookup_accessor(body["accessor"], caller.namespace))

    def _capabilities(self, view: TokenView) -> Response:
        body, _ = load(CAPABILITIES_BODY, request)
        paths = list(body["paths"]) + list(body["path"])
        if not paths:
            return error_response(400, "paths must be supplied")
        acl = self._policies.acl(view.namespace, view.policies)
        data: dict[str, list[str]] = {path: acl.capabilities(path) for path in paths}
        everything = sorted({capability for capabilities in data.values() for capability in capabilities})
        return vault_response(data={**data, "capabilities": everything})
