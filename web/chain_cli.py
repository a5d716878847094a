"""``ledger verify``: recompute the hash chain of the log."""

from __future__ import annotations

import argparse


def add_commands(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register this module's ``tokenledger ledger`` actions."""
