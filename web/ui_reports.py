"""The audit page's hygiene reports: a form to pick one, a page of its rows (each linking to the
token's page), paging, and its export as CSV or JSON. Behind the same login and ACL decision as the
rest of the page, on the report's API path (``sys/ledger/reports/<report>``, read with sudo)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from flask import make_response, render_template, request
from werkzeug.wrappers import Response

from tokenledger.application.hygiene import COUNT_DIMENSIONS, REPORT_TITLES, REPORTS
from tokenledger.application.hygiene_format import report_rows
from tokenledger.application.hygiene_request import ReportRequest, report_request, run_report
from tokenledger.domain.caller import Caller
from tokenledger.domain.errors import InvalidRequest
from tokenledger.web.hygiene_api import export_response
from tokenledger.web.routes import PAGE, Answer, Doc, Route
from tokenledger.web.ui_tree import local_input_value, parse_as_of
from tokenledger.wiring.bootstrap import Runtime

REPORTS_PATH = "sys/ledger/reports"
Authorised = Callable[[str, str], AbstractContextManager[Caller]]
Common = Callable[..., dict[str, Any]]
_PARAMETERS = ("since", "ttl_over", "more_than", "by", "limit", "after")


def report_routes(runtime: Runtime, authorised: Authorised, common: Common,
                  page_namespace: Callable[[], str]) -> tuple[Route, ...]:
    """The report pages of the audit UI's blueprint, over its session helpers."""

    def reports() -> Response:
        namespace = page_namespace()
        report = request.args.get("report", "")
        with authorised(namespace, f"{REPORTS_PATH}/{report or 'unused'}"):
            values = {name: request.args.get(name, "") for name in _PARAMETERS}
            if not report:
                return _page(common(namespace, report="", values=values, rows=None))
            asked = _asked(report)
            page = run_report(runtime.hygiene, namespace, asked)
            rows = report_rows(page, asked.chosen)
            return _page(common(namespace, report=report, values=values, rows=rows, page=page, asked=asked,
                                since_value=_since_value(values["since"]), export_query=_query(asked, namespace),
                                next_query=_query(asked, namespace, after=page.next_after)))

    def export() -> Response:
        namespace = page_namespace()
        report = request.args.get("report", "")
        with authorised(namespace, f"{REPORTS_PATH}/{report}"):
            asked = _asked(report)
            if asked.export is None:
                raise InvalidRequest("format must be csv or json")
            return export_response(asked, run_report(runtime.hygiene, namespace, asked))

    return (
        Route(("/reports",), ("GET",), reports, _ui_doc(
            "The audit UI's hygiene reports: pick one, see a page of its rows",
            query=("ui_report", "ui_since", "report_ttl_over", "report_more_than", "report_by", "after", "limit",
                   "ui_namespace"))),
        Route(("/reports/export",), ("GET",), export, _ui_doc(
            "A page of a hygiene report as a CSV or JSON file, from the audit UI",
            query=("ui_report", "ui_since", "report_ttl_over", "report_more_than", "report_by", "after", "limit",
                   "report_format", "ui_namespace"))),
    )


def _asked(report: str) -> ReportRequest:
    """The report's parameters; ``since`` may come as a datetime-local field sends it (UTC)."""
    args = {name: value for name, value in request.args.items() if value != "" or name == "after"}
    since = parse_as_of(args.get("since", ""))
    if since is not None:
        args["since"] = since.isoformat()
    return report_request(report, args)


def _since_value(text: str) -> str:
    try:
        return local_input_value(parse_as_of(text))
    except InvalidRequest:
        return ""


def _query(asked: ReportRequest, namespace: str, **changes: Any) -> Any:
    """The query string of the report's page with ``changes`` (None: no such page)."""
    if any(value is None for value in changes.values()):
        return None
    kept = {name: value for name, value in request.args.items() if name not in changes}
    return {**kept, **changes, "report": asked.report, "namespace": namespace or None}


def _page(values: dict[str, Any]) -> Response:
    return make_response(render_template("ui/reports.html", reports=REPORTS, titles=REPORT_TITLES,
                                         dimensions=COUNT_DIMENSIONS, **values))


def _ui_doc(summary: str, **details: Any) -> Doc:
    return Doc(summary, _ANSWERS, tag="ui", security=("UISession",), anonymous_too=True, vault_parameters=False,
               errors=(500,), **details)


_ANSWERS = (
    Answer(200, kind=PAGE, description="the page, or the exported file"),
    Answer(302, kind=PAGE, description="no session, or its token no longer works: to the login page"),
    Answer(400, kind=PAGE, description="an unknown report, or a bad parameter"),
    Answer(403, kind=PAGE, description="the session's token may not read the report there"),
)
