"""Document locks in the database: exclusion, stale takeover, leases, lock-aware checks."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from procs import page, write_config
from servers import LocalServer, Reply

from monitor.config import load_config
from monitor.db import SessionFactory, open_database
from monitor.locks import Locks, current_locks, document_lock, pid_alive
from monitor.models import Lock
from monitor.pipeline import DocumentReport, check_documents


@pytest.fixture
def sessions(database_url: str) -> Iterator[SessionFactory]:
    """A migrated database: SQLite, and PostgreSQL when installed (see conftest)."""
    sf = open_database(database_url)
    yield sf
    sf.kw["bind"].dispose()


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def put_lock(sf: SessionFactory, name: str, pid: int, host: str, expires_in: float) -> None:
    now = datetime.now(UTC)
    with sf.begin() as s:
        s.add(
            Lock(
                name=name,
                owner=f"{host}:{pid}:elsewhere",
                pid=pid,
                host=host,
                acquired_at=now,
                expires_at=now + timedelta(seconds=expires_in),
            )
        )


def test_a_held_lock_is_refused_to_another_holder_until_released(sessions: SessionFactory) -> None:
    """A second holder is told who holds the lock; after release it can take it."""
    with Locks(sessions) as first, Locks(sessions) as second:
        assert first.acquire("document:acme/terms") is None
        holder = second.acquire("document:acme/terms")
        assert holder is not None and holder.owner == first.owner
        assert holder.describe().startswith(f"locked by pid {holder.pid} on ")
        first.release("document:acme/terms")
        assert second.acquire("document:acme/terms") is None
    assert current_locks(sessions) == []


def test_reacquiring_a_lock_one_holds_renews_it(sessions: SessionFactory) -> None:
    """Acquiring twice is idempotent for the holder and pushes the lease ahead."""
    locks = Locks(sessions, lease=60)
    assert locks.acquire("x") is None
    before = current_locks(sessions)[0].expires_at
    time.sleep(0.01)
    assert locks.acquire("x") is None
    assert current_locks(sessions)[0].expires_at > before
    locks.close()
    assert current_locks(sessions) == []


def test_a_lock_of_a_dead_process_on_this_host_is_taken_over(sessions: SessionFactory) -> None:
    """A killed process's lock (same host, pid gone) does not block the next run."""
    pid = dead_pid()
    assert not pid_alive(pid)
    put_lock(sessions, "document:acme/terms", pid, socket.gethostname(), expires_in=3600)
    with Locks(sessions) as locks:
        assert locks.acquire("document:acme/terms") is None
        assert current_locks(sessions)[0].owner == locks.owner


def test_a_live_process_lock_is_respected_until_its_lease_expires(
    sessions: SessionFactory,
) -> None:
    """A live holder (or another host's) keeps its lock; an expired lease is taken over."""
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        put_lock(sessions, "a", sleeper.pid, socket.gethostname(), expires_in=3600)
        put_lock(sessions, "b", 12345, "another-host", expires_in=3600)
        put_lock(sessions, "c", 12345, "another-host", expires_in=-1)
        with Locks(sessions) as locks:
            held_a = locks.acquire("a")
            assert held_a is not None and held_a.pid == sleeper.pid
            assert locks.acquire("b") is not None
            assert locks.acquire("c") is None
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_lock_left_by_an_earlier_process_with_our_pid_is_stale(
    sessions: SessionFactory,
) -> None:
    """Same host and pid but a token no live Locks object owns: a previous incarnation."""
    import os

    put_lock(sessions, "a", os.getpid(), socket.gethostname(), expires_in=3600)
    with Locks(sessions) as locks:
        assert locks.acquire("a") is None


def test_the_heartbeat_renews_leases_while_held(sessions: SessionFactory) -> None:
    """Held locks keep moving their expiry forward; closing releases them."""
    with Locks(sessions, lease=0.4) as locks:
        locks.acquire("a")
        first = current_locks(sessions)[0].expires_at
        time.sleep(0.5)
        assert current_locks(sessions)[0].expires_at > first
        other = Locks(sessions)
        assert other.acquire("a") is not None  # renewed, so never expired
        other.close()
    assert current_locks(sessions) == []


def test_check_skips_a_document_locked_by_another_live_process(
    tmp_path: Path, http_server: LocalServer, sessions: SessionFactory
) -> None:
    """The locked document is reported "locked by pid N", not fetched; the others run."""
    http_server.route("/terms", Reply(body=page("Terms.")))
    http_server.route("/privacy", Reply(body=page("Privacy.")))
    config = load_config(
        write_config(
            tmp_path, {"terms": http_server.url("/terms"), "privacy": http_server.url("/privacy")}
        )
    )
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        put_lock(sessions, document_lock("acme/terms"), sleeper.pid, socket.gethostname(), 3600)
        report = asyncio.run(check_documents(config, sessions, config.documents()))
    finally:
        sleeper.kill()
        sleeper.wait()
    by_key = {r.key: r for r in report.results}
    assert by_key["acme/terms"].outcome == "locked"
    assert f"locked by pid {sleeper.pid}" in (by_key["acme/terms"].warning or "")
    assert by_key["acme/privacy"].outcome == "new_version"
    assert http_server.hits("/terms") == 0
    assert report.as_dict()["locked"][0]["document"] == "terms"
    assert [h.pid for h in current_locks(sessions)] == [sleeper.pid]  # ours all released


def test_a_stopped_check_records_what_it_fetched_and_abandons_the_rest(
    tmp_path: Path, http_server: LocalServer, sessions: SessionFactory
) -> None:
    """Stop during a check: the fetched document is committed, a stalled fetch is dropped."""
    http_server.route("/fast", Reply(body=page("Fast.")))
    http_server.route("/slow", Reply(body=page("Slow."), delay=20))
    config = load_config(
        write_config(tmp_path, {"fast": http_server.url("/fast"), "slow": http_server.url("/slow")})
    )
    stop = threading.Event()

    def on_result(result: DocumentReport) -> None:
        stop.set()

    started = time.monotonic()
    report = asyncio.run(
        check_documents(config, sessions, config.documents(), on_result, stop=stop)
    )
    assert time.monotonic() - started < 5
    assert [(r.key, r.outcome) for r in report.results] == [("acme/fast", "new_version")]
    assert current_locks(sessions) == []
    assert asyncio.run(check_documents(config, sessions, [], stop=stop)).results == []
