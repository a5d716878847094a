"""What a store holds, read behind the ledger's back."""

from __future__ import annotations

from pathlib import Path

from tests.support.postgres import stored_text


def store_bytes(store: str) -> bytes:
    if store.startswith("postgresql://"):
        return stored_text(store)
    return b"".join(
        Path(store + suffix).read_bytes() for suffix in ("", "-wal", "-shm") if Path(store + suffix).exists()
    )
