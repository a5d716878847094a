"""``GET sys/ledger/reports/<report>``: the hygiene reports, for auditors (sudo), as Vault's
envelope, or exported with ``format=csv`` or ``format=json``."""

from __future__ import annotations

import json

from flask import Response, request

from tokenledger.application.audit import Page
from tokenledger.application.hygiene import HygieneService
from tokenledger.application.hygiene_format import as_csv, report_data, report_rows
from tokenledger.application.hygiene_request import ReportRequest, report_request, run_report
from tokenledger.application.token_service import POLICY_DENIED
from tokenledger.domain.caller import Caller
from tokenledger.domain.errors import PermissionDenied
from tokenledger.web.envelope import vault_response
from tokenledger.web.routes import Answer, Doc, Route


def export_response(asked: ReportRequest, page: Page) -> Response:
    """The page as a file to download: CSV with a header line, or a JSON array of rows."""
    rows = report_rows(page, asked.chosen)
    name = f"tokenledger-{asked.report}{'-by-' + asked.by if asked.by else ''}.{asked.export}"
    if asked.export == "csv":
        body, mimetype = as_csv(asked.report, rows), "text/csv"
    else:
        body, mimetype = json.dumps(rows, indent=1, sort_keys=True), "application/json"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    if page.next_after is not None:
        response.headers["X-Next-After"] = page.next_after
    return response


class HygieneEndpoints:
    def __init__(self, service: HygieneService) -> None:
        self._service = service

    def report(self, caller: Caller, report: str) -> Response:
        if not caller.is_sudo:
            raise PermissionDenied(POLICY_DENIED)
        asked = report_request(report, request.args)
        page = run_report(self._service, caller.namespace, asked)
        if asked.export is not None:
            return export_response(asked, page)
        return vault_response(data=report_data(report, page, asked.chosen))


def hygiene_routes(endpoints: HygieneEndpoints) -> tuple[Route, ...]:
    return (Route(("/ledger/reports/<report>",), ("GET",), endpoints.report, Doc(
        "A hygiene report on the namespace's live tokens (sudo)",
        (Answer(200, description="a page: `keys` (accessors, or for `counts` the role, creator or "
                                 "policy) and `key_info`; with `format`, a CSV or JSON file"),),
        query=("after", "limit", "report_since", "report_ttl_over", "report_more_than", "report_by",
               "report_format"),
        tag="sys/ledger", description=(
            "`report` is `unused` (needs `since`: neither created nor used since), `root-children`, "
            "`long-lived` (never expiring, or periodic without an explicit max TTL; or a TTL over "
            "`ttl_over`), `orphans` (created by a non-root token), `addresses` (recorded uses from more "
            "than `more_than` addresses) or `counts` (`by` role, creator or policy). Uses are recorded "
            "at most once a usage interval."))),)
