"""A hygiene report's parameters, as a query string (the API, the audit page) or the command line
gives them, checked; and running the report they ask for."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from tokenledger.application.audit import DEFAULT_PAGE, Page
from tokenledger.application.hygiene import (
    ADDRESSES,
    COUNTS,
    LONG_LIVED,
    REPORTS,
    UNUSED,
    HygieneService,
    TokenFilter,
)
from tokenledger.domain.clock import parse_instant
from tokenledger.domain.durations import DurationError, parse_duration
from tokenledger.domain.errors import InvalidRequest

EXPORTS = ("csv", "json")
_MOST = 2**62  # beyond any page size or count of addresses
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class ReportRequest:
    report: str
    chosen: TokenFilter | None  # None: the counts report
    by: str
    after: str | None
    limit: int
    export: str | None  # csv, json, or None: Vault's envelope


def report_request(report: str, args: Mapping[str, str]) -> ReportRequest:
    """A report's parameters from a query string; a bad one is an ``InvalidRequest``."""
    if report not in REPORTS:
        raise InvalidRequest(f"unknown report {report!r}: one of {', '.join(REPORTS)}")
    export = args.get("format") or None
    if export is not None and export not in EXPORTS:
        raise InvalidRequest("format must be csv or json")
    limit = _count(args, "limit", DEFAULT_PAGE)
    chosen = None if report == COUNTS else TokenFilter(
        report, since=_instant(args, "since") if report == UNUSED else None,
        ttl_over=_duration(args, "ttl_over") if report == LONG_LIVED else None,
        more_than=_count(args, "more_than", 1) if report == ADDRESSES else 1)
    return ReportRequest(report, chosen, args.get("by", "role") if report == COUNTS else "",
                         args.get("after"), limit, export)


def run_report(service: HygieneService, namespace: str, asked: ReportRequest) -> Page:
    if asked.chosen is None:
        return service.counts(namespace, asked.by, asked.after, asked.limit)
    return service.tokens(namespace, asked.chosen, asked.after, asked.limit)


def _count(args: Mapping[str, str], name: str, default: int) -> int:
    text = (args.get(name) or "").strip()
    if not text:
        return default
    if not _DIGITS.fullmatch(text):
        raise InvalidRequest(f"{name} must be a whole number")
    return min(int(text), _MOST)


def _instant(args: Mapping[str, str], name: str) -> datetime | None:
    text = args.get(name)
    return parse_instant(text, name) if text else None


def _duration(args: Mapping[str, str], name: str) -> int | None:
    text = args.get(name)
    if not text:
        return None
    try:
        return parse_duration(text)
    except DurationError as error:
        raise InvalidRequest(f"{name}: {error}") from None
