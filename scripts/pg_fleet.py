"""Real PostgreSQL replication fleets on this machine, a primary and streaming standbys, for the
tests of high availability (failover, read replicas, synchronous commits) and the load script.

Each cluster lives in its own temporary directory (data, server log, Unix socket) and listens on a
free port of 127.0.0.1, so fleets never meet each other nor the machine's own PostgreSQL. The
server refuses to run as root: run as root, its tools run as the ``postgres`` user.

The tests build them through ``tests/support/pg_fleet.py``, which skips where the binaries are
missing, except under CI; the load script's fleet mode builds them directly.
"""

from __future__ import annotations

import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg
import psycopg.sql
from psycopg.abc import Params

from scripts.servers import free_port

POSTGRES_ROOT = Path("/usr/lib/postgresql")
OS_USER = "postgres"
SUPERUSER = "postgres"
HOST = "127.0.0.1"
WAIT_SECONDS = 30.0
# Short, because a Unix socket's path may not pass 107 bytes, and traversable by the postgres user.
TEMP_PARENT = Path("/tmp")
PR_SET_CHILD_SUBREAPER = 36

Statement = str | bytes | psycopg.sql.SQL | psycopg.sql.Composed

PRIMARY_SETTINGS = {
    "listen_addresses": HOST,
    "wal_level": "replica",
    "max_wal_senders": "10",
    "wal_keep_size": "128MB",  # a standby stopped for a while can still catch up
    "hot_standby": "on",
    "shared_buffers": "16MB",
    "max_connections": "100",
    "fsync": "on",
    "synchronous_commit": "on",
    # Segments in the data directory rather than /dev/shm: a killed cluster leaves none behind.
    "dynamic_shared_memory_type": "mmap",
}
HBA = f"""\
local all all trust
local replication all trust
host all all {HOST}/32 trust
host replication all {HOST}/32 trust
"""


def postgres_bin_dir() -> Path | None:
    """The server binaries of the highest PostgreSQL version installed, if any."""
    found = [path.parent for path in POSTGRES_ROOT.glob("*/bin/initdb")]
    return max(found, key=_version_of, default=None)


def _version_of(bin_dir: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in bin_dir.parent.name.split(".") if part.isdigit())


class FleetUnavailable(RuntimeError):
    """This machine cannot build a fleet: PostgreSQL's server tools, or the user they run as, are missing."""


