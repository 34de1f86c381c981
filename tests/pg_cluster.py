"""A PostgreSQL cluster of a test's own, to stop, restart and kill: never the machine's server.

Made with Debian's `initdb` and run with `pg_ctl` as the `postgres` user, on a free port, its
data and socket in a temporary folder removed afterwards; a streaming replica of one (a hot
standby) is made with `pg_basebackup -R` into a folder of its own, on another port. Without
the server binaries (or without root, to act as `postgres`) the tests that need one skip with
a message saying how to enable them, and fail instead when CI=true.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

BIN = Path(os.environ.get("GRANTLEDGER_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.log = root / "server.log"
        self.port = free_port()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def init(self) -> None:
        self._as_postgres(BIN / "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                          "--no-sync")

    def start(self) -> None:
        self._ctl("start", "-w", "-l", str(self.log), "-o", self._options())

    def stop(self, mode: str = "fast") -> None:
        self._ctl("stop", "-w", "-m", mode)

    def running(self) -> bool:
        """Whether the server is running (`pg_ctl status`)."""
        return subprocess.run(["runuser", "-u", "postgres", "--", str(BIN / "pg_ctl"), "-D",
                               str(self.data), "status"], capture_output=True,
                              timeout=60).returncode == 0

    def restart(self, mode: str = "fast") -> None:
        self._ctl("restart", "-w", "-m", mode, "-l", str(self.log), "-o", self._options())

    def _options(self) -> str:
        # Replication needs wal_level=replica and WAL senders (PostgreSQL's defaults, said
        # here so that a test's replica does not depend on them); initdb's pg_hba.conf lets
        # `replication` connect from 127.0.0.1 with the trust it was given.
        return (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c max_connections=200 -c wal_level=replica -c max_wal_senders=5")

    def base_backup_of(self, primary: Cluster) -> None:
        """This cluster's data: a copy of `primary`'s, set up to follow it (a standby)."""
        self._as_postgres(BIN / "pg_basebackup", "-D", str(self.data), "-R", "-X", "stream",
                          "-c", "fast", "--no-sync", "-h", "127.0.0.1", "-p", str(primary.port),
                          "-U", "postgres")

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _ctl(self, *args: str) -> None:
        self._as_postgres(BIN / "pg_ctl", "-D", str(self.data), *args)

    @staticmethod
    def _as_postgres(*command: str | Path) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *map(str, command)], check=True,
                       capture_output=True, timeout=60)


def _unavailable(reason: str) -> None:
    message = (f"fault tests need PostgreSQL's server binaries in {BIN} and root to run them "
               f"as the postgres user ({reason}); install postgresql-15 or set "
               "GRANTLEDGER_TEST_PG_BIN")
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """A started cluster of its own, stopped and removed at the end."""
    with _cluster_folder() as cluster:
        cluster.init()
        cluster.start()
        yield cluster


@contextmanager
def replica_of(primary: Cluster) -> Iterator[Cluster]:
    """A started hot standby streaming from `primary`, stopped and removed at the end."""
    with _cluster_folder() as replica:
        replica.base_backup_of(primary)
        replica.start()
        yield replica


@contextmanager
def _cluster_folder() -> Iterator[Cluster]:
    if not (BIN / "initdb").exists():
        _unavailable("initdb not found")
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        _unavailable("not root")
    root = Path(tempfile.mkdtemp(prefix="grantledger-pg-"))
    shutil.chown(root, "postgres", "postgres")
    cluster = Cluster(root)
    try:
        yield cluster
    finally:
        subprocess.run(["runuser", "-u", "postgres", "--", str(BIN / "pg_ctl"), "-D",
                        str(cluster.data), "stop", "-m", "immediate", "-w"],
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)
