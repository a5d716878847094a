"""``tokenledger policy ...``: write, read, list and delete ACL policies (sys/policies/acl)."""

from __future__ import annotations

import argparse
import sys

from tokenledger.cli.vault.client import Client, CliError, output_format, path_segment
from tokenledger.cli.vault.commands import Actions, done, leaf, unless_missing
from tokenledger.cli.vault.output import print_json, print_keys


def add_policies(actions: Actions) -> None:
    write = leaf(actions, "write", "upload a policy from FILE (HCL or JSON; '-' reads stdin)",
                 _policy_write, "uploading policy")
    write.add_argument("name", metavar="NAME")
    write.add_argument("file", metavar="FILE")
    read = leaf(actions, "read", "print a policy's text", _policy_read, "reading policy")
    read.add_argument("name", metavar="NAME")
    leaf(actions, "list", "list the policies' names", _policy_list, "listing policies")
    delete = leaf(actions, "delete", "delete a policy", _policy_delete, "deleting policy")
    delete.add_argument("name", metavar="NAME")


def _policy_path(arguments: argparse.Namespace) -> str:
    return f"sys/policies/acl/{path_segment(arguments.name)}"


def _policy_write(client: Client, arguments: argparse.Namespace) -> int:
    if arguments.file == "-":
        text = sys.stdin.read()
    else:
        try:
            with open(arguments.file, encoding="utf-8") as source:
                text = source.read()
        except OSError as error:
            raise CliError(f"cannot read {arguments.file}: {error.strerror or error}") from None
        except UnicodeDecodeError:
            raise CliError(f"cannot read {arguments.file}: not UTF-8 text") from None
    answer = client.call("PUT", _policy_path(arguments), {"policy": text})
    return done(arguments, answer, f"Success! Uploaded policy: {arguments.name}")


def _policy_read(client: Client, arguments: argparse.Namespace) -> int:
    answer = unless_missing(lambda: client.call("GET", _policy_path(arguments)),
                            f"No policy named: {arguments.name}")
    if output_format(arguments) == "json":
        print_json(answer)
    else:
        data = (answer or {}).get("data") or {}
        print(str(data.get("policy") or data.get("rules") or "").strip())
    return 0


def _policy_list(client: Client, arguments: argparse.Namespace) -> int:
    answer = client.call("LIST", "sys/policies/acl")
    if output_format(arguments) == "json":
        print_json(answer)
    else:
        print_keys(((answer or {}).get("data") or {}).get("keys") or [], header=False)
    return 0


def _policy_delete(client: Client, arguments: argparse.Namespace) -> int:
    answer = client.call("DELETE", _policy_path(arguments))
    return done(arguments, answer, f"Success! Deleted policy: {arguments.name}")