def postgres_binaries() -> Path:
    """The bin dir of PostgreSQL's server tools."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise FleetUnavailable(f"PostgreSQL's server binaries are missing (no {POSTGRES_ROOT}/*/bin/initdb)")
    if _as_root() and not _postgres_user_exists():
        raise FleetUnavailable(f"the user {OS_USER!r}, which PostgreSQL runs as, is missing")
    return bin_dir


def _as_root() -> bool:
    return os.geteuid() == 0


def _postgres_user_exists() -> bool:
    try:
        pwd.getpwnam(OS_USER)
    except KeyError:
        return False
    return True


@dataclass
class Cluster:
    """One PostgreSQL server: a primary, or a standby streaming from one."""

    name: str
    bin_dir: Path
    home: Path  # owned by the postgres user: the data directory, the server's log and its socket
    port: int

    @property
    def datadir(self) -> Path:
        return self.home / "data"

    @property
    def log(self) -> Path:
        return self.home / "server.log"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@{HOST}:{self.port}/{dbname}"

    def start(self) -> None:
        options = f"-c port={self.port} -c unix_socket_directories={self.home}"
        try:
            self._pg_ctl("start", "-w", "-t", str(int(WAIT_SECONDS)), "-l", str(self.log), "-o", options)
        except RuntimeError as error:
            raise RuntimeError(f"{error}\n{self.name}'s log:\n{self.log_text()}") from None

    def stop(self) -> None:
        """A fast shutdown: sessions are ended, and the server writes a checkpoint before it exits."""
        pid = self.postmaster_pid()
        self._pg_ctl("stop", "-w", "-m", "fast")
        if pid is not None:
            _reap([pid])

    def kill(self) -> None:
        """SIGKILL the postmaster and all its children at once, as if the machine had crashed."""
        pid = self.running_postmaster()
        if pid is None:
            return
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGSTOP)  # frozen, it forks no new child while its children are listed
        processes = [pid, *_children_of(pid)]
        for process in processes:
            with suppress(ProcessLookupError):
                os.kill(process, signal.SIGKILL)
        _reap(processes)
        wait_until(lambda: not _accepts_connections(self.port), f"{self.name} to stop accepting connections")

    def promote(self) -> None:
        self._pg_ctl("promote", "-w", "-t", str(int(WAIT_SECONDS)))
        wait_until(lambda: not self.is_in_recovery(), f"{self.name} to leave recovery")

    def execute(self, sql: Statement, params: Params | None = None, dbname: str = "postgres") -> list[tuple[Any, ...]]:
        """Runs one statement in autocommit mode, and answers its rows (none for a statement without)."""
        with psycopg.connect(self.url(dbname), autocommit=True, connect_timeout=5) as connection:
            cursor = connection.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def is_in_recovery(self) -> bool:
        return bool(self._value("SELECT pg_is_in_recovery()"))

    def pause_replay(self) -> None:
        self.execute("SELECT pg_wal_replay_pause()")
        wait_until(lambda: self._value("SELECT pg_get_wal_replay_pause_state()") == "paused",
                   f"{self.name}'s replay to pause")

    def resume_replay(self) -> None:
        self.execute("SELECT pg_wal_replay_resume()")

    def replay_lsn(self) -> int:
        """How far a standby replayed the WAL (in bytes); a promoted standby keeps its last position."""
        lsn = self._value("SELECT pg_last_wal_replay_lsn() - '0/0'::pg_lsn")
        if lsn is None:
            raise RuntimeError(f"{self.name} never replayed WAL: it was never a standby")
        return int(lsn)

    def receive_lsn(self) -> int:
        """How far a standby received (and flushed) the WAL (in bytes), replayed or not."""
        lsn = self._value("SELECT pg_last_wal_receive_lsn() - '0/0'::pg_lsn")
        if lsn is None:
            raise RuntimeError(f"{self.name} never received WAL: it is no standby")
        return int(lsn)

    def current_lsn(self) -> int:
        """Where a primary writes the WAL (in bytes); a standby in recovery has none."""
        return int(self._value("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn"))

    def wait_replayed(self, lsn: int) -> None:
        wait_until(lambda: self.replay_lsn() >= lsn, f"{self.name} to replay up to {lsn}")

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.datadir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (FileNotFoundError, ValueError):
            return None

    def running_postmaster(self) -> int | None:
        """The postmaster's pid while it runs; a killed one's pid, left in postmaster.pid, may since
        name another process, which would not be in the data directory."""
        pid = self.postmaster_pid()
        if pid is None or not _alive(pid):
            return None
        with suppress(OSError):
            if Path(os.readlink(f"/proc/{pid}/cwd")) == self.datadir.resolve():
                return pid
        return None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def destroy(self) -> None:
        """Kills the server if it runs, and deletes every file of the cluster."""
        self.kill()
        self._remove_interlock_segment()
        shutil.rmtree(self.home, ignore_errors=True)

    def _value(self, sql: Statement) -> Any:
        return self.execute(sql)[0][0]

    def _pg_ctl(self, *arguments: str) -> None:
        _run_as_postgres([str(self.bin_dir / "pg_ctl"), "-D", str(self.datadir), *arguments], self.home)

    def _remove_interlock_segment(self) -> None:
        """A killed postmaster leaves a small System V segment behind, which only its next start would
        remove. Its key and id are on postmaster.pid's 7th line; removed only if no process uses it."""
        try:
            lines = (self.datadir / "postmaster.pid").read_text().splitlines()
            key, shmid = (int(field) for field in lines[6].split())
        except (FileNotFoundError, IndexError, ValueError):
            return
        if (key, shmid, 0) in _shared_memory_segments():
            subprocess.run(["ipcrm", "-m", str(shmid)], capture_output=True, check=False)


