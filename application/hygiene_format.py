"""How the API, the command line and the audit page write the hygiene reports: a page as Vault's
``keys`` and ``key_info``, and the same rows flat, for a CSV or JSON export. Plain data, no HTTP."""

from __future__ import annotations

import csv
import io
from typing import Any

from tokenledger.application.audit import Page
from tokenledger.application.formats import go_time
from tokenledger.application.hygiene import COUNTS, LONG_LIVED, GroupCount, HygieneToken, TokenFilter

TOKEN_COLUMNS = ("accessor", "display_name", "policies", "role", "creator_accessor", "path", "creation_time",
                 "expire_time", "ttl", "period", "explicit_max_ttl", "last_used_time", "last_used_remote_addr",
                 "addresses", "reasons")
COUNT_COLUMNS = ("key", "count")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def token_row(token: HygieneToken, chosen: TokenFilter) -> dict[str, Any]:
    """One token of a report, flat; ``reasons`` says why ``long-lived`` lists it."""
    reasons = token.lifetime_reasons(chosen.ttl_over) if chosen.report == LONG_LIVED else []
    return {"accessor": token.accessor, "display_name": token.display_name, "policies": list(token.policies),
            "role": token.role_name, "creator_accessor": token.creator_accessor, "path": token.path,
            "creation_time": go_time(token.created_at), "expire_time": go_time(token.expire_at),
            "ttl": token.ttl, "period": token.period, "explicit_max_ttl": token.explicit_max_ttl,
            "last_used_time": go_time(token.last_used_time), "last_used_remote_addr": token.last_used_remote_addr,
            "addresses": token.addresses, "reasons": reasons}


def count_row(group: GroupCount) -> dict[str, Any]:
    return {"key": group.key, "count": group.count}


def report_rows(page: Page, chosen: TokenFilter | None) -> list[dict[str, Any]]:
    """The page's rows, flat: tokens for ``chosen``, else (``counts``) keys and counts."""
    if chosen is None:
        return [count_row(group) for group in page.items]
    return [token_row(token, chosen) for token in page.items]


def report_data(report: str, page: Page, chosen: TokenFilter | None) -> dict[str, Any]:
    """``data`` of the API's answer: ``keys`` (accessors, or a count's keys) and ``key_info``."""
    rows = report_rows(page, chosen)
    key = "key" if chosen is None else "accessor"
    return {"report": report, "keys": [row[key] for row in rows],
            "key_info": {row[key]: {name: value for name, value in row.items() if name != key} for row in rows},
            "total": page.total, "next_after": page.next_after}


def columns_of(report: str) -> tuple[str, ...]:
    return COUNT_COLUMNS if report == COUNTS else TOKEN_COLUMNS


def as_csv(report: str, rows: list[dict[str, Any]]) -> str:
    """The rows as CSV with a header line; lists joined by ``;``; a cell a spreadsheet would take
    for a formula is prefixed with ``'``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    columns = columns_of(report)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row[column]) for column in columns])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = ";".join(value) if isinstance(value, list) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
