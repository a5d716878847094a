"""All configuration, read in this one place: from the environment, then overridden by flags."""

from __future__ import annotations

import binascii
import os
from base64 import b64decode
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tokenledger.domain.durations import DurationError, parse_duration
from tokenledger.domain.leases import TtlLimits
from tokenledger.wiring.postgres_url import PostgresUrl, PostgresUrlError, parse_postgres_url

DEFAULT_STORE = "tokenledger.db"
DEFAULT_DEV_STORE = "tokenledger-dev.db"
DEFAULT_LISTEN = "127.0.0.1:8200"
DEFAULT_MAX_REQUEST_SIZE = 32 * 1024 * 1024  # Vault's default ``max_request_size``
DEFAULT_STORE_TIMEOUT = 5.0
DEFAULT_REPLICA_WAIT = 0.05
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
CIPHER_KEY_VARIABLE = "TOKENLEDGER_CIPHER_KEY"
CIPHER_KEY_BYTES = 32
# AES-GCM from the ``cryptography`` package (not the library's default, pycryptodome's, slower).
AES_CIPHER_TOPIC = "eventsourcing.cryptography:AESCipher"
SQLITE_FACTORY_TOPIC = "tokenledger.projections.sqlite_connections:LedgerSQLiteFactory"
# The library looks a setting up as ``<APPLICATION NAME>_<NAME>`` before ``<NAME>``, in the process
# environment too, and ``TOKENLEDGER_CIPHER_KEY`` is such a name. So the store's settings give
# both spellings, and only ``Settings.cipher_key`` decides whether and how the ledger is encrypted.
_APPLICATION_PREFIX = "TOKENLEDGER_"
# The library keeps the last aggregates each process loaded and, before handing one out, applies
# the events any process saved since (fast-forward, one query), instead of replaying the stream: a
# renewal or a use of a token costs 12% fewer instructions (callgrind, 200 renewals of 20 tokens).
# Commands get a deep copy, so a save that fails leaves the cached state as it was.
AGGREGATE_CACHE = {"AGGREGATE_CACHE_MAXSIZE": "4096", "AGGREGATE_CACHE_FASTFORWARD": "y"}


class SettingsError(ValueError):
    """A setting has a value the ledger cannot use."""


@dataclass(frozen=True)
class HttpTimeouts:
    """Seconds, with the defaults of Vault's TCP listener (``http_read_header_timeout`` 10s,
    ``http_read_timeout`` 30s, ``http_idle_timeout`` 5m). ``read_header`` runs from the accept or
    from a request's first byte, ``read`` from there to the body's last byte, ``idle`` between
    requests on a kept-alive connection. 0 turns a timeout off; an idle timeout of 0 takes the
    read timeout, or else the read-header one, as Vault's does."""

    read_header: float = 10.0
    read: float = 30.0
    idle: float = 300.0

    @property
    def effective_idle(self) -> float:
        return self.idle or self.read or self.read_header


