"""The PostgreSQL fleets of ``tests/support/pg_fleet.py`` replicate, fail over and pause as the
high-availability tests rely on (they skip where PostgreSQL's server binaries are missing, except
under CI)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from scripts.pg_fleet import Cluster, Fleet, multi_host_url, wait_until
from tests.support.pg_fleet import fleet

ROWS = list(range(20))


@pytest.fixture(scope="module")
def pair() -> Iterator[Fleet]:
    """A primary and one asynchronous standby, built once for the tests that leave both running
    and replicating (each in a database or table of its own); a test that kills or promotes one
    builds its own fleet."""
    with fleet(standbys=1) as built:
        yield built


def write_rows(cluster: Cluster, rows: list[int], dbname: str = "postgres") -> None:
    cluster.execute("CREATE TABLE IF NOT EXISTS rows (n int PRIMARY KEY)", dbname=dbname)
    for row in rows:  # one commit each
        cluster.execute("INSERT INTO rows VALUES (%s)", (row,), dbname=dbname)


def rows_on(cluster: Cluster, dbname: str = "postgres") -> list[int]:
    return [n for (n,) in cluster.execute("SELECT n FROM rows ORDER BY n", dbname=dbname)]


def server_port(url: str) -> int:
    with psycopg.connect(url, connect_timeout=5) as connection:
        row = connection.execute("SELECT inet_server_port()").fetchone()
    assert row is not None
    return int(row[0])


def test_a_row_written_on_the_primary_is_read_on_the_standby(pair: Fleet) -> None:
    standby = pair.standbys[0]
    dbname = pair.database("ledger")
    write_rows(pair.primary, [7], dbname)
    pair.wait_caught_up()
    assert rows_on(standby, dbname) == [7]
    assert standby.is_in_recovery() and not pair.primary.is_in_recovery()


def test_a_synchronous_commit_returns_once_on_the_standby() -> None:
    """It waits while the standby is down; and a primary killed right after its last commit
    returned has lost nothing: the promoted standby holds every row."""
    with fleet(standbys=1, synchronous=True) as built:
        primary, standby = built.primary, built.standbys[0]
        write_rows(primary, [])
        standby.stop()
        commit = threading.Thread(target=write_rows, args=(primary, [-1]))
        commit.start()
        waiting = "SELECT 1 FROM pg_stat_activity WHERE wait_event = 'SyncRep'"
        wait_until(lambda: bool(primary.execute(waiting)), "the commit to wait for its standby")
        assert commit.is_alive()
        standby.start()
        commit.join(timeout=30)
        assert not commit.is_alive()
        write_rows(primary, ROWS)
        primary.kill()
        standby.promote()
        assert rows_on(standby) == [-1, *ROWS]


def test_a_promoted_standby_takes_writes_and_holds_every_row_committed_before_the_kill() -> None:
    with fleet(standbys=1) as built:
        primary, standby = built.primary, built.standbys[0]
        write_rows(primary, ROWS)
        built.wait_caught_up()  # asynchronous: a commit is on the standby once replayed, not once it returns
        primary.kill()
        standby.promote()
        assert not standby.is_in_recovery()
        write_rows(standby, [100])
        assert rows_on(standby) == [*ROWS, 100]
        homes = [cluster.home for cluster in built.clusters]
        pids = [pid for cluster in built.clusters if (pid := cluster.postmaster_pid()) is not None]
    assert not any(home.exists() for home in homes)  # leaving the fleet removed both, the killed one too
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)  # not even as zombies


def test_a_paused_standby_stays_behind_until_resumed(pair: Fleet) -> None:
    primary, standby = pair.primary, pair.standbys[0]
    dbname = pair.database("paused")
    write_rows(primary, [], dbname)
    pair.wait_caught_up()
    standby.pause_replay()
    try:
        paused_at = standby.replay_lsn()
        write_rows(primary, ROWS, dbname)
        written_to = primary.current_lsn()
        wait_until(lambda: standby.receive_lsn() >= written_to, "the standby to receive the rows")
        assert written_to > paused_at and standby.replay_lsn() == paused_at
        assert rows_on(standby, dbname) == []
    finally:
        standby.resume_replay()
    pair.wait_caught_up()
    assert rows_on(standby, dbname) == ROWS


def test_a_read_write_multi_host_url_reaches_the_primary_before_and_after_a_promotion() -> None:
    with fleet(standbys=1) as built:
        primary, standby = built.primary, built.standbys[0]
        url = multi_host_url([standby, primary], "postgres", target_session_attrs="read-write")
        assert url == f"postgresql://postgres@127.0.0.1:{standby.port},127.0.0.1:{primary.port}/postgres" \
            "?target_session_attrs=read-write"
        assert server_port(url) == primary.port
        primary.kill()
        standby.promote()
        assert server_port(url) == standby.port
