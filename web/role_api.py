"""``auth/token/roles``: token roles over HTTP, in Vault's shapes (routed by ``tokenledger.web.token_api``)."""

from __future__ import annotations

from flask import Response, request

from tokenledger.application.audit import AuditService
from tokenledger.application.role_service import RoleService
from tokenledger.domain.caller import Caller
from tokenledger.domain.role_settings import role_read_fields
from tokenledger.web.access import is_list_request, paged_keys
from tokenledger.web.audit_api import as_of
from tokenledger.web.envelope import error_response, no_content, vault_response
from tokenledger.web.errors import UNSUPPORTED_OPERATION
from tokenledger.web.fields import (
    CommaStringList,
    Duration,
    RequestSchema,
    VaultBoolean,
    VaultString,
    WholeNumber,
)
from tokenledger.web.request_input import RequestBody


class RoleWriteSchema(RequestSchema):
    """Every field optional with no default: an update changes only the fields it gives. Vault's
    field types (``token_store.go``, ``tokenutil``); validated by the existence check (no prefix)."""

    existence_checked = True

    allowed_policies = CommaStringList()
    disallowed_policies = CommaStringList()
    allowed_policies_glob = CommaStringList()
    disallowed_policies_glob = CommaStringList()
    allowed_entity_aliases = CommaStringList()
    orphan = VaultBoolean()
    renewable = VaultBoolean()
    path_suffix = VaultString()
    token_type = VaultString(allow_none=True)  # null is refused by the role's rules, in Vault's words
    period = Duration()
    explicit_max_ttl = Duration()
    bound_cidrs = CommaStringList()
    token_period = Duration()
    token_explicit_max_ttl = Duration()
    token_ttl = Duration()
    token_max_ttl = Duration()
    token_bound_cidrs = CommaStringList()
    token_no_default_policy = VaultBoolean()
    token_num_uses = WholeNumber()
    token_policies = CommaStringList()


ROLE_WRITE = RoleWriteSchema()


class RoleEndpoints:
    def __init__(self, roles: RoleService, audit: AuditService) -> None:
        self._roles = roles
        self._audit = audit

    def exists(self, namespace: str, path_parameters: dict[str, str]) -> bool:
        return self._roles.exists(namespace, path_parameters.get("role_name", ""))

    def list_roles(self, caller: Caller) -> Response:
        if request.method == "GET" and not is_list_request(request):
            return error_response(405, UNSUPPORTED_OPERATION)
        names = paged_keys(request, self._roles.names(caller.namespace))
        if not names:
            return error_response(404)
        return vault_response(data={"keys": names})

    def read_role(self, caller: Caller, role_name: str) -> Response:
        instant = as_of(request)
        if instant is None:
            settings = self._roles.settings(caller.namespace, role_name)
        else:
            settings = self._audit.role_as_of(caller.namespace, role_name, instant)
        if settings is None:
            return error_response(404)
        return vault_response(data=role_read_fields(settings))

    def write_role(self, caller: Caller, body: RequestBody, role_name: str) -> Response:
        given, warnings = body.load()
        warnings += self._roles.write(caller.actor, caller.namespace, role_name, given)
        return vault_response(warnings=warnings) if warnings else no_content()

    def delete_role(self, caller: Caller, role_name: str) -> Response:
        self._roles.delete(caller.actor, caller.namespace, role_name)
        return no_content()