@dataclass
class Fleet:
    """A primary and its standbys, ``standby1``, ``standby2``, ... in that order. The roles are as built:
    after a test promotes a standby, ``primary`` still names the first primary."""

    primary: Cluster
    standbys: list[Cluster]

    @property
    def clusters(self) -> list[Cluster]:
        return [self.primary, *self.standbys]

    def database(self, name: str) -> str:
        """Creates the database on the primary, and answers its name once every standby has it."""
        self.primary.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
        query = "SELECT 1 FROM pg_database WHERE datname = %s"
        wait_until(lambda: all(standby.execute(query, (name,)) for standby in self.standbys),
                   f"database {name} on the standbys")
        return name

    def wait_caught_up(self) -> None:
        """Waits until every standby replayed all the primary wrote so far."""
        lsn = self.primary.current_lsn()
        for standby in self.standbys:
            standby.wait_replayed(lsn)


@contextmanager
def fleet(standbys: int = 1, synchronous: bool = False) -> Iterator[Fleet]:
    """A primary and ``standbys`` streaming standbys, all running; destroyed on exit, whatever happened.

    ``synchronous``: a commit on the primary returns once ``standby1`` has flushed it (not yet replayed:
    that is ``synchronous_commit = remote_apply``); the others are potential synchronous standbys."""
    if synchronous and standbys < 1:
        raise ValueError("a synchronous fleet needs a standby")
    bin_dir = postgres_binaries()
    _become_subreaper()
    names = [f"standby{number}" for number in range(1, standbys + 1)]
    with ExitStack() as cleanup:  # destroys every cluster made, standbys first, even if one fails to
        primary = _new_cluster("primary", bin_dir, cleanup)
        _init_primary(primary, names if synchronous else [])
        _start_on_free_port(primary)
        made = [_new_cluster(name, bin_dir, cleanup) for name in names]
        for standby in made:
            _clone(primary, standby)
            _start_on_free_port(standby)
        _wait_until_streaming(primary, names, synchronous)
        yield Fleet(primary, made)


def multi_host_url(clusters: Sequence[Cluster], dbname: str = "postgres", **query: str) -> str:
    """libpq's URL naming several hosts, e.g. ``target_session_attrs="read-write"`` for the primary."""
    hosts = ",".join(f"{HOST}:{cluster.port}" for cluster in clusters)
    return f"postgresql://{SUPERUSER}@{hosts}/{dbname}" + (f"?{urlencode(query)}" if query else "")


def _new_cluster(name: str, bin_dir: Path, cleanup: ExitStack) -> Cluster:
    home = Path(tempfile.mkdtemp(prefix=f"tokenledger-pg-{name}-", dir=TEMP_PARENT))
    if _as_root():
        user = pwd.getpwnam(OS_USER)
        os.chown(home, user.pw_uid, user.pw_gid)
    cluster = Cluster(name, bin_dir, home, port=0)
    cleanup.callback(cluster.destroy)
    return cluster


def _init_primary(primary: Cluster, synchronous_names: list[str]) -> None:
    initdb = [str(primary.bin_dir / "initdb"), "-D", str(primary.datadir), "--auth=trust",
              f"--username={SUPERUSER}", "--encoding=UTF8", "--locale=C", "--no-sync"]
    _run_as_postgres(initdb, primary.home)
    settings = dict(PRIMARY_SETTINGS)
    if synchronous_names:
        settings["synchronous_standby_names"] = f"FIRST 1 ({', '.join(synchronous_names)})"
    _append_settings(primary.datadir / "postgresql.conf", settings)
    (primary.datadir / "pg_hba.conf").write_text(HBA)


