"""``sys/ledger/history/...``: what only a ledger can answer, for auditors (sudo), and the
``as_of`` parameter that other reads take for time travel."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from flask import Request, Response, request

from tokenledger.application.audit import AuditService, HistoryEntry, Page, TokenAsOf
from tokenledger.application.ports import TokenRecord
from tokenledger.application.token_service import POLICY_DENIED
from tokenledger.domain.caller import Caller
from tokenledger.domain.clock import parse_instant
from tokenledger.domain.errors import InvalidRequest, PermissionDenied
from tokenledger.web.envelope import vault_response
from tokenledger.web.fields import count_parameter
from tokenledger.web.schemas import LOOKUP_DATA, TokenLookup, go_time


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
        return vault_response(data={"accessor": accessor, "events": [history_entry(e) for e in page.items],
                                    "total": page.total, "next_after": page.next_after})

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


def token_as_of_data(past: TokenAsOf) -> dict[str, Any]:
    """What lookup answers about the token as it was at ``past.instant``, with its status then."""
    data: dict[str, Any] = LOOKUP_DATA.dump(TokenLookup(past.view, "", past.instant))
    return {**data, "status": past.status, "as_of": go_time(past.instant)}


def history_entry(entry: HistoryEntry) -> dict[str, Any]:
    return {"version": entry.version, "type": entry.type, "time": go_time(entry.time),
            "actor_accessor": entry.actor_accessor, "remote_addr": entry.remote_addr,
            "changes": {key: plain(value) for key, value in entry.changes.items()}}


def token_page(page: Page) -> dict[str, Any]:
    records: list[TokenRecord] = page.items
    return {"keys": [record.accessor for record in records],
            "key_info": {record.accessor: token_summary(record) for record in records},
            "total": page.total, "next_after": page.next_after}


def token_summary(record: TokenRecord) -> dict[str, Any]:
    return {"display_name": record.display_name, "policies": list(record.policies),
            "role": record.role_name, "path": record.path, "creator_accessor": record.creator_accessor,
            "creation_time": go_time(record.created_at), "expire_time": go_time(record.expire_at),
            "status": record.status, "ended_time": go_time(record.ended_at)}


def plain(value: Any) -> Any:
    """A recorded value as JSON can carry it."""
    if isinstance(value, UUID):
        return value.hex
    if isinstance(value, datetime):
        return go_time(value)
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


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
