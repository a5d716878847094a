"""``ledger verify``: recompute the hash chain of the log; ``ledger head``: a checkpoint of it.

Both only read the store (``tokenledger.projections.chain_reader``): verifying writes nothing to what it
verifies, not even the read models' catch-up that opening the ledger does.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from tokenledger.projections.chain_checkpoint import (
    CHECKPOINT_KEY_NAME,
    Checkpoint,
    CheckpointError,
    check_expected,
    head_checkpoint,
    parse_signature,
    public_key,
    sign,
    signature_holds,
)
from tokenledger.projections.chain_reader import ChainReader, postgres_reader, sqlite_reader
from tokenledger.projections.hash_chain import ChainReport, verify_chain
from tokenledger.wiring.settings import Settings, postgres_env


class StoreUnavailable(Exception):
    """The store is missing or cannot be read."""


def add_commands(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register this module's ``tokenledger ledger`` actions."""
    verify = actions.add_parser(
        "verify", help="recompute the hash chain; report the first altered, missing or reordered event "
                       "(exit 1 if any); writes nothing")
    verify.add_argument("--store", default=None, help="the ledger (default: $TOKENLEDGER_STORE)")
    verify.add_argument("--expect-head", default=None, metavar="HASH@POSITION",
                        help="a checkpoint recorded earlier (`ledger head`): exit 1 unless the chain still "
                             "holds that link (catches events removed from the end of the log)")
    verify.add_argument("--signature", default=None, metavar="HEX",
                        help="the checkpoint's signature: exit 1 unless this store's key made it")
    verify.set_defaults(run=_verify)
    head = actions.add_parser(
        "head", help="print the chain's head as HASH@POSITION, signed, for recording outside the store")
    head.add_argument("--store", default=None, help="the ledger (default: $TOKENLEDGER_STORE)")
    head.set_defaults(run=_head)


@contextmanager
def reading(store: str | None) -> Iterator[ChainReader]:
    """A read-only reader of the store; any failure to read it, then or while it is read, is a
    ``StoreUnavailable``."""
    settings = Settings.from_env().with_overrides(store=store)
    if not settings.is_postgres and not Path(settings.store).is_file():
        raise StoreUnavailable(f"no store at {settings.store}")
    opened = postgres_reader(postgres_env(settings.store)) if settings.is_postgres else sqlite_reader(settings.store)
    try:
        with opened as reader:
            yield reader
    except _unreadable(settings) as error:
        raise StoreUnavailable(f"cannot read the store: {error}") from None


def _unreadable(settings: Settings) -> tuple[type[Exception], ...]:
    """What reading the store raises when it cannot be read: its driver's errors, or the system's."""
    if settings.is_postgres:
        import psycopg  # only for a PostgreSQL store, which loaded it to be read

        return psycopg.Error, OSError
    return sqlite3.Error, OSError


def _verify(arguments: argparse.Namespace) -> int:
    try:
        expected = None if arguments.expect_head is None else Checkpoint.parse(arguments.expect_head)
        signature = None if arguments.signature is None else parse_signature(arguments.signature)
    except CheckpointError as error:
        return _fail(str(error))
    if signature is not None and expected is None:
        return _fail("--signature needs --expect-head")
    try:
        with reading(arguments.store) as reader:
            report = verify_chain(reader)
            if expected is not None:
                _check_signature(reader, report, expected, signature)
                check_expected(reader, report, expected)
    except StoreUnavailable as error:
        return _fail(str(error))
    for line in report.lines():
        print(line)
    if expected is not None and report.intact:
        print(f"expected head {expected}: held")
    return 0 if report.intact else 1


def _check_signature(reader: ChainReader, report: ChainReport, expected: Checkpoint,
                     signature: bytes | None) -> None:
    if signature is None or not report.intact:
        return
    key = reader.key(CHECKPOINT_KEY_NAME)
    if key is None:
        report.problem = "the store has no checkpoint key: it signed no checkpoint"
    elif not signature_holds(public_key(key), expected, signature):
        report.problem = (f"the signature of {expected} was not made with this store's key "
                          f"(public key {public_key(key).hex()}): it is another store's, or the key was replaced")


def _head(arguments: argparse.Namespace) -> int:
    try:
        with reading(arguments.store) as reader:
            checkpoint, key = head_checkpoint(reader), reader.key(CHECKPOINT_KEY_NAME)
    except StoreUnavailable as error:
        return _fail(str(error))
    if checkpoint is None:
        return _fail("the store has no hash chain yet: open it once with this version")
    print(checkpoint)
    if key is not None:
        print(f"signature {sign(key, checkpoint).hex()}")
        print(f"public_key {public_key(key).hex()}")
    print(f"time {datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}")
    return 0


def _fail(message: str) -> int:
    print(f"tokenledger: {message}", file=sys.stderr)
    return 2