def _clone(primary: Cluster, standby: Cluster) -> None:
    """A standby from a base backup of the primary: -R makes it a standby of the primary."""
    backup = [str(standby.bin_dir / "pg_basebackup"), "-D", str(standby.datadir), "-h", HOST,
              "-p", str(primary.port), "-U", SUPERUSER, "-X", "stream", "-R", "--checkpoint=fast", "--no-sync"]
    _run_as_postgres(backup, standby.home)
    conninfo = f"host={HOST} port={primary.port} user={SUPERUSER} application_name={standby.name}"
    # Once promoted, a standby must not wait for synchronous standbys of its own, which it has none of.
    _append_settings(standby.datadir / "postgresql.auto.conf",
                     {"primary_conninfo": conninfo, "synchronous_standby_names": ""})


def _append_settings(config: Path, settings: dict[str, str]) -> None:
    with config.open("a") as file:  # appended to a file the postgres user owns, which keeps owning it
        for name, value in settings.items():
            escaped = value.replace("'", "''")
            file.write(f"{name} = '{escaped}'\n")


def _start_on_free_port(cluster: Cluster) -> None:
    """Starts the cluster on a free port, another one if something took it since it was found free."""
    for attempt in range(3):
        cluster.port = free_port()
        try:
            cluster.start()
            return
        except RuntimeError as error:
            if "Address already in use" not in str(error) or attempt == 2:
                raise


def _wait_until_streaming(primary: Cluster, names: list[str], synchronous: bool) -> None:
    """Until each standby streams, and is the synchronous one or a potential one as configured:
    a walsender streams a moment before it knows its synchronous priority."""
    roles = ["sync", *["potential"] * (len(names) - 1)] if synchronous else ["async"] * len(names)
    expected = {name: ("streaming", role) for name, role in zip(names, roles, strict=True)}

    def settled() -> bool:
        rows = primary.execute("SELECT application_name, state, sync_state FROM pg_stat_replication")
        return {name: (state, sync_state) for name, state, sync_state in rows} == expected

    wait_until(settled, f"{', '.join(names)} to stream from the primary")


def _run_as_postgres(command: list[str], cwd: Path) -> None:
    if _as_root():
        command = ["runuser", "-u", OS_USER, "--", *command]
    # PG* variables (PGPORT, PGHOST, PGDATA, ...) would redirect the tools away from the cluster.
    environment = {name: value for name, value in os.environ.items() if not name.startswith("PG")}
    done = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}:\n{done.stdout}{done.stderr}")


def _become_subreaper() -> None:
    """This machine's init does not reap orphans: a postmaster (orphaned once pg_ctl exits) and the
    children of a killed postmaster would stay zombies for good, and a zombie's pid in postmaster.pid
    keeps the cluster from starting again. As a subreaper this process adopts and reaps them."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _children_of(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):
            # The name, in parentheses, may hold spaces: the parent's pid is the 2nd field after it.
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(stat.parent.name))
    return children


def _alive(pid: int) -> bool:
    """Running: neither gone nor a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def _gone(pid: int) -> bool:
    return not _alive(pid)


def _reap(pids: list[int]) -> None:
    """Waits for each process to end, and reaps those this process adopted."""
    for pid in pids:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:  # not adopted (another subreaper, or init, is its parent)
            wait_until(partial(_gone, pid), f"process {pid} to end")


def _shared_memory_segments() -> set[tuple[int, int, int]]:
    """Key, id and number of attached processes of each System V shared memory segment."""
    listing = subprocess.run(["ipcs", "-m"], capture_output=True, text=True, check=False).stdout
    rows = [line.split() for line in listing.splitlines() if line.startswith("0x")]
    return {(int(row[0], 16), int(row[1]), int(row[5])) for row in rows if len(row) >= 6}


def _accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False


def wait_until(condition: Callable[[], bool], what: str, seconds: float = WAIT_SECONDS) -> None:
    """Polls the condition until it holds (a server refusing connections counts as not yet)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with suppress(psycopg.OperationalError):
            if condition():
                return
        time.sleep(0.02)
    raise TimeoutError(f"waited {seconds} s for {what}")
