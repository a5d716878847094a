"""The ``tokenledger`` command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from eventsourcing.persistence import PersistenceError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from tokenledger.cli import audit, chain, export
from tokenledger.cli.vault import tokens as vault_commands
from tokenledger.projections.replay import rebuild, verify
from tokenledger.wiring.bootstrap import opened
from tokenledger.wiring.settings import DEFAULT_DEV_STORE, DEFAULT_LISTEN, Settings, SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    try:
        return int(arguments.run(arguments))
    except SettingsError as error:
        parser.error(str(error))
        return 2
    except PersistenceError as error:
        print(f"tokenledger: cannot use the store: {error}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tokenledger", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    server = commands.add_parser("server", help="serve Vault's token API over HTTP")
    server.add_argument("--dev", action="store_true",
                        help="development mode: a fresh store on every start, like `vault server -dev`")
    server.add_argument("--dev-root-token-id", default="", help="root token value in dev mode")
    server.add_argument("--dev-listen-address", default="", help="address to listen on in dev mode")
    server.add_argument("--listen-address", default="", help=f"address to listen on (default {DEFAULT_LISTEN})")
    server.add_argument("--store", default=None,
                        help="SQLite file of the ledger (default: $TOKENLEDGER_STORE, else ./tokenledger.db)")
    server.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    server.add_argument("--threads", type=int, default=8, help="threads per process (default 8)")
    server.set_defaults(run=_serve)

    projections = commands.add_parser("projections", help="the read models derived from the ledger")
    actions = projections.add_subparsers(required=True, metavar="ACTION")
    for name, run, summary in (
        ("verify", _verify, "rebuild into scratch tables and report any difference (exit 1 if any)"),
        ("rebuild", _rebuild, "drop every read model and replay the ledger into it (stop servers first)"),
    ):
        action = actions.add_parser(name, help=summary)
        action.add_argument("--store", default=None, help="the ledger (default: $TOKENLEDGER_STORE)")
        action.set_defaults(run=run)

    ledger = commands.add_parser("ledger", help="the event log itself: integrity, export, import")
    ledger_actions = ledger.add_subparsers(required=True, metavar="ACTION")
    chain.add_commands(ledger_actions)
    export.add_commands(ledger_actions)
    audit.add_commands(commands)
    vault_commands.add_commands(commands)
    return parser


def _serve(arguments: argparse.Namespace) -> int:
    # Flask, gunicorn and the web layer load here, when the server starts: no other command needs them.
    from tokenledger.wiring.server import LedgerServer, initialise_store, remove_store

    settings = Settings.from_env()
    if arguments.dev:
        settings = settings.with_overrides(store=arguments.store or DEFAULT_DEV_STORE)
        remove_store(settings.store)
        listen = arguments.dev_listen_address or arguments.listen_address or DEFAULT_LISTEN
    else:
        if arguments.dev_root_token_id or arguments.dev_listen_address:
            raise SettingsError("--dev-root-token-id and --dev-listen-address need --dev")
        settings = settings.with_overrides(store=arguments.store)
        listen = arguments.listen_address or DEFAULT_LISTEN
    root_token = initialise_store(settings, arguments.dev_root_token_id, dev=arguments.dev)
    _announce(settings, listen, root_token, dev=arguments.dev)
    LedgerServer(settings, listen, arguments.workers, arguments.threads).run()
    return 0


def _verify(arguments: argparse.Namespace) -> int:
    with opened(arguments.store) as runtime:
        differences = verify(runtime.ledger, runtime.read_models)
    for difference in differences:
        print(difference)
    print(f"{len(differences)} difference(s) between the read models and the ledger")
    return 1 if differences else 0


def _rebuild(arguments: argparse.Namespace) -> int:
    with opened(arguments.store) as runtime:
        total = runtime.ledger.recorder.max_notification_id() or 0
        with Progress(TextColumn("rebuilding read models"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("events"), TimeRemainingColumn(), transient=True) as progress:
            task = progress.add_task("rebuild", total=total)
            replayed = rebuild(runtime.ledger, runtime.read_models,
                               progress=lambda count: progress.advance(task, count))
    print(f"rebuilt the read models from {replayed} events")
    return 0


def _announce(settings: Settings, listen: str, root_token: str | None, *, dev: bool) -> None:
    lines = ["==> tokenledger server configuration:", "",
             f"       Listening on: http://{listen}",
             f"              Store: {Path(settings.store).resolve()}", ""]
    if dev:
        lines += ["WARNING! dev mode is enabled! The store is emptied at every start.", ""]
    if root_token is not None:
        lines += ["The root token is shown once; keep it safe:", "", f"Root Token: {root_token}", ""]
    else:
        lines += ["Store already initialised: its root token was printed when it was created.", ""]
    lines += ["==> tokenledger server started! Log data will stream in below:", ""]
    print("\n".join(lines), flush=True)

