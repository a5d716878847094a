"""A PostgreSQL store named by libpq's multi-host URL, read replicas and the store timeout, as settings."""

from __future__ import annotations

import pytest

from tokenledger.wiring.postgres_url import parse_postgres_url, without_password
from tokenledger.wiring.settings import Settings, SettingsError

MULTI = "postgresql://app:s3cret@db1:5432,db2:5433,[::1]/ledger?target_session_attrs=read-write&schema=t"


def test_several_hosts_keep_their_order_and_ports() -> None:
    url = parse_postgres_url(MULTI)
    assert url.hosts == (("db1", 5432), ("db2", 5433), ("::1", 5432))
    assert (url.dbname, url.user, url.password, url.options["schema"]) == ("ledger", "app", "s3cret", "t")
    env = url.library_env(timeout_seconds=2.5)
    assert env["POSTGRES_HOST"] == "db1,db2,::1"
    assert env["POSTGRES_PORT"] == "5432,5433,5432"
    assert env["POSTGRES_CONNECT_TIMEOUT"] == "2.5"
    assert env["POSTGRES_TARGET_SESSION_ATTRS"] == "read-write"


def test_several_hosts_look_for_the_primary_unless_told_otherwise() -> None:
    assert parse_postgres_url("postgresql://a,b/db").target_session_attrs == "read-write"
    assert parse_postgres_url("postgresql://a/db").target_session_attrs == "any"
    assert parse_postgres_url("postgresql://a,b/db?target_session_attrs=any").target_session_attrs == "any"


@pytest.mark.parametrize("url, complaint", [
    ("postgresql://db1:5432,/ledger", "invalid host or port"),
    ("postgresql://db1:54x2/ledger", "invalid host or port"),
    ("postgresql://db1:70000/ledger", "invalid host or port"),
    ("postgresql://db1/ledger?target_session_attrs=master", "target_session_attrs must be one of"),
    ("postgresql://db1/ledger?sslmode=disable", "unknown PostgreSQL store options: sslmode"),
    ("postgresql://u:pw@db1", "needs a host and a database"),
])
def test_a_url_tokenledger_cannot_use_is_refused_without_its_password(url: str, complaint: str) -> None:
    with pytest.raises(SettingsError, match=complaint) as refused:
        Settings(store=url).eventsourcing_env()
    assert "pw" not in str(refused.value).replace("postgresql", "")


def test_the_password_is_masked() -> None:
    assert without_password(MULTI).startswith("postgresql://app:***@db1:5432,db2")
    assert without_password("postgresql://db1/x") == "postgresql://db1/x"


def test_replicas_and_timeouts_come_from_the_environment() -> None:
    settings = Settings.from_env({
        "TOKENLEDGER_STORE": MULTI,
        "TOKENLEDGER_READ_REPLICAS": "postgresql://db2:5433/ledger  postgresql://db3/ledger",
        "TOKENLEDGER_STORE_TIMEOUT": "1.5",
        "TOKENLEDGER_REPLICA_WAIT_SECONDS": "0.2",
    })
    assert settings.read_replicas == ("postgresql://db2:5433/ledger", "postgresql://db3/ledger")
    assert (settings.store_timeout, settings.replica_wait_seconds) == (1.5, 0.2)
    assert settings.eventsourcing_env()["POSTGRES_CONNECT_TIMEOUT"] == "1.5"


def test_replicas_need_a_postgres_store() -> None:
    with pytest.raises(SettingsError, match="read replicas need a PostgreSQL store"):
        Settings(store="ledger.db", read_replicas=("postgresql://db2/ledger",)).eventsourcing_env()
    with pytest.raises(SettingsError, match="invalid host or port"):
        Settings(store="postgresql://db1/x", read_replicas=("postgresql://db2:x/ledger",))


@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_a_store_timeout_must_be_a_positive_number(value: str) -> None:
    with pytest.raises(SettingsError, match="TOKENLEDGER_STORE_TIMEOUT"):
        Settings.from_env({"TOKENLEDGER_STORE_TIMEOUT": value})
