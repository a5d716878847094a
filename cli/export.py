"""``ledger export`` and ``ledger import``: the log as JSON lines (``tokenledger.projections.ledger_file``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO

from tokenledger.application.ledger import TokenLedger
from tokenledger.projections.ledger_file import (
    ImportLineError,
    LedgerFileError,
    StoreNotEmptyError,
    check_readable,
    export_ledger,
    parse_instant,
)
from tokenledger.projections.ledger_import import import_ledger
from tokenledger.projections.ledger_recorder import LedgerRecorder
from tokenledger.projections.read_model_store import ReadModelStore
from tokenledger.wiring.settings import Settings

_STORE_HELP = "the ledger: a SQLite file or a postgresql:// URL (default: $TOKENLEDGER_STORE)"


def add_commands(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register this module's ``tokenledger ledger`` actions."""
    export = actions.add_parser(
        "export", help="write the log to stdout as JSON lines, after the store's secret keys",
        description="Write the store's secret keys (unless --without-keys), then every event, one "
                    "JSON object a line, in log order. With the keys, the file is as sensitive as "
                    "the store itself; events are written decrypted.")
    export.add_argument("--store", default=None, help=_STORE_HELP)
    export.add_argument("--since", type=_instant, default=None, metavar="RFC3339",
                        help="only the events at or after this instant, e.g. 2026-01-31T00:00:00Z")
    export.add_argument("--without-keys", action="store_true",
                        help="leave the keys out (for the record, not a restore): no token "
                             "restored from the file, not even the root token, is then found by "
                             "its value, nor a batch token opened")
    export.set_defaults(run=_export)

    restore = actions.add_parser(
        "import", help="restore an export into a new, empty store",
        description="Check every line of an export, then restore it, all or nothing, into a store "
                    "with no event yet; the file's keys replace the store's.")
    restore.add_argument("--store", default=None, help=_STORE_HELP)
    restore.add_argument("--file", default=None, metavar="PATH",
                         help="read this export (default: stdin; a pipe is first copied to an "
                              "unnamed temporary file, as the file is read twice)")
    restore.set_defaults(run=_import)


def _instant(text: str) -> datetime:
    try:
        return parse_instant(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _export(arguments: argparse.Namespace) -> int:
    settings = Settings.from_env().with_overrides(store=arguments.store)
    if not settings.is_postgres and not Path(settings.store).exists():
        print(f"tokenledger: no store at {settings.store}", file=sys.stderr)
        return 1
    with _ledger(settings) as (ledger, index):
        try:
            summary = export_ledger(ledger, index, sys.stdout, since=arguments.since,
                                    with_keys=not arguments.without_keys)
        except LedgerFileError as error:
            print(f"tokenledger: export stopped: {error}", file=sys.stderr)
            return 1
    sys.stdout.flush()
    print(f"exported {summary.events} event(s) and {summary.keys} key(s)", file=sys.stderr)
    return 0


def _import(arguments: argparse.Namespace) -> int:
    settings = Settings.from_env().with_overrides(store=arguments.store)
    try:
        source: IO[str] = open(arguments.file, encoding="utf-8") if arguments.file else sys.stdin  # noqa: SIM115 - closed below
    except OSError as error:
        print(f"tokenledger: cannot read {arguments.file}: {error.strerror}", file=sys.stderr)
        return 1
    try:
        with _ledger(settings) as (ledger, index):
            summary = import_ledger(ledger, index, source)
    except ImportLineError as error:
        print(error, file=sys.stderr)
        print("tokenledger: nothing was imported", file=sys.stderr)
        return 1
    except StoreNotEmptyError as error:
        print(f"tokenledger: {error}; nothing was imported", file=sys.stderr)
        return 1
    except UnicodeDecodeError:
        print("tokenledger: the file is not UTF-8 text; nothing was imported", file=sys.stderr)
        return 1
    finally:
        if source is not sys.stdin:
            source.close()
    print(f"imported {summary.events} event(s) and {summary.keys} key(s)")
    if summary.events and not summary.positions_preserved:
        print("note: the events have new positions in this store (the file was a partial export, "
              "or its log had gaps); their order is kept")
    if not summary.keys:
        print("warning: the file has no keys: no restored token, not even the root token, "
              "authenticates or is found by its value (only by its accessor)", file=sys.stderr)
    return 0


@contextmanager
def _ledger(settings: Settings) -> Iterator[tuple[TokenLedger, ReadModelStore]]:
    """The store's ledger and read models, without the service: nothing derives keys from the
    store (an import may replace them) or writes to it but the command itself."""
    ledger = TokenLedger(env=settings.eventsourcing_env())
    try:
        if not isinstance(ledger.recorder, LedgerRecorder):
            raise TypeError(f"the ledger needs a ledger recorder, got {type(ledger.recorder)}")
        check_readable(ledger)
        yield ledger, ledger.recorder.read_model_store()
    finally:
        ledger.close()
