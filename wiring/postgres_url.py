"""A PostgreSQL store named by libpq's URL, with one host or several, as the library's settings.

``postgresql://user[:password]@host1[:port1][,host2[:port2]...]/database[?option=value...]``: with
several hosts, libpq tries them in order and keeps the first that matches
``target_session_attrs``, which defaults to ``read-write`` there. So after a standby is promoted
every new connection finds the new primary by itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

FACTORY_TOPIC = "tokenledger.projections.postgres_connections:LedgerPostgresFactory"
RECORDER_TOPIC = "tokenledger.projections.postgres_store:IndexedPostgresRecorder"
DEFAULT_PORT = 5432
OPTIONS = ("schema", "pool_size", "max_overflow", "target_session_attrs")
TARGET_SESSION_ATTRS = ("any", "read-write", "read-only", "primary", "standby", "prefer-standby")
TARGET_SESSION_ATTRS_KEY = "POSTGRES_TARGET_SESSION_ATTRS"  # the factory's own setting


class PostgresUrlError(ValueError):
    """The URL does not name a PostgreSQL database tokenledger can use."""


@dataclass(frozen=True)
class PostgresUrl:
    hosts: tuple[tuple[str, int], ...]
    dbname: str
    user: str = "postgres"
    password: str = field(default="", repr=False)
    options: dict[str, str] = field(default_factory=dict)

    @property
    def target_session_attrs(self) -> str:
        return self.options.get("target_session_attrs", "read-write" if len(self.hosts) > 1 else "any")

    @property
    def name(self) -> str:
        return ",".join(f"{host}:{port}" for host, port in self.hosts)

    def conninfo(self) -> dict[str, str]:
        """psycopg's keywords for a connection to this database."""
        return {"dbname": self.dbname, "host": ",".join(host for host, _ in self.hosts),
                "port": ",".join(str(port) for _, port in self.hosts), "user": self.user, "password": self.password}

    def library_env(self, timeout_seconds: float) -> dict[str, str]:
        """The eventsourcing library's settings for this database; ``timeout_seconds`` bounds
        both a connection attempt and a wait for a pooled connection."""
        return {
            "PERSISTENCE_MODULE": FACTORY_TOPIC,
            "APPLICATION_RECORDER_TOPIC": RECORDER_TOPIC,
            "POSTGRES_DBNAME": self.dbname,
            "POSTGRES_HOST": ",".join(host for host, _ in self.hosts),
            "POSTGRES_PORT": ",".join(str(port) for _, port in self.hosts),
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": self.password,
            "POSTGRES_SCHEMA": self.options.get("schema", ""),
            "POSTGRES_POOL_SIZE": self.options.get("pool_size", "5"),
            "POSTGRES_MAX_OVERFLOW": self.options.get("max_overflow", "10"),
            "POSTGRES_CONNECT_TIMEOUT": f"{timeout_seconds:g}",
            TARGET_SESSION_ATTRS_KEY: self.target_session_attrs,
        }


def parse_postgres_url(url: str) -> PostgresUrl:
    parts = urlsplit(url)
    userinfo, _, hostlist = parts.netloc.rpartition("@")
    dbname = unquote(parts.path.strip("/"))
    if not hostlist or not dbname:
        raise PostgresUrlError(f"a PostgreSQL store needs a host and a database: {without_password(url)}")
    options = dict(parse_qsl(parts.query))
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise PostgresUrlError(f"unknown PostgreSQL store options: {', '.join(unknown)}")
    if options.get("target_session_attrs", "any") not in TARGET_SESSION_ATTRS:
        raise PostgresUrlError(f"target_session_attrs must be one of {', '.join(TARGET_SESSION_ATTRS)}")
    user, _, password = userinfo.partition(":")
    hosts = tuple(_host_and_port(spec, url) for spec in hostlist.split(","))
    return PostgresUrl(hosts=hosts, dbname=dbname, user=unquote(user) or "postgres", password=unquote(password),
                       options=options)


def _host_and_port(spec: str, url: str) -> tuple[str, int]:
    """``host``, ``host:port``, ``[v6 address]`` or ``[v6 address]:port``."""
    if spec.startswith("["):
        host, _, rest = spec[1:].partition("]")
        port = rest.removeprefix(":")
    else:
        host, _, port = spec.partition(":")
    if not host or (port and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536)):
        raise PostgresUrlError(f"invalid host or port {spec!r} in {without_password(url)}")
    return unquote(host), int(port) if port else DEFAULT_PORT


def without_password(url: str) -> str:
    userinfo, at, rest = urlsplit(url).netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    user = userinfo.split(":", 1)[0]
    return url.replace(f"{userinfo}@", f"{user}:***@", 1)
