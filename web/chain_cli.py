"""``ledger verify``: recompute the hash chain of the log."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

import psycopg
from eventsourcing.persistence import PersistenceError

from projections.hash_chain import verify_chain
from projections.postgres_store import IndexedPostgresRecorder
from projections.sqlite_store import IndexedSQLiteRecorder
from web.bootstrap import opened
from web.settings import Settings


def add_commands(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register this module's ``tokenledger ledger`` actions."""
    verify = actions.add_parser(
        "verify", help="recompute the hash chain; report the first altered, missing or reordered event "
                       "(exit 1 if any)")
    verify.add_argument("--store", default=None, help="the ledger (default: $TOKENLEDGER_STORE)")
    verify.set_defaults(run=_verify)


def _verify(arguments: argparse.Namespace) -> int:
    settings = Settings.from_env().with_overrides(store=arguments.store)
    if not settings.is_postgres and not Path(settings.store).is_file():
        print(f"tokenledger: no store at {settings.store}", file=sys.stderr)
        return 2
    try:
        with opened(settings.store) as runtime:
            recorder = runtime.ledger.recorder
            assert isinstance(recorder, IndexedSQLiteRecorder | IndexedPostgresRecorder)  # bootstrap checks
            report = verify_chain(recorder)
    except (PersistenceError, sqlite3.Error, psycopg.Error, OSError) as error:
        print(f"tokenledger: cannot read the store: {error}", file=sys.stderr)
        return 2
    for line in report.lines():
        print(line)
    return 0 if report.intact else 1
