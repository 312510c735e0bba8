"""Named locks in the database (the ``locks`` table): one process per document at a time.

A daemon (``tosmon run``) and a cron-launched ``tosmon check`` share one SQLite file.
Before fetching a document, a process takes the lock ``document:PROVIDER/ID``; another
process that finds it held by a *live* holder skips the document ("locked by pid N").

A lock row names its holder (host, pid, and a random token per ``Locks`` object) and
carries a lease (``expires_at``), renewed by a heartbeat thread while the holder works.
A lock is *stale*, and taken over, when:

* its lease expired (the holder stopped renewing: killed, frozen, or on another host), or
* it was taken on this host by a pid that is no longer alive (or is a zombie), or
* it was taken by this very pid under a token no live ``Locks`` object owns (a previous
  incarnation, e.g. PID 1 in a restarted container).

A lock is created with ``INSERT … ON CONFLICT DO NOTHING`` and taken over with an
``UPDATE`` conditioned on the old owner, so two processes can never both believe they took
the same lock, on PostgreSQL (read committed) as on SQLite (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from .db import SessionFactory, insert_new, insert_new_many
from .models import Lock

log = logging.getLogger(__name__)

DEFAULT_LEASE = 120.0  # seconds; renewed every lease/4 while held
_CHUNK = 500  # locks inserted and read per statement (SQLite bound parameters)
_live_owners: set[str] = set()  # owner strings of the Locks objects alive in this process
_live_guard = threading.Lock()


@dataclass(frozen=True)
class Holder:
    """Who holds a lock another process asked for."""

    name: str
    owner: str
    pid: int
    host: str
    acquired_at: datetime
    expires_at: datetime

    def describe(self) -> str:
        since = self.acquired_at.strftime("%Y-%m-%d %H:%M:%S")
        return f"locked by pid {self.pid} on {self.host} since {since}Z"


def document_lock(key: str) -> str:
    """The lock name of document ``provider/id``."""
    return f"document:{key}"


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` names a running (non-zombie) process on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        state = stat.read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


class Locks:
    """The locks this process holds, with a heartbeat renewing them; a context manager.

    ``acquire(name)`` returns ``None`` when the lock is now ours, or the live ``Holder``.
    """

    def __init__(
        self, sessions: SessionFactory, lease: float = DEFAULT_LEASE, host: str | None = None
    ) -> None:
        self.sessions = sessions
        self.lease = lease
        self.host = host or socket.gethostname()
        self.pid = os.getpid()
        self.owner = f"{self.host}:{self.pid}:{secrets.token_hex(6)}"
        self.held: set[str] = set()
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        with _live_guard:
            _live_owners.add(self.owner)

    # -- context manager: heartbeat on enter, release everything on exit --------------

    def __enter__(self) -> Locks:
        self._stop.clear()
        self._heartbeat = threading.Thread(
            target=self._beat, name="tosmon-lock-heartbeat", daemon=True
        )
        self._heartbeat.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the heartbeat and release every lock still held."""
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
            self._heartbeat = None
        self.release_all()
        with _live_guard:
            _live_owners.discard(self.owner)

    # -- operations ---------------------------------------------------------------------

    def acquire(self, name: str) -> Holder | None:
        """Take ``name`` (or take over a stale holder's); ``None`` on success, else the holder.

        ``INSERT … ON CONFLICT DO NOTHING`` creates the row unless it exists; a stale row is
        taken over by an ``UPDATE`` conditioned on its old owner. Both are atomic on
        PostgreSQL as on SQLite, so of two processes racing for a lock exactly one wins.
        """
        return self.acquire_many([name])[name]

    def acquire_many(self, names: Sequence[str]) -> dict[str, Holder | None]:
        """``acquire`` each of ``names`` in one transaction: name → ``None`` (ours now) or
        the live holder. Taken in sorted order, so two processes taking overlapping sets
        wait for each other instead of deadlocking (PostgreSQL)."""
        now = datetime.now(UTC)
        expires = now + timedelta(seconds=self.lease)
        mine = {"owner": self.owner, "pid": self.pid, "host": self.host}
        mine |= {"acquired_at": now, "expires_at": expires}
        wanted = sorted(set(names))
        with self._guard, self.sessions.begin() as s:
            found = self._insert_all(s, wanted, mine)
            out: dict[str, Holder | None] = {}
            for name in wanted:
                if found.get(name) == (self.owner, expires):  # the row we just inserted
                    self.held.add(name)
                    out[name] = None
                else:  # held by another process, or by us: one at a time, as ``_acquire``
                    out[name] = self._acquire(s, name, now, mine)
            return out

    def _insert_all(
        self, s: Session, names: Sequence[str], mine: dict[str, Any]
    ) -> dict[str, tuple[str, datetime]]:
        """Insert every lock of ``names`` not there yet (one executemany per chunk, in
        sorted order); then the owner and lease of each row, by name."""
        found: dict[str, tuple[str, datetime]] = {}
        for start in range(0, len(names), _CHUNK):
            chunk = names[start : start + _CHUNK]
            insert_new_many(s, Lock, [{"name": name} | mine for name in chunk], ["name"])
            rows = s.execute(
                select(Lock.name, Lock.owner, Lock.expires_at).where(Lock.name.in_(chunk))
            )
            found.update((name, (owner, expires)) for name, owner, expires in rows)
        return found

    def _acquire(self, s: Session, name: str, now: datetime, mine: dict[str, Any]) -> Holder | None:
        """Take ``name`` in ``s`` (see ``acquire``)."""
        expires = mine["expires_at"]
        row = None
        while row is None:  # released between our insert and select (PostgreSQL): again
            insert_new(s, Lock, {"name": name} | mine, ["name"])
            row = s.execute(select(Lock).where(Lock.name == name)).scalar_one_or_none()
        if row.owner != self.owner:
            if not self._is_stale(row, now):
                return _holder(row)
            reason, old = self._stale_reason(row, now), _holder(row)
            taken = s.execute(
                update(Lock).where(Lock.name == name, Lock.owner == row.owner).values(**mine)
            )
            if getattr(taken, "rowcount", 0) != 1:  # another process took it over first
                s.expire_all()
                again = s.execute(select(Lock).where(Lock.name == name)).scalar_one_or_none()
                return _holder(again) if again is not None else old
            log.warning(
                "lock %s: taking over a stale lock of pid %d on %s (%s)",
                name,
                old.pid,
                old.host,
                reason,
            )
        elif row.expires_at != expires:
            s.execute(update(Lock).where(Lock.name == name).values(expires_at=expires))
        self.held.add(name)
        return None

    def release(self, name: str) -> None:
        """Give ``name`` back (only if we still own it)."""
        self.release_many([name])

    def release_many(self, names: Sequence[str]) -> None:
        """Give each of ``names`` back (those we still own), in one transaction."""
        if not names:
            return
        with self._guard:
            self.held.difference_update(names)
            with self.sessions.begin() as s:
                s.execute(delete(Lock).where(Lock.name.in_(names), Lock.owner == self.owner))

    def release_all(self) -> None:
        with self._guard:
            if not self.held:
                return
            self.held.clear()
            with self.sessions.begin() as s:
                s.execute(delete(Lock).where(Lock.owner == self.owner))

    def renew(self) -> None:
        """Push the lease of every lock we hold ``lease`` seconds ahead."""
        with self._guard:
            if not self.held:
                return
            expires = datetime.now(UTC) + timedelta(seconds=self.lease)
            with self.sessions.begin() as s:
                s.execute(update(Lock).where(Lock.owner == self.owner).values(expires_at=expires))

    @contextmanager
    def holding(self, name: str) -> Iterator[Holder | None]:
        """``with locks.holding(name) as holder:`` — ``holder is None`` means we hold it."""
        holder = self.acquire(name)
        try:
            yield holder
        finally:
            if holder is None:
                self.release(name)

    # -- internals ----------------------------------------------------------------------

    def _is_stale(self, row: Lock, now: datetime) -> bool:
        return self._stale_reason(row, now) is not None

    def _stale_reason(self, row: Lock, now: datetime) -> str | None:
        if row.expires_at <= now:
            return "lease expired"
        if row.host != self.host:
            return None
        if row.pid == self.pid:
            with _live_guard:
                return None if row.owner in _live_owners else "a previous process with our pid"
        return None if pid_alive(row.pid) else "process no longer running"

    def _beat(self) -> None:
        interval = max(self.lease / 4, 0.05)
        while not self._stop.wait(interval):
            try:
                self.renew()
            except Exception:  # a busy database must not kill the heartbeat
                log.warning("lock heartbeat: could not renew leases", exc_info=True)


def _holder(row: Lock) -> Holder:
    return Holder(row.name, row.owner, row.pid, row.host, row.acquired_at, row.expires_at)


def current_locks(sessions: SessionFactory) -> list[Holder]:
    """Every lock row, for ``tosmon status``."""
    with sessions() as s:
        return [_holder(r) for r in s.scalars(select(Lock).order_by(Lock.name))]
