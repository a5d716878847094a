"""Token values, accessors, and the keyed hash that stands in for a token everywhere it is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from uuid import UUID

SERVICE_TOKEN_PREFIX = "hvs."
ACCESSOR_LENGTH = 24
_TOKEN_BODY_LENGTH = 24
_BASE62 = string.ascii_letters + string.digits


_UNBIASED_LIMIT = 256 - 256 % len(_BASE62)  # bytes at or above it would favour some characters


def _random_base62(length: int) -> str:
    """Uniform base62 from the OS's CSPRNG: random bytes, dropping those that would bias."""
    chosen: list[str] = []
    while len(chosen) < length:
        chosen += [_BASE62[b % 62] for b in secrets.token_bytes(length + 8) if b < _UNBIASED_LIMIT]
    return "".join(chosen[:length])


def new_service_token() -> str:
    return SERVICE_TOKEN_PREFIX + _random_base62(_TOKEN_BODY_LENGTH)


def new_accessor() -> str:
    return _random_base62(ACCESSOR_LENGTH)


class TokenHasher:
    """Maps a raw token value to its aggregate ID with HMAC-SHA256 under the store's secret key.

    The raw value is never kept: the ID is all the ledger knows, and without the key
    the ID cannot be checked against guesses.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the token hashing key must be at least 32 bytes")
        self._key = key

    def token_id(self, raw_token: str) -> UUID:
        digest = hmac.new(self._key, raw_token.encode("utf-8"), hashlib.sha256).digest()
        return UUID(bytes=digest[:16])
