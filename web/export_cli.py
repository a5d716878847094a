"""``ledger export`` and ``ledger import``: the log as JSON lines."""

from __future__ import annotations

import argparse


def add_commands(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register this module's ``tokenledger ledger`` actions."""
