"""What every ``tokenledger token|policy`` leaf command shares: its parser's registration, one line
on stderr and an exit status for any failure, and the usual answers to a write or a missing read."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any, TypeAlias

from tokenledger.cli.vault.args import VaultArgumentParser, add_connection_options
from tokenledger.cli.vault.client import USAGE, ApiError, Client, CliError, output_format
from tokenledger.cli.vault.output import print_json, print_warnings

Run = Callable[[Client, argparse.Namespace], int]
Actions: TypeAlias = "argparse._SubParsersAction[Any]"
INTERRUPTED = 130


class NotFound(CliError):
    """Vault's "No value found at ..." for a read or list: printed as is, exit 2."""

    def __init__(self, message: str) -> None:
        super().__init__(message, USAGE)


def leaf(actions: Actions, name: str, summary: str, run: Run, doing: str, *,
         formats: bool = True) -> VaultArgumentParser:
    parser: VaultArgumentParser = actions.add_parser(name, help=summary, description=summary)
    add_connection_options(parser, formats=formats)
    parser.set_defaults(run=lambda arguments: _reporting(run, doing, arguments))
    return parser


def _reporting(run: Run, doing: str, arguments: argparse.Namespace) -> int:
    """Every failure becomes one line on stderr and an exit status; never a traceback."""
    client: Client | None = None
    try:
        client = Client.from_arguments(arguments)
        return int(run(client, arguments))
    except NotFound as error:
        message, code = str(error), error.code
    except CliError as error:
        message, code = f"Error {doing}: {error}", error.code
    except OSError as error:
        message, code = f"Error {doing}: {error.strerror or error}", 1
    except KeyboardInterrupt:
        message, code = "Interrupted", INTERRUPTED
    except Exception as error:
        message, code = f"Error {doing}: unexpected {type(error).__name__}: {error}", 1
    if client is not None:
        message = client.redact(message)
    print(" ".join(message.split()), file=sys.stderr)
    return code


def done(arguments: argparse.Namespace, answer: dict[str, Any] | None, success: str) -> int:
    """A write's answer: its JSON (if it has a body) with -format=json, else any warnings and
    Vault's success line."""
    if output_format(arguments) == "json":
        print_json(answer)
    else:
        print_warnings(answer)
        print(success)
    return 0


def unless_missing(call: Callable[[], dict[str, Any] | None], message: str) -> dict[str, Any] | None:
    try:
        return call()
    except ApiError as error:
        if error.status == 404 and not error.errors:
            raise NotFound(message) from None
        raise

