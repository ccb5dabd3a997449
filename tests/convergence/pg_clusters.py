"""A throw-away PostgreSQL primary with a streaming replica, on spare ports, for the replication test.

Both clusters live in one temporary directory owned by the `postgres` user: the server refuses to run as
root, and CI runs as root, so every server command goes through `runuser -u postgres` there. Durability
is off (fsync): the clusters are deleted at the end anyway.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

SERVER_PROGRAMS = ("initdb", "pg_ctl", "pg_basebackup")


def server_bindir() -> Path | None:
    """The directory holding initdb, pg_ctl and pg_basebackup: pg_config's, else the newest Debian one."""
    candidates = []
    try:
        # pg_config from PATH on purpose: it names the server the machine's PostgreSQL client belongs to.
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True)  # noqa: S607
        candidates.append(found.stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        pass
    # Debian puts the server programs in a versioned directory that is not on PATH.
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True)
    for candidate in candidates:
        if candidate and all((Path(candidate) / name).is_file() for name in SERVER_PROGRAMS):
            return Path(candidate)
    return None


def _version(path: str) -> int:
    number = Path(path).parent.name
    return int(number) if number.isdigit() else 0


def spare_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class StreamingPair:
    """`start()` a primary and its replica; `stop()` removes both, whatever state they are in."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_postgres = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="pg-streaming-"))
        if self.as_postgres:
            account = pwd.getpwnam("postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self.primary_dir, self.replica_dir = self.root / "primary", self.root / "replica"
        self.primary_port, self.replica_port = spare_port(), spare_port()
        while self.replica_port == self.primary_port:
            self.replica_port = spare_port()

    def url(self, port: int, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/{database}"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed ({result.returncode}): {result.stdout}{result.stderr}")

    def _connect(self, port: int) -> psycopg.Connection:
        return psycopg.connect(self.url(port, "postgres"), autocommit=True)

    def start(self) -> None:
        self._run(
            "initdb", "-D", str(self.primary_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--locale=C", "--no-sync",
        )  # fmt: skip
        with (self.primary_dir / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.primary_port}\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.root}'\n"
                "wal_level = replica\n"
                "max_wal_senders = 4\n"
                "hot_standby = on\n"
                "fsync = off\n"
                "synchronous_commit = off\n"
                "max_connections = 40\n"
            )
        # Only this machine, and replication allowed (the basebackup and the replica's WAL stream).
        (self.primary_dir / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n"
        )
        self._run("pg_ctl", "-D", str(self.primary_dir), "-l", str(self.root / "primary.log"), "-w", "start")
        self._run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres",
            "-D", str(self.replica_dir), "-R", "-X", "stream", "-c", "fast", "--no-sync",
        )  # fmt: skip
        # The copied configuration names the primary's port; the last setting wins.
        with (self.replica_dir / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {self.replica_port}\n")
        self._run("pg_ctl", "-D", str(self.replica_dir), "-l", str(self.root / "replica.log"), "-w", "start")
        self._wait_until_streaming()

    def _wait_until_streaming(self, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        with self._connect(self.primary_port) as primary:
            while time.monotonic() < deadline:
                states = [row[0] for row in primary.execute("SELECT state FROM pg_stat_replication")]
                if states == ["streaming"]:
                    return
                time.sleep(0.2)
        raise RuntimeError(f"the replica is not streaming after {timeout_s} s: {self.log('replica')}")

    def create_database(self, name: str) -> None:
        with self._connect(self.primary_port) as primary:
            primary.execute(f'CREATE DATABASE "{name}"')

    def log(self, which: str) -> str:
        path = self.root / f"{which}.log"
        return path.read_text()[-4000:] if path.exists() else ""

    def stop(self) -> None:
        for data_dir in (self.replica_dir, self.primary_dir):
            if (data_dir / "postmaster.pid").exists():
                # Already gone is fine: the directory goes below either way.
                with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                    self._run("pg_ctl", "-D", str(data_dir), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
