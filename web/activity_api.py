"""``sys/ledger/history/activity`` and ``sys/ledger/history/search`` (sudo): token activity per hour
or day, and the cross-token search, as JSON; the audit page shows the same."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from flask import Response, request
from marshmallow import Schema, fields

from tokenledger.application.activity import ActivityService, activity_filter
from tokenledger.application.activity_format import activity_data
from tokenledger.application.formats import token_page
from tokenledger.application.token_search import TokenSearch, TokenSearchService, token_search
from tokenledger.application.token_service import POLICY_DENIED
from tokenledger.domain.caller import Caller
from tokenledger.domain.clock import parse_instant
from tokenledger.domain.errors import PermissionDenied
from tokenledger.web.envelope import vault_response
from tokenledger.web.fields import count_parameter
from tokenledger.web.openapi_schemas import TokenPageSchema
from tokenledger.web.routes import Answer, Doc, Route


class _CountsSchema(Schema):
    created = fields.Integer(required=True)
    renewed = fields.Integer(required=True)
    revoked = fields.Integer(required=True)
    expired = fields.Integer(required=True)
    used = fields.Integer(required=True)


class _BucketSchema(_CountsSchema):
    start = fields.String(required=True, metadata={"description": "the bucket's first instant (UTC)"})
    live = fields.Integer(required=True, metadata={"description": "live tokens at the bucket's end"})


class ActivitySchema(Schema):
    """``data`` of ``GET sys/ledger/history/activity``."""

    from_ = fields.String(required=True, data_key="from")
    to = fields.String(required=True)
    step = fields.String(required=True, metadata={"enum": ["hour", "day"]})
    role = fields.String(required=True, allow_none=True)
    creator = fields.String(required=True, allow_none=True)
    live_at_start = fields.Integer(required=True)
    totals = fields.Nested(_CountsSchema, required=True)
    buckets = fields.List(fields.Nested(_BucketSchema), required=True)


class ActivityEndpoints:
    def __init__(self, activity: ActivityService, search: TokenSearchService) -> None:
        self._activity = activity
        self._search = search

    def activity(self, caller: Caller) -> Response:
        _require_sudo(caller)
        wanted = activity_filter(caller.namespace, _time("from"), _time("to"), request.args.get("step"),
                                 request.args.get("role"), request.args.get("creator"), self._activity.now())
        return vault_response(data=activity_data(self._activity.activity(wanted)))

    def search(self, caller: Caller) -> Response:
        _require_sudo(caller)
        wanted = search_from(caller.namespace, request.args, _time)
        limit = count_parameter(request.args.get("limit") or "100", "limit", 2**62)
        page = self._search.search(wanted, request.args.get("after"), limit)
        return vault_response(data=token_page(page))


def search_from(namespace: str, args: Mapping[str, str], instant: Callable[[str], datetime | None]) -> TokenSearch:
    """The search a query string asks for (the API's and the page's), its instants read by ``instant``."""
    return token_search(namespace, role=args.get("role"), creator=args.get("creator"),
                        descendants=args.get("descendants", "").lower() in ("1", "t", "true"),
                        display_name=args.get("display_name"), policy=args.get("policy"),
                        remote_addr=args.get("remote_addr"), start=instant("from"), end=instant("to"))


def activity_routes(endpoints: ActivityEndpoints) -> tuple[Route, ...]:
    return (
        Route(("/ledger/history/activity",), ("GET",), endpoints.activity, Doc(
            "Tokens created, renewed, revoked, expired and used per hour or day, and live (sudo)",
            (Answer(200, data=ActivitySchema, description="one bucket per step of the window"),),
            query=("activity_from", "activity_to", "step", "role", "creator"), tag="sys/ledger",
            description="Counted from buckets written with the events; filtered by role and creator "
                        "accessor, in the caller's namespace.")),
        Route(("/ledger/history/search",), ("GET",), endpoints.search, Doc(
            "Tokens by role, creator, display name, policy, remote address and creation time (sudo)",
            (Answer(200, data=TokenPageSchema, description="a page of tokens"),),
            query=("after", "limit", "role", "creator", "descendants", "display_name", "policy",
                   "remote_addr", "from", "to"), tag="sys/ledger")),
    )


def _require_sudo(caller: Caller) -> None:
    if not caller.is_sudo:
        raise PermissionDenied(POLICY_DENIED)


def _time(name: str) -> datetime | None:
    text = request.args.get(name)
    return parse_instant(text, name) if text else None
