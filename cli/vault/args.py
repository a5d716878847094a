"""Vault's flag style for argparse: single-dash long flags (``-policy``, ``-ttl=1h``), Go's
``-flag=true|false`` booleans, durations checked before any request, and usage errors on one line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from tokenledger.domain.durations import DurationError, parse_duration

_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}
_FALSE_SUFFIX = "=false"
FORMATS = ("table", "json")


def names(flag: str, *aliases: str) -> list[str]:
    """``-flag`` and ``--flag`` (and the same for each alias)."""
    return [f"{dashes}{name}" for name in (flag, *aliases) for dashes in ("-", "--")]


class VaultArgumentParser(argparse.ArgumentParser):
    """A leaf command's parser: every usage error is one line on stderr, then exit 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.boolean_flags: set[str] = set()

    def add_boolean(self, flag: str, *, default: bool | None, help: str,
                    group: argparse._ArgumentGroup | None = None) -> None:
        """``-flag`` sets it, ``-flag=false`` (or any of Go's spellings) clears it."""
        container = self if group is None else group
        dest = flag.replace("-", "_")
        options = names(flag)
        container.add_argument(*options, dest=dest, action="store_true", default=default, help=help)
        container.add_argument(*(option + _FALSE_SUFFIX for option in options), dest=dest,
                               action="store_false", help=argparse.SUPPRESS)
        self.boolean_flags.update(options)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        given = list(sys.argv[1:] if args is None else args)
        parsed, extras = super().parse_known_args(self._spelled_booleans(given), namespace)
        if extras and self._positionals_are_leaves():
            flags = [extra.split("=", 1)[0] for extra in extras if extra.startswith("-") and extra != "-"]
            if flags:
                self.error(f"flag provided but not defined: {flags[0]}")
            self.error(f"too many arguments ({len(extras)} more than expected)")
        return parsed, extras

    def _positionals_are_leaves(self) -> bool:
        """Only a leaf judges leftovers: a parser with sub-commands hands them down."""
        return not any(isinstance(action, argparse._SubParsersAction) for action in self._actions)

    def _spelled_booleans(self, args: list[str]) -> list[str]:
        rewritten: list[str] = []
        for position, arg in enumerate(args):
            if arg == "--":
                return rewritten + args[position:]
            flag, equals, value = arg.partition("=")
            if equals and flag in self.boolean_flags:
                if value in _TRUE:
                    arg = flag
                elif value in _FALSE:
                    arg = flag + _FALSE_SUFFIX
                else:
                    self.error(f'invalid boolean value "{value}" for flag {flag}')
            rewritten.append(arg)
        return rewritten

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"Error: {message} (see '{self.prog} -h')\n")


def duration(text: str) -> str:
    """A duration flag's value, checked here with the server's own parser and sent as given."""
    try:
        seconds = parse_duration(text)
    except DurationError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if seconds < 0:
        raise argparse.ArgumentTypeError(f'duration "{text}" must not be negative')
    return text


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'"{text}" is not a whole number') from None
    if value < 0:
        raise argparse.ArgumentTypeError(f'"{text}" must not be negative')
    return value


def add_connection_options(parser: VaultArgumentParser, *, formats: bool = True) -> None:
    """The options every command takes: where the server is, which namespace, how to print."""
    group = parser.add_argument_group("server and output options")
    group.add_argument(*names("address"), dest="address", default=None, metavar="ADDR",
                       help="server address (default: $TOKENLEDGER_ADDR, $VAULT_ADDR, "
                            "else http://127.0.0.1:8200)")
    group.add_argument(*names("namespace", "ns"), dest="namespace", default=None, metavar="NS",
                       help="namespace (site) for the request (default: $TOKENLEDGER_NAMESPACE, "
                            "$VAULT_NAMESPACE)")
    group.add_argument(*names("ca-cert"), dest="ca_cert", default=None, metavar="FILE",
                       help="CA bundle to verify the server's TLS certificate (default: $VAULT_CACERT)")
    parser.add_boolean("tls-skip-verify", default=None, group=group,
                       help="do not verify the server's TLS certificate (insecure; $VAULT_SKIP_VERIFY)")
    if formats:
        group.add_argument(*names("format"), dest="format", type=str.lower, choices=FORMATS, default=None,
                           help="table (default, or $VAULT_FORMAT) or json: the API's response body")


def add_field_option(parser: VaultArgumentParser) -> None:
    parser.add_argument(*names("field"), dest="field", default="", metavar="NAME",
                        help="print only this field's value (e.g. -field=token)")


def parse_bool_text(value: str) -> bool | None:
    """Go's ``strconv.ParseBool``; None for anything else."""
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return None
