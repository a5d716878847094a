"""``sys/ledger/history/...``: what only a ledger can answer, for auditors (sudo), and the
``as_of`` parameter that other reads take for time travel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Request, Response, request

from tokenledger.application.audit import AuditService
from tokenledger.application.formats import go_time, history_entry, token_page
from tokenledger.application.token_service import POLICY_DENIED
from tokenledger.domain.caller import Caller
from tokenledger.domain.clock import parse_instant
from tokenledger.domain.errors import InvalidRequest, PermissionDenied
from tokenledger.web.envelope import vault_response
from tokenledger.web.fields import count_parameter


def as_of(from_request: Request, body: dict[str, Any] | None = None) -> datetime | None:
    """The ``as_of`` instant a read asks for (query string, else body), if any."""
    text = from_request.args.get("as_of") or (body or {}).get("as_of")
    if text is None or text == "":
        return None
    if not isinstance(text, str):
        raise InvalidRequest("as_of must be an RFC 3339 time such as 2026-11-23T10:00:05Z")
    return parse_instant(text, "as_of")


class HistoryEndpoints:
    def __init__(self, audit: AuditService) -> None:
        self._audit = audit

    def token_history(self, caller: Caller, accessor: str) -> Response:
        _require_sudo(caller)
        page = self._audit.history(caller.namespace, accessor, _int_arg("after", 0), _int_arg("limit", 100))
        last_used, last_address = self._audit.last_use(caller.namespace, accessor)
        return vault_response(data={"accessor": accessor, "events": [history_entry(e) for e in page.items],
                                    "total": page.total, "next_after": page.next_after,
                                    "last_used_time": go_time(last_used), "last_used_remote_addr": last_address})

    def created_by(self, caller: Caller, accessor: str) -> Response:
        _require_sudo(caller)
        page = self._audit.created_by(caller.namespace, accessor, descendants=_bool_arg("descendants"),
                                      after=request.args.get("after"), limit=_int_arg("limit", 100))
        return vault_response(data=token_page(page))

    def created_against_role(self, caller: Caller, role: str) -> Response:
        _require_sudo(caller)
        start, end = _time_arg("from"), _time_arg("to")
        page = self._audit.created_against_role(caller.namespace, role, start, end,
                                                after=request.args.get("after"), limit=_int_arg("limit", 100))
        return vault_response(data=token_page(page))


def _require_sudo(caller: Caller) -> None:
    if not caller.is_sudo:
        raise PermissionDenied(POLICY_DENIED)


def _int_arg(name: str, default: int) -> int:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    return count_parameter(text, name, 2**62)  # beyond any version or page size


def _bool_arg(name: str) -> bool:
    return request.args.get(name, "").lower() in ("1", "t", "true")


def _time_arg(name: str) -> datetime | None:
    text = request.args.get(name)
    return parse_instant(text, name) if text else None
