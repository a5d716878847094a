"""``tokenledger audit``: the auditors' questions from a terminal, read straight from a store."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from tokenledger.application.audit import Page
from tokenledger.application.formats import go_time, history_entry, token_page
from tokenledger.cli.hygiene import add_report_command
from tokenledger.domain.clock import parse_instant
from tokenledger.domain.errors import LedgerError
from tokenledger.wiring.bootstrap import opened


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    audit = commands.add_parser("audit", help="history, time travel and creations, from the ledger")
    actions = audit.add_subparsers(required=True, metavar="ACTION")
    history = _action(actions, "history", "every event of the token holding ACCESSOR", _history)
    history.add_argument("accessor")
    history.add_argument("--after", type=int, default=0, help="start after this event version")
    as_of = _action(actions, "as-of", "the token holding ACCESSOR as it was at TIME (RFC 3339)", _as_of)
    as_of.add_argument("time")
    as_of.add_argument("accessor")
    created = _action(actions, "created-by", "tokens created by the token holding ACCESSOR", _created_by)
    created.add_argument("accessor")
    created.add_argument("--descendants", action="store_true", help="and what those created, and so on")
    created.add_argument("--after", default=None, help="start after this accessor")
    role = _action(actions, "role", "tokens created against ROLE", _role)
    role.add_argument("role")
    role.add_argument("--from", dest="start", default=None, help="created at or after (RFC 3339)")
    role.add_argument("--to", dest="end", default=None, help="created before (RFC 3339)")
    role.add_argument("--after", default=None, help="start after this accessor")
    add_report_command(actions)


def _action(actions: argparse._SubParsersAction, name: str, summary: str, run: Any) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    action: argparse.ArgumentParser = actions.add_parser(name, help=summary)
    action.add_argument("--store", default=None, help="the ledger (default: $TOKENLEDGER_STORE)")
    action.add_argument("--namespace", default="", help="the namespace (site) to look in")
    action.add_argument("--limit", type=int, default=100, help="page size (default 100, at most 1000)")
    action.add_argument("-format", "--format", dest="format", choices=("table", "json"), default="table")
    action.set_defaults(run=lambda arguments: _reporting_errors(run, arguments))
    return action


def _reporting_errors(run: Any, arguments: argparse.Namespace) -> int:
    try:
        return int(run(arguments))
    except LedgerError as error:
        print(f"tokenledger audit: {error}", file=sys.stderr)
        return 2


def _history(arguments: argparse.Namespace) -> int:
    with opened(arguments.store) as runtime:
        page = runtime.audit.history(arguments.namespace, arguments.accessor, arguments.after, arguments.limit)
    events = [history_entry(entry) for entry in page.items]
    if arguments.format == "json":
        return _print_json({"events": events, "total": page.total, "next_after": page.next_after})
    table = _table(f"token {arguments.accessor}", "version", "time", "event", "actor", "from")
    table.add_column("changes", overflow="fold")
    for event in events:
        table.add_row(str(event["version"]), event["time"], event["type"], event["actor_accessor"] or "-",
                      event["remote_addr"] or "-", json.dumps(event["changes"], sort_keys=True))
    return _print_table(table, page)


def _as_of(arguments: argparse.Namespace) -> int:
    instant = parse_instant(arguments.time, "TIME")
    with opened(arguments.store) as runtime:
        past = runtime.audit.token_as_of(arguments.namespace, arguments.accessor, instant)
    from tokenledger.application.lookup_format import token_as_of_data  # marshmallow: for this command only

    data = token_as_of_data(past, instant)
    if arguments.format == "json":
        return _print_json(data)
    table = _table(f"token {arguments.accessor} as of {go_time(instant)}", "field")
    table.add_column("value", overflow="fold")
    for key, value in sorted(data.items()):
        table.add_row(key, json.dumps(value) if not isinstance(value, str) else value)
    Console(width=None if sys.stdout.isatty() else 200).print(table)
    return 0


def _created_by(arguments: argparse.Namespace) -> int:
    with opened(arguments.store) as runtime:
        page = runtime.audit.created_by(arguments.namespace, arguments.accessor,
                                        descendants=arguments.descendants, after=arguments.after,
                                        limit=arguments.limit)
    return _print_tokens(arguments, page, f"created by {arguments.accessor}")


def _role(arguments: argparse.Namespace) -> int:
    start = parse_instant(arguments.start, "--from") if arguments.start else None
    end = parse_instant(arguments.end, "--to") if arguments.end else None
    with opened(arguments.store) as runtime:
        page = runtime.audit.created_against_role(arguments.namespace, arguments.role, start, end,
                                                  after=arguments.after, limit=arguments.limit)
    return _print_tokens(arguments, page, f"created against role {arguments.role}")


def _print_tokens(arguments: argparse.Namespace, page: Page, title: str) -> int:
    data = token_page(page)
    if arguments.format == "json":
        return _print_json(data)
    table = _table(title, "accessor", "created", "status", "display name", "policies", "role", "creator")
    for accessor in data["keys"]:
        info = data["key_info"][accessor]
        table.add_row(accessor, info["creation_time"], info["status"], info["display_name"],
                      ",".join(info["policies"]), info["role"] or "-", info["creator_accessor"] or "-")
    return _print_table(table, page)


def _table(title: str, *unwrapped: str) -> Table:
    table = Table(title=title)
    for header in unwrapped:
        table.add_column(header, no_wrap=True)
    return table


def _print_table(table: Table, page: Page) -> int:
    console = Console(width=None if sys.stdout.isatty() else 200)
    console.print(table)
    console.print(f"{len(page.items)} of {page.total}" + (f"; next page: --after {page.next_after}"
                                                           if page.next_after else ""))
    return 0


def _print_json(data: Any) -> int:
    print(json.dumps(data, indent=2, sort_keys=True))
    return 0
