"""A private PostgreSQL cluster for the tests: ``initdb`` in a temporary folder, ``pg_ctl``
on a free 127.0.0.1 port, trust authentication, removed at the end.

    with PostgresCluster.start() as cluster:      # None when PostgreSQL is not installed
        url = cluster.new_database()              # postgresql+psycopg://tosmon@127.0.0.1:P/t1

As root (CI), the server runs as the ``postgres`` user, which PostgreSQL requires.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from smtp import free_port

from monitor.db import SessionFactory, open_database
from monitor.locks import pid_alive

USER = "tosmon"


def binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl`` (PATH, else Debian's versioned folders)."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def driver_installed() -> bool:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return False
    return True


@contextmanager
def opened(url: str) -> Iterator[SessionFactory]:
    """``open_database(url)``, its engine disposed of at the end (no connection left open)."""
    sessions = open_database(url)
    try:
        yield sessions
    finally:
        sessions.kw["bind"].dispose()


class PostgresCluster:
    """One running cluster; ``new_database()`` gives each test an empty database."""

    def __init__(self, bin_dir: Path, root: Path) -> None:
        self.bin_dir = bin_dir
        self.root = root
        self.port = free_port()
        self._names = itertools.count(1)
        self._as_postgres = os.geteuid() == 0

    @classmethod
    def start(cls) -> PostgresCluster | None:
        bin_dir = binaries()
        if bin_dir is None or not driver_installed():
            return None
        for stale in Path(tempfile.gettempdir()).glob("tosmon-pg-*"):
            cls(bin_dir, stale).stop_if_orphaned()
        cluster = cls(bin_dir, Path(tempfile.mkdtemp(prefix="tosmon-pg-")))
        (cluster.root / "owner.pid").write_text(str(os.getpid()))
        cluster._init_and_start()
        return cluster

    def stop_if_orphaned(self) -> None:
        """Stop and remove this cluster if the test session that started it is gone
        (killed before its teardown), so no server outlives its tests."""
        try:
            owner = int((self.root / "owner.pid").read_text())
        except (OSError, ValueError):
            return
        if pid_alive(owner):
            return
        try:
            self.stop()
        except RuntimeError:  # already down
            shutil.rmtree(self.root, ignore_errors=True)

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/postgres"

    def new_database(self) -> str:
        """The URL of a new, empty database."""
        import psycopg

        name = f"t{next(self._names)}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user={USER} dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresCluster:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _init_and_start(self) -> None:
        if self._as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
        data = str(self.root / "data")
        self._run("initdb", "-D", data, "-U", USER, "--auth=trust", "-E", "UTF8", "--no-locale")
        options = f"-h 127.0.0.1 -p {self.port} -k {self.root} -c fsync=off"
        options += " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        log = str(self.root / "server.log")
        self._run("pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "-t", "60", "start")

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin_dir / tool), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr}{tail}")
