"""``tokenledger audit report``: the hygiene reports from a terminal, read straight from a store,
as a table, or exported as CSV or JSON."""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console
from rich.table import Table

from tokenledger.application.hygiene import REPORTS
from tokenledger.application.hygiene_format import as_csv, columns_of, report_rows
from tokenledger.application.hygiene_request import report_request, run_report
from tokenledger.domain.errors import LedgerError
from tokenledger.wiring.bootstrap import opened

_TABLE_COLUMNS = ("accessor", "display_name", "policies", "creator_accessor", "creation_time", "expire_time",
                  "last_used_time", "last_used_remote_addr", "addresses", "reasons")
_OPTIONS = (("--since", "since", "unused: neither created nor used since (RFC 3339)"),
            ("--ttl-over", "ttl_over", "long-lived: also TTLs over this duration (720h)"),
            ("--more-than", "more_than", "addresses: used from more addresses than this (1)"),
            ("--by", "by", "counts: by role, creator or policy (role)"),
            ("--after", "after", "start after this accessor (or key)"),
            ("--limit", "limit", "page size (default 100, at most 1000)"))


def add_report_command(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    report = actions.add_parser("report", help="hygiene reports on the live tokens: " + ", ".join(REPORTS))
    report.add_argument("report", choices=REPORTS)
    report.add_argument("--store", default=None, help="the ledger (default: $TOKENLEDGER_STORE)")
    report.add_argument("--namespace", default="", help="the namespace (site) to look in")
    for flag, dest, summary in _OPTIONS:
        report.add_argument(flag, dest=dest, default=None, help=summary)
    report.add_argument("-format", "--format", dest="format", choices=("table", "json", "csv"), default="table")
    report.set_defaults(run=_report)


def _report(arguments: argparse.Namespace) -> int:
    query = {dest: str(getattr(arguments, dest)) for _, dest, _ in _OPTIONS if getattr(arguments, dest) is not None}
    try:
        asked = report_request(arguments.report, query)
        with opened(arguments.store) as runtime:
            page = run_report(runtime.hygiene, arguments.namespace, asked)
    except LedgerError as error:
        print(f"tokenledger audit: {error}", file=sys.stderr)
        return 2
    rows = report_rows(page, asked.chosen)
    if arguments.format == "csv":
        sys.stdout.write(as_csv(asked.report, rows))
    elif arguments.format == "json":
        print(json.dumps({"rows": rows, "total": page.total, "next_after": page.next_after}, indent=2))
    else:
        _print_table(asked.report, rows, page.total, page.next_after)
    return 0


def _print_table(report: str, rows: list[dict[str, object]], total: int, next_after: str | None) -> None:
    columns = [column for column in columns_of(report) if column in _TABLE_COLUMNS or report == "counts"]
    table = Table(title=f"report {report}")
    for column in columns:
        table.add_column(column, no_wrap=column == "accessor")
    for row in rows:
        table.add_row(*(_text(row[column]) for column in columns))
    console = Console(width=None if sys.stdout.isatty() else 200)
    console.print(table)
    console.print(f"{len(rows)} of {total}" + (f"; next page: --after {next_after}" if next_after is not None else ""))


def _text(value: object) -> str:
    if value is None:
        return "-"
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
