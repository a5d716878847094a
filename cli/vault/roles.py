"""``tokenledger token role ...``: write, read, list and delete token roles (auth/token/roles)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from tokenledger.cli.vault.args import add_field_option, duration
from tokenledger.cli.vault.client import USAGE, Client, CliError, output_format, path_segment
from tokenledger.cli.vault.commands import Actions, done, leaf, unless_missing
from tokenledger.cli.vault.output import (
    looks_like_duration,
    print_json,
    print_keys,
    print_secret,
)


def add_roles(actions: Actions) -> None:
    write = leaf(actions, "write", "create or update a role: NAME key=value ... (as `vault write "
                                   "auth/token/roles/NAME`)", _role_write, "writing role")
    write.add_argument("name", metavar="NAME")
    write.add_argument("data", nargs="*", metavar="KEY=VALUE",
                       help="e.g. allowed_policies=app,db orphan=true token_period=1h; KEY=@FILE reads the "
                            "value from FILE; a lone '-' reads a JSON object from stdin")
    read = leaf(actions, "read", "show a role", _role_read, "reading role")
    read.add_argument("name", metavar="NAME")
    add_field_option(read)
    leaf(actions, "list", "list the roles' names", _role_list, "listing roles")
    delete = leaf(actions, "delete", "delete a role", _role_delete, "deleting role")
    delete.add_argument("name", metavar="NAME")


def _role_path(arguments: argparse.Namespace) -> str:
    return f"auth/token/roles/{path_segment(arguments.name)}"


def _role_write(client: Client, arguments: argparse.Namespace) -> int:
    data = _write_data(arguments.data)
    answer = client.call("POST", _role_path(arguments), data)
    return done(arguments, answer, f"Success! Data written to: auth/token/roles/{arguments.name}")


def _role_read(client: Client, arguments: argparse.Namespace) -> int:
    answer = unless_missing(lambda: client.call("GET", _role_path(arguments)),
                            f"No value found at auth/token/roles/{arguments.name}")
    print_secret(answer, output_format(arguments), arguments.field)
    return 0


def _role_list(client: Client, arguments: argparse.Namespace) -> int:
    answer = unless_missing(lambda: client.call("LIST", "auth/token/roles"),
                            "No value found at auth/token/roles")
    if output_format(arguments) == "json":
        print_json(answer)
    else:
        print_keys(((answer or {}).get("data") or {}).get("keys") or [], header=True)
    return 0


def _role_delete(client: Client, arguments: argparse.Namespace) -> int:
    answer = client.call("DELETE", _role_path(arguments))
    return done(arguments, answer, f"Success! Data deleted (if it existed) at: auth/token/roles/{arguments.name}")


def _write_data(given: list[str]) -> dict[str, Any]:
    """``vault write``'s arguments: ``key=value`` (repeated keys make a list), ``key=@file``, or a
    lone ``-`` for a JSON object on stdin. Duration fields are checked here."""
    data: dict[str, Any] = {}
    for argument in given:
        if argument == "-":
            try:
                loaded = json.loads(sys.stdin.read() or "{}")
            except ValueError as error:
                raise CliError(f"stdin is not JSON: {error}", USAGE) from None
            if not isinstance(loaded, dict):
                raise CliError("stdin must hold a JSON object", USAGE)
            data.update(loaded)
            continue
        key, equals, value = argument.partition("=")
        key = key.strip()
        if not equals or not key:
            raise CliError(f'invalid key/value pair "{argument}": expected KEY=VALUE', USAGE)
        if value.startswith("@"):
            try:
                with open(value[1:], encoding="utf-8") as source:
                    value = source.read().strip()
            except OSError as error:
                raise CliError(f"cannot read {value[1:]}: {error.strerror or error}") from None
        if looks_like_duration(key):
            duration_text = value
            try:
                duration(duration_text)
            except argparse.ArgumentTypeError as error:
                raise CliError(f"invalid {key}: {error}", USAGE) from None
        if key in data:
            previous = data[key]
            data[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            data[key] = value
    return data
