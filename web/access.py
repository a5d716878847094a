"""The gate every API call passes: authentication and the ACL decision on the Vault path and
operation of the request, the read-your-writes wait, then the use of a limited token is spent
and, after the request, settled."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Request, g, request
from werkzeug.wrappers import Response

from tokenledger.application import read_scope
from tokenledger.application.token_service import Access, TokenService
from tokenledger.domain.caller import Caller
from tokenledger.domain.errors import InvalidRequest, PermissionDenied
from tokenledger.web.consistency import required_position, stamp_written_position, wait_for_position
from tokenledger.web.fields import count_parameter
from tokenledger.web.namespace import request_namespace
from tokenledger.web.request_input import presented_token
from tokenledger.web.served import served_request

Handler = Callable[..., Response]  # werkzeug's, which flask's extends: redirects are werkzeug's
Existence = Callable[[str, dict[str, str]], bool]
StoredName = Callable[[str], str]

_OPERATIONS = {"GET": "read", "HEAD": "header", "LIST": "list", "POST": "update", "PUT": "update",
               "PATCH": "patch", "DELETE": "delete", "OPTIONS": "options"}


class Gate:
    """``root_paths`` are Vault's root paths of the mount (full Vault paths, a trailing ``*``
    matching any rest): whatever the policies grant there, a caller also needs sudo, and is
    refused before the path is routed, as in Vault."""

    def __init__(self, service: TokenService, index_wait_seconds: float, root_paths: tuple[str, ...] = ()) -> None:
        self._service = service
        self._index_wait_seconds = index_wait_seconds
        self._root_paths = root_paths

    def admit(self, token: str | None, remote_addr: str, access: Access) -> Caller:
        """The caller allowed to do what ``access`` asks. A request its policies refuse spends one
        use of a limited token all the same (Vault spends it before asking the ACL)."""
        caller = self._service.identify(token, remote_addr, access.namespace)
        try:
            return self._service.authorise(caller, access)
        except PermissionDenied:
            self._service.spend_refused_use(caller, access)
            raise

    def access(self, request: Request, path: str, path_parameters: dict[str, str],
               exists: Existence | None = None) -> Access:
        namespace = request_namespace(request)
        return Access(path, operation(request, namespace, path_parameters, exists), namespace,
                      needs_sudo=is_root_path(path, self._root_paths),
                      recorded_path=recorded_path(path, path_parameters))

    def pass_unrouted(self, path: str) -> None:
        """Admit a request to a path no mount serves (``path`` below ``/v1/``), spending a use
        as a served one would: Vault checks the token and its policies before routing."""
        access = self.access(request, path, {})
        caller = self.admit(presented_token(request), request.remote_addr or "", access)
        self._service.settle(self._service.spend_use(caller, access))

    def guard(self, handler: Handler, vault_prefix: str, rule: str,
              exists: Existence | None = None, stored_name: StoredName | None = None) -> Handler:
        """Wrap ``handler`` (served at ``rule`` under a mount standing for ``vault_prefix``).

        ``exists`` tells, for a write, whether the target exists: Vault's ACL calls writing a
        new one ``create`` and rewriting one ``update``. ``stored_name`` turns the rule's last
        segment, a name, into the form it is stored under (a policy name is trimmed and
        lower-cased): the ACL decides on the path with that name, as OpenBao does, so that
        ``ADMIN`` cannot reach the policy ``admin`` past a deny, and the handler receives it.
        """

        @wraps(handler)
        def view(**path_parameters: str) -> Response:
            current = served_request()
            if current.method not in _READS:
                return guarded(current, path_parameters)
            with read_scope.replica_reads():
                return guarded(current, path_parameters)

        def guarded(request: Request, path_parameters: dict[str, str]) -> Response:
            wanted = required_position(request)
            self._service.take_written_position()
            path = vault_path(request, vault_prefix, rule)
            if stored_name is not None:
                path, path_parameters = _with_stored_name(path, rule, path_parameters, stored_name)
            access = self.access(request, path, path_parameters, exists)
            # Only callers the ACL admits may wait for an index (and hold a thread meanwhile);
            # they are admitted again on the read models the wait brought, as before it, and
            # the use is spent after it, so that a 412 spends none.
            token, remote_addr = presented_token(request), request.remote_addr or ""
            caller = self.admit(token, remote_addr, access)
            if wanted is not None:
                wait_for_position(self._service, wanted, self._index_wait_seconds)
                caller = self.admit(token, remote_addr, access)
            caller = self._service.spend_use(caller, access)
            g.accessor = caller.view.accessor
            try:
                response = handler(caller, **path_parameters)
            finally:
                self._service.settle(caller)
            if response.status_code < 400:
                self._service.record_use(caller, access)
            return stamp_written_position(self._service, response)

        return view


SECRET_PARAMETERS = ("token",)  # path parameters that are tokens: the 2016 API's ``lookup/<token>`` and kin


def recorded_path(path: str, path_parameters: dict[str, str]) -> str | None:
    """``path`` as a use of the caller's token records it in the ledger, where it holds a token
    (``None``: as it is): the token stands there as ``<token>``, for no raw token may reach the
    store."""
    recorded = path
    for name in SECRET_PARAMETERS:
        value = path_parameters.get(name)
        if value:  # the rule's last segment; anywhere else, every occurrence goes
            recorded = (recorded[: -len(value)] + f"<{name}>" if recorded.endswith(value)
                        else recorded.replace(value, f"<{name}>"))
    return None if recorded == path else recorded


def is_root_path(path: str, root_paths: tuple[str, ...]) -> bool:
    """Whether ``path`` is one of ``root_paths`` (a trailing ``*`` matches any rest), as Vault
    matches a backend's ``PathsSpecial.Root``."""
    return any(path.startswith(root[:-1]) if root.endswith("*") else path == root for root in root_paths)


