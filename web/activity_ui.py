"""The audit page's activity charts (``/ui/activity``) and cross-token search (``/ui/search``).

They read what the JSON API reads (``sys/ledger/history/activity`` and ``.../search``), behind the
same login and the same ACL decision on those paths; a bad input is a 400 page saying why.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import make_response, render_template, request
from markupsafe import Markup
from werkzeug.wrappers import Response

from tokenledger.application.activity import KINDS, Activity, ActivityService, activity_filter
from tokenledger.application.audit import DEFAULT_PAGE
from tokenledger.application.formats import go_time
from tokenledger.application.token_search import TokenSearchService
from tokenledger.domain.caller import Caller
from tokenledger.web.activity_api import search_from
from tokenledger.web.activity_svg import Point, bar_chart, line_chart
from tokenledger.web.fields import count_parameter
from tokenledger.web.routes import PAGE, Answer, Doc, Route, RoutedBlueprint
from tokenledger.web.ui_tree import local_input_value, parse_as_of

ACTIVITY_PATH = "sys/ledger/history/activity"
SEARCH_PATH = "sys/ledger/history/search"
COLOURS = {"created": "#2557d6", "renewed": "#137333", "revoked": "#b3261e", "expired": "#b06000",
           "used": "#6f42c1", "live": "#1d2330"}
SEARCH_FIELDS = ("role", "creator", "display_name", "policy", "remote_addr", "from", "to")

Authorised = Callable[[str, str], AbstractContextManager[Caller]]
Common = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class Chart:
    kind: str
    title: str
    svg: Markup
    rows: list[tuple[str, str, int]]  # (bucket label, bucket start RFC 3339, number)


@dataclass(frozen=True)
class PageParts:
    """What the blueprint in ``tokenledger.web.ui`` lends these pages."""

    authorised: Authorised
    common: Common
    page_namespace: Callable[[], str]


def add_activity_pages(blueprint: RoutedBlueprint, activity: ActivityService, search: TokenSearchService,
                       parts: PageParts) -> None:
    def activity_page() -> Response:
        namespace = parts.page_namespace()
        with parts.authorised(namespace, ACTIVITY_PATH):
            args = request.args
            wanted = activity_filter(namespace, _instant("from"), _instant("to"), args.get("step"),
                                     args.get("role"), args.get("creator"), activity.now())
            found = activity.activity(wanted)
            page = render_template("ui/activity.html", **parts.common(
                namespace, activity=found, charts=charts(found), kinds=KINDS, go_time=go_time,
                form=_form_values(wanted.start, wanted.end, step=wanted.step, role=wanted.role or "",
                                  creator=wanted.creator or "")))
            return make_response(page)

    def search_page() -> Response:
        namespace = parts.page_namespace()
        with parts.authorised(namespace, SEARCH_PATH):
            args = request.args
            wanted = search_from(namespace, args, _instant)
            limit = count_parameter(args.get("limit") or str(DEFAULT_PAGE), "limit", 2**62)
            results = None if wanted.is_empty() else search.search(wanted, args.get("after"), limit)
            query = {name: args[name] for name in (*SEARCH_FIELDS, "descendants", "limit") if args.get(name)}
            page = render_template("ui/token_search.html", **parts.common(
                namespace, results=results, query=query, go_time=go_time,
                form={name: args.get(name, "") for name in SEARCH_FIELDS}
                | {"descendants": wanted.descendants, "limit": limit}))
            return make_response(page)

    blueprint.add_routes((
        Route(("/activity",), ("GET",), activity_page, _page(
            "Charts of tokens created, renewed, revoked, expired and used per hour or day, and live",
            ("ui_namespace", "ui_from", "ui_to", "step", "role", "creator"))),
        Route(("/search",), ("GET",), search_page, _page(
            "Search tokens by role, creator, display name, policy, remote address and creation time",
            ("ui_namespace", "role", "creator", "descendants", "display_name", "policy", "remote_addr",
             "ui_from", "ui_to", "after", "limit"))),
    ))


def charts(activity: Activity) -> list[Chart]:
    """One bar chart per kind of event, then the live tokens' line, each with its numbers."""
    labels = [_label(bucket.start, activity.filter.step) for bucket in activity.buckets]
    starts = [go_time(bucket.start) or "" for bucket in activity.buckets]
    per = "hour" if activity.filter.step == "hour" else "day"
    found = []
    for kind in KINDS:
        values = [bucket.counts[kind] for bucket in activity.buckets]
        points = [Point(label, value) for label, value in zip(labels, values, strict=True)]
        title = f"Tokens {kind} per {per}"
        found.append(Chart(kind, title, bar_chart(points, title, kind, COLOURS[kind]),
                           list(zip(labels, starts, values, strict=True))))
    live = [bucket.live for bucket in activity.buckets]
    points = [Point(label, value) for label, value in zip(labels, live, strict=True)]
    title = f"Live tokens at the end of each {per}"
    found.append(Chart("live", title, line_chart(points, title, "live", COLOURS["live"]),
                       list(zip(labels, starts, live, strict=True))))
    return found


def _label(start: datetime, step: str) -> str:
    return start.strftime("%Y-%m-%d %H:%M" if step == "hour" else "%Y-%m-%d")


def _instant(name: str) -> datetime | None:
    return parse_as_of(request.args.get(name, ""))


def _form_values(start: datetime, end: datetime, **others: str) -> dict[str, str]:
    return {"from": local_input_value(start)[:16], "to": local_input_value(end)[:16], **others}


def _page(summary: str, query: tuple[str, ...]) -> Doc:
    answers = (Answer(200, kind=PAGE, description="the page"),
               Answer(302, kind=PAGE, description="no session, or its token no longer works: to the login page"),
               Answer(400, kind=PAGE, description="an invalid input, said on the page"),
               Answer(403, kind=PAGE, description="the session's token may not read the audit there"))
    return Doc(summary, answers, tag="ui", security=("UISession",), anonymous_too=True, vault_parameters=False,
               errors=(500,), query=query)

