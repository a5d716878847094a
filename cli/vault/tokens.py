"""``tokenledger token|policy ...``: Vault's CLI for tokens and policies, over HTTP.

The server is ``$TOKENLEDGER_ADDR``, else ``$VAULT_ADDR``, else http://127.0.0.1:8200; the token
``$TOKENLEDGER_TOKEN``, else ``$VAULT_TOKEN``; the namespace ``-namespace``, else
``$VAULT_NAMESPACE``. Exit status: 0 done, 1 the request failed (server unreachable, an error
answer), 2 the command line is wrong (unknown flag, bad duration, no token) or, as in Vault,
nothing was found to read or list. Errors are one line on stderr and never show a token.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tokenledger.cli.vault.args import (
    VaultArgumentParser,
    add_field_option,
    duration,
    names,
    non_negative_int,
)
from tokenledger.cli.vault.client import (
    USAGE,
    Client,
    CliError,
    output_format,
    path_segment,
)
from tokenledger.cli.vault.commands import Actions, done, leaf
from tokenledger.cli.vault.output import (
    print_json,
    print_secret,
)
from tokenledger.cli.vault.policies import add_policies
from tokenledger.cli.vault.roles import add_roles
from tokenledger.domain.token_view import TokenType


def add_commands(commands: Actions) -> None:
    """Register ``token`` and ``policy``."""
    token = commands.add_parser("token", help="create, look up, renew and revoke tokens over HTTP, as `vault token`",
                                description="Vault's token commands, against a server over HTTP.")
    token_actions = token.add_subparsers(required=True, metavar="ACTION", parser_class=VaultArgumentParser)
    _add_create(token_actions)
    _add_lookup(token_actions)
    _add_renew(token_actions)
    _add_revoke(token_actions)
    _add_capabilities(token_actions)
    role = token_actions.add_parser("role", help="write, read, list and delete token roles (auth/token/roles)")
    add_roles(role.add_subparsers(required=True, metavar="ACTION", parser_class=VaultArgumentParser))
    policy = commands.add_parser("policy", help="write, read, list and delete ACL policies over HTTP, "
                                                "as `vault policy`")
    add_policies(policy.add_subparsers(required=True, metavar="ACTION", parser_class=VaultArgumentParser))


# -- token create ---------------------------------------------------------------------------


def _add_create(actions: Actions) -> None:
    parser = leaf(actions, "create", "create a token, a child of the calling token unless -orphan",
                  _create, "creating token")
    parser.add_argument(*names("policy"), dest="policy", action="append", default=[], metavar="NAME",
                        help="a policy of the token; repeat it, or give a comma list")
    parser.add_argument(*names("ttl"), dest="ttl", type=duration, default=None, metavar="DURATION",
                        help="initial TTL (e.g. 30m, 1h, 2d)")
    parser.add_argument(*names("explicit-max-ttl"), dest="explicit_max_ttl", type=duration, default=None,
                        metavar="DURATION", help="hard limit on the token's life, renewals included")
    parser.add_argument(*names("period"), dest="period", type=duration, default=None, metavar="DURATION",
                        help="make it periodic: every renewal gives this TTL (needs sudo)")
    parser.add_boolean("orphan", default=False, help="no parent: it outlives its creator (needs sudo)")
    parser.add_boolean("renewable", default=None, help="whether it can be renewed (default true; "
                                                       "-renewable=false to forbid)")
    parser.add_boolean("no-default-policy", default=False, help="leave the default policy out")
    parser.add_argument(*names("use-limit"), dest="use_limit", type=non_negative_int, default=None,
                        metavar="N", help="number of uses, then it is revoked (default 0: unlimited)")
    parser.add_argument(*names("display-name"), dest="display_name", default="", metavar="NAME",
                        help="a name to recognise it by")
    parser.add_argument(*names("metadata"), dest="metadata", action="append", default=[], metavar="KEY=VALUE",
                        help="metadata recorded with it; repeat for more")
    parser.add_argument(*names("role"), dest="role", default="", metavar="ROLE",
                        help="create it against this role (auth/token/create/ROLE)")
    parser.add_argument(*names("type"), dest="type", type=str.lower, choices=tuple(TokenType),
                        default="", help="service (default) or batch")
    parser.add_argument(*names("id"), dest="id", default="", metavar="ID",
                        help="the token's value instead of a generated one (needs sudo)")
    parser.add_argument(*names("entity-alias"), dest="entity_alias", default="", metavar="ALIAS",
                        help="entity alias to associate, with -role")
    add_field_option(parser)


def _create(client: Client, arguments: argparse.Namespace) -> int:
    client.keep_secret(arguments.id)
    body: dict[str, Any] = {}
    policies = _comma_list(arguments.policy)
    if policies:
        body["policies"] = policies
    metadata = _pairs(arguments.metadata, "-metadata")
    if metadata:
        body["meta"] = metadata
    for key in ("ttl", "explicit_max_ttl", "period"):
        if getattr(arguments, key) is not None:
            body[key] = getattr(arguments, key)
    if arguments.use_limit is not None:
        body["num_uses"] = arguments.use_limit
    if arguments.orphan:
        body["no_parent"] = True
    if arguments.no_default_policy:
        body["no_default_policy"] = True
    renewable = False if arguments.type == "batch" else arguments.renewable
    if renewable is not None:
        body["renewable"] = renewable
    for key in ("display_name", "type", "id", "entity_alias"):
        if getattr(arguments, key):
            body[key] = getattr(arguments, key)
    path = f"auth/token/create/{path_segment(arguments.role)}" if arguments.role else "auth/token/create"
    print_secret(client.call("POST", path, body), output_format(arguments), arguments.field)
    return 0


# -- token lookup / renew -------------------------------------------------------------------


def _add_lookup(actions: Actions) -> None:
    parser = leaf(actions, "lookup", "show a token: the calling one, TOKEN, or with -accessor the one "
                                     "holding ACCESSOR", _lookup, "looking up token")
    parser.add_argument("token", nargs="?", default="", metavar="TOKEN|ACCESSOR",
                        help="the token (or accessor with -accessor); '-' reads it from stdin")
    parser.add_boolean("accessor", default=False, help="the argument is an accessor")
    add_field_option(parser)


def _lookup(client: Client, arguments: argparse.Namespace) -> int:
    value = _token_argument(client, arguments)
    if arguments.accessor:
        answer = client.call("POST", "auth/token/lookup-accessor", {"accessor": value})
    elif value:
        answer = client.call("POST", "auth/token/lookup", {"token": value})
    else:
        answer = client.call("GET", "auth/token/lookup-self")
    print_secret(answer, output_format(arguments), arguments.field)
    return 0


def _add_renew(actions: Actions) -> None:
    parser = leaf(actions, "renew", "renew a token: the calling one, TOKEN, or with -accessor the one "
                                    "holding ACCESSOR", _renew, "renewing token")
    parser.add_argument("token", nargs="?", default="", metavar="TOKEN|ACCESSOR",
                        help="the token (or accessor with -accessor); '-' reads it from stdin")
    parser.add_argument(*names("increment", "i"), dest="increment", type=duration, default=None,
                        metavar="DURATION", help="TTL to ask for from now (default: the token's own)")
    parser.add_boolean("accessor", default=False, help="the argument is an accessor")
    add_field_option(parser)


def _renew(client: Client, arguments: argparse.Namespace) -> int:
    value = _token_argument(client, arguments)
    body: dict[str, Any] = {} if arguments.increment is None else {"increment": arguments.increment}
    if arguments.accessor:
        answer = client.call("POST", "auth/token/renew-accessor", {"accessor": value, **body})
    elif value:
        answer = client.call("POST", "auth/token/renew", {"token": value, **body})
    else:
        answer = client.call("POST", "auth/token/renew-self", body)
    print_secret(answer, output_format(arguments), arguments.field)
    return 0


def _token_argument(client: Client, arguments: argparse.Namespace) -> str:
    """The positional TOKEN (``-`` reads it from stdin, out of the shell's history)."""
    value: str = arguments.token
    if value == "-":
        value = sys.stdin.readline().strip()
        if not value:
            raise CliError("'-' was given but stdin held no token", USAGE)
    if getattr(arguments, "accessor", False) and not value:
        raise CliError("-accessor needs an ACCESSOR argument", USAGE)
    if not getattr(arguments, "accessor", False):
        client.keep_secret(value)
    return value


# -- token revoke ---------------------------------------------------------------------------


def _add_revoke(actions: Actions) -> None:
    parser = leaf(actions, "revoke", "revoke a token and its children (or with -mode=orphan, the token "
                                     "alone)", _revoke, "revoking token")
    parser.add_argument("token", nargs="?", default="", metavar="TOKEN|ACCESSOR|PREFIX",
                        help="the token (accessor with -accessor, path prefix with -mode=path); "
                             "'-' reads it from stdin")
    parser.add_boolean("self", default=False, help="revoke the calling token")
    parser.add_boolean("accessor", default=False, help="the argument is an accessor")
    parser.add_argument(*names("mode"), dest="mode", choices=("orphan", "path"), default="",
                        help="orphan: revoke the token only, its children become orphans; "
                             "path: every token created under the path prefix (sys/leases/revoke-prefix)")


def _revoke(client: Client, arguments: argparse.Namespace) -> int:
    if arguments.self:
        if arguments.token or arguments.accessor or arguments.mode:
            raise CliError("-self takes no argument, -accessor or -mode", USAGE)
        client.call("POST", "auth/token/revoke-self")
        return done(arguments, None, "Success! Revoked token (if it existed)")
    if arguments.accessor and arguments.mode:
        raise CliError("-accessor cannot be used with -mode", USAGE)
    if arguments.mode == "path":
        prefix = arguments.token.strip("/")
        if not prefix:
            raise CliError("-mode=path needs a PREFIX argument", USAGE)
        answer = client.call("PUT", f"sys/leases/revoke-prefix/{path_segment(prefix).replace('%2F', '/')}")
        return done(arguments, answer, f"Success! Revoked any leases with prefix: {prefix}")
    value = _token_argument(client, arguments)
    if not value:
        raise CliError("not enough arguments: give a TOKEN (or an ACCESSOR with -accessor), or -self", USAGE)
    if arguments.accessor:
        answer = client.call("POST", "auth/token/revoke-accessor", {"accessor": value})
    elif arguments.mode == "orphan":
        answer = client.call("POST", "auth/token/revoke-orphan", {"token": value})
    else:
        answer = client.call("POST", "auth/token/revoke", {"token": value})
    return done(arguments, answer, "Success! Revoked token (if it existed)")


# -- token capabilities ---------------------------------------------------------------------


def _add_capabilities(actions: Actions) -> None:
    parser = leaf(actions, "capabilities", "capabilities of the calling token, or of TOKEN, on PATH",
                  _capabilities, "listing capabilities")
    parser.add_argument("arguments", nargs="+", metavar="[TOKEN] PATH",
                        help="PATH alone: the calling token's; TOKEN PATH: that token's (sys/capabilities, "
                             "which spends none of its uses)")


def _capabilities(client: Client, arguments: argparse.Namespace) -> int:
    given: list[str] = arguments.arguments
    if len(given) > 2:
        raise CliError(f"too many arguments (expected 1 or 2, got {len(given)})", USAGE)
    token = given[0] if len(given) == 2 else None
    client.keep_secret(token)
    path = given[-1].strip().lstrip("/")
    if token is None:
        answer = client.call("POST", "sys/capabilities-self", {"paths": [path]}) or {}
    else:
        answer = client.call("POST", "sys/capabilities", {"token": token, "paths": [path]}) or {}
    if output_format(arguments) == "json":
        print_json(answer)
        return 0
    data = answer.get("data") or {}
    capabilities = data.get(path, data.get("capabilities")) or []
    print(", ".join(sorted(str(capability) for capability in capabilities)))
    return 0


# -- shared ---------------------------------------------------------------------------------


def _comma_list(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _pairs(values: list[str], flag: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        key, equals, text = value.partition("=")
        if not equals or not key.strip():
            raise CliError(f'{flag} expects KEY=VALUE, got "{value}"', USAGE)
        pairs[key.strip()] = text
    return pairs