def _with_stored_name(path: str, rule: str, path_parameters: dict[str, str],
                      stored_name: StoredName) -> tuple[str, dict[str, str]]:
    """The Vault path and path parameters with the name (the rule's last segment) as stored; a
    name that is nothing once normalised leaves the path ending in ``/``, as in OpenBao."""
    key = rule.rsplit("<", 1)[1].rstrip(">").rsplit(":", 1)[-1]
    given = path_parameters[key]
    assert rule.endswith(">") and path.endswith(given), (rule, path)
    name = stored_name(given)
    return path[: len(path) - len(given)] + name, {**path_parameters, key: name}


def vault_path(request: Request, vault_prefix: str, rule: str) -> str:
    """The path Vault's policies see: the request path below the blueprint's mount point,
    under ``vault_prefix`` (``auth/token``, ``sys``), wherever the blueprint is mounted.

    A trailing ``/`` is kept, as Vault keeps it: ``auth/token/roles/`` and ``auth/token/roles``
    are different paths to a policy (see ``ACL.decide`` for LIST).
    """
    full_rule = request.url_rule.rule if request.url_rule else rule
    mount = full_rule[: len(full_rule) - len(rule)]
    return vault_prefix + request.path[len(mount):]


_WRITES = ("POST", "PUT", "PATCH")
_READS = ("GET", "HEAD", "LIST")  # requests that may read from a replica until they write


def operation(request: Request, namespace: str, path_parameters: dict[str, str],
              exists: Existence | None) -> str:
    if request.method in _WRITES and request.path.endswith("/"):
        raise InvalidRequest("cannot write to a path ending in '/'")  # Vault, before any ACL check
    if request.method == "GET" and is_list_request(request):
        return "list"
    name = _OPERATIONS.get(request.method, "read")
    if name == "update" and exists is not None and not exists(namespace, path_parameters):
        return "create"
    return name


def is_list_request(request: Request) -> bool:
    value = request.args.get("list", "").lower()
    if value in ("1", "t", "true"):
        return True
    if value in ("", "0", "f", "false"):
        return False
    raise InvalidRequest("invalid value for list parameter")


MAX_LIST_LIMIT = 100_000  # larger asks get this many: SQL takes no integer past 64 bits


def list_limit(request: Request) -> int | None:
    """``limit`` of a LIST (as OpenBao pages them with ``after`` and ``limit``), if given."""
    text = request.args.get("limit", "")
    if not text:
        return None
    limit = count_parameter(text, "limit", MAX_LIST_LIMIT)
    if limit < 1:
        raise InvalidRequest("limit must be a positive whole number")
    return limit


def paged_keys(request: Request, keys: list[str]) -> list[str]:
    """The page of sorted ``keys`` a LIST asks for with ``after`` and ``limit``."""
    after, limit = request.args.get("after", ""), list_limit(request)
    chosen = [key for key in sorted(keys) if key > after]
    return chosen if limit is None else chosen[:limit]