@dataclass(frozen=True)
class Settings:
    """``store`` is a SQLite file path or a ``postgresql://`` URL.

    ``cipher_key``, base64 of 32 random bytes, encrypts every event's state in the store
    (AES-256-GCM). Make one with
    ``python -c "from eventsourcing.cryptography import AESCipher; print(AESCipher.create_key(32))"``.
    It is never shown in ``repr`` or in an error message.
    """

    store: str = DEFAULT_STORE
    ttl_limits: TtlLimits = TtlLimits()
    expiry_sweep_seconds: float = 1.0
    index_wait_seconds: float = 2.0
    cipher_key: str | None = field(default=None, repr=False)
    # Bytes of a request body, as Vault's ``max_request_size``: 0 is the default, negative no limit.
    max_request_size: int = DEFAULT_MAX_REQUEST_SIZE
    http_timeouts: HttpTimeouts = HttpTimeouts()
    # PostgreSQL: the longest a request waits for a connection to the primary before a 503.
    store_timeout: float = DEFAULT_STORE_TIMEOUT
    # PostgreSQL hot standbys that may serve reads (``tokenledger.projections.replica_reads``), and
    # how long a read waits for one to replay far enough before it goes to the primary.
    read_replicas: tuple[str, ...] = ()
    replica_wait_seconds: float = DEFAULT_REPLICA_WAIT
    # A token without a use limit records at most one use (``TokenUsed``) per this many seconds; 0: every use.
    usage_interval: float = 60.0

    def __post_init__(self) -> None:
        if self.cipher_key is not None:
            check_cipher_key(self.cipher_key)
        for replica in self.read_replicas:
            parse_postgres(replica)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        default_ttl = _duration(env, "TOKENLEDGER_DEFAULT_TTL", "768h")
        max_ttl = _duration(env, "TOKENLEDGER_MAX_TTL", "768h")
        if default_ttl > max_ttl:
            raise SettingsError("TOKENLEDGER_DEFAULT_TTL may not exceed TOKENLEDGER_MAX_TTL")
        return cls(
            store=env.get("TOKENLEDGER_STORE", DEFAULT_STORE),
            ttl_limits=TtlLimits(default_ttl=default_ttl, max_ttl=max_ttl),
            expiry_sweep_seconds=_seconds(env, "TOKENLEDGER_EXPIRY_SWEEP_SECONDS", "1"),
            index_wait_seconds=_seconds(env, "TOKENLEDGER_INDEX_WAIT_SECONDS", "2"),
            cipher_key=env.get(CIPHER_KEY_VARIABLE, "").strip() or None,
            max_request_size=_whole_number(env, "TOKENLEDGER_MAX_REQUEST_SIZE", DEFAULT_MAX_REQUEST_SIZE),
            http_timeouts=HttpTimeouts(
                read_header=_timeout(env, "TOKENLEDGER_HTTP_READ_HEADER_TIMEOUT", "10s"),
                read=_timeout(env, "TOKENLEDGER_HTTP_READ_TIMEOUT", "30s"),
                idle=_timeout(env, "TOKENLEDGER_HTTP_IDLE_TIMEOUT", "5m"),
            ),
            store_timeout=_positive_seconds(env, "TOKENLEDGER_STORE_TIMEOUT", str(DEFAULT_STORE_TIMEOUT)),
            read_replicas=tuple(env.get("TOKENLEDGER_READ_REPLICAS", "").split()),
            replica_wait_seconds=_seconds(env, "TOKENLEDGER_REPLICA_WAIT_SECONDS", str(DEFAULT_REPLICA_WAIT)),
            usage_interval=_timeout(env, "TOKENLEDGER_USAGE_INTERVAL", "60s"),
        )

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **{key: value for key, value in changes.items() if value is not None})

    @property
    def is_postgres(self) -> bool:
        return self.store.startswith(POSTGRES_SCHEMES)

    def eventsourcing_env(self) -> dict[str, str]:
        """The ``eventsourcing`` library's settings for this store."""
        if self.is_postgres:
            return {**postgres_env(self.store, self.store_timeout), **AGGREGATE_CACHE, **self._cipher_env()}
        if self.read_replicas:
            raise SettingsError("read replicas need a PostgreSQL store")
        return {
            "PERSISTENCE_MODULE": SQLITE_FACTORY_TOPIC,
            "SQLITE_DBNAME": str(Path(self.store)),
            "APPLICATION_RECORDER_TOPIC": "tokenledger.projections.sqlite_store:IndexedSQLiteRecorder",
            "SQLITE_LOCK_TIMEOUT": "30",
            **AGGREGATE_CACHE,
            **self._cipher_env(),
        }

    def _cipher_env(self) -> dict[str, str]:
        """Encryption on with this key, or off: an empty value reads as "not set" to the library."""
        topic, key = (AES_CIPHER_TOPIC, self.cipher_key) if self.cipher_key else ("", "")
        env = {"CIPHER_TOPIC": topic, "CIPHER_KEY": key}
        return {**env, **{_APPLICATION_PREFIX + name: value for name, value in env.items()}}


def check_cipher_key(value: str) -> None:
    """A ``SettingsError`` unless ``value`` is base64 of exactly 32 bytes; never echoes it."""
    try:
        material = b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise SettingsError(
            f"{CIPHER_KEY_VARIABLE} is not valid base64: it must be base64 of {CIPHER_KEY_BYTES} random "
            "bytes (make one with: python -c \"from eventsourcing.cryptography import AESCipher; "
            f"print(AESCipher.create_key({CIPHER_KEY_BYTES}))\")"
        ) from None
    if len(material) != CIPHER_KEY_BYTES:
        raise SettingsError(
            f"{CIPHER_KEY_VARIABLE} must decode to {CIPHER_KEY_BYTES} bytes (AES-256), "
            f"not {len(material)}"
        )


def postgres_env(url: str, timeout_seconds: float = DEFAULT_STORE_TIMEOUT) -> dict[str, str]:
    """The library's settings for a PostgreSQL store (see ``tokenledger.wiring.postgres_url``)."""
    return parse_postgres(url).library_env(timeout_seconds)


def parse_postgres(url: str) -> PostgresUrl:
    try:
        return parse_postgres_url(url)
    except PostgresUrlError as error:
        raise SettingsError(str(error)) from None


def _seconds(env: Mapping[str, str], name: str, default: str) -> float:
    try:
        value = float(env.get(name, default))
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds") from None
    if value < 0:
        raise SettingsError(f"{name} may not be negative")
    return value


def _positive_seconds(env: Mapping[str, str], name: str, default: str) -> float:
    value = _seconds(env, name, default)
    if value == 0:
        raise SettingsError(f"{name} must be more than 0")
    return value


def _whole_number(env: Mapping[str, str], name: str, default: int) -> int:
    try:
        return int(env.get(name, default))
    except ValueError:
        raise SettingsError(f"{name} must be a whole number") from None


def _timeout(env: Mapping[str, str], name: str, default: str) -> float:
    """Vault's duration syntax (``10s``, ``5m``, or whole seconds); 0 means no timeout."""
    seconds = _parsed_duration(env, name, default)
    if seconds < 0:
        raise SettingsError(f"{name} may not be negative")
    return float(seconds)


def _duration(env: Mapping[str, str], name: str, default: str) -> int:
    seconds = _parsed_duration(env, name, default)
    if seconds <= 0:
        raise SettingsError(f"{name} must be a positive duration")
    return seconds


def _parsed_duration(env: Mapping[str, str], name: str, default: str) -> int:
    try:
        return parse_duration(env.get(name, default))
    except DurationError as error:
        raise SettingsError(f"{name}: {error}") from None
