"""``tokenledger token|policy ...``: Vault's CLI for tokens and policies, over HTTP."""

from __future__ import annotations

import argparse


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``token`` and ``policy``."""
