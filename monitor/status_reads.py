"""What ``tosmon status`` reads from the database: five queries for all documents at once.

The queries are plain SQL that SQLite and PostgreSQL both run, so they need neither the
ORM mapping nor, on SQLite, SQLAlchemy itself: ``lean_reading`` runs them on the file
through the standard ``sqlite3`` module when the schema is already current (a status
prints within a fraction of a second even for hundreds of documents). Anything else (a
PostgreSQL URL, a missing, outdated or unreadable file) goes through the usual sessions
(``session_reading``), which migrate and report database faults as every command does.

Times come back aware (UTC): SQLite stores them as naive ISO text, PostgreSQL as naive
timestamps (see ``models.UTCDateTime``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .schema_head import shipped_head

if TYPE_CHECKING:
    from .db import SessionFactory

Query = Callable[[str], list[tuple[Any, ...]]]

_LIVE = "a.document_id = d.id AND a.origin = 'live'"
_FAILURES = (  # live errors after the last success (only asked while the latest is an error)
    "FROM fetch_attempts f WHERE f.document_id = h.id AND f.origin = 'live' "
    "AND f.outcome = 'error' AND f.id > coalesce(h.good_id, 0)"
)
_FAILING = "h.error_id > coalesce(h.good_id, 0)"
HEALTH = f"""
SELECT h.provider, h.slug, h.url, h.id, l.started_at, g.started_at, e.started_at,
  e.error_kind, e.error,
  CASE WHEN {_FAILING} THEN (SELECT count(*) {_FAILURES}) ELSE 0 END,
  CASE WHEN {_FAILING} THEN (SELECT min(f.started_at) {_FAILURES}) END
FROM (SELECT d.id, d.provider, d.slug, d.url,
    (SELECT max(a.id) FROM fetch_attempts a WHERE {_LIVE}) AS last_id,
    (SELECT max(a.id) FROM fetch_attempts a WHERE {_LIVE} AND a.outcome <> 'error') AS good_id,
    (SELECT max(a.id) FROM fetch_attempts a WHERE {_LIVE} AND a.outcome = 'error') AS error_id
  FROM documents d) h
LEFT JOIN fetch_attempts l ON l.id = h.last_id
LEFT JOIN fetch_attempts g ON g.id = h.good_id
LEFT JOIN fetch_attempts e ON e.id = h.error_id
"""
LAST_CHANGE = """
SELECT x.id, c.captured_at, c.kind, c.severity, c.summary
FROM (SELECT d.id, (SELECT c2.id FROM changes c2 WHERE c2.document_id = d.id
    ORDER BY c2.captured_at DESC, c2.id DESC LIMIT 1) AS change_id
  FROM documents d) x
JOIN changes c ON c.id = x.change_id
"""
FLAPPING = """
SELECT document_id, started_at, last_at, "count", texts FROM episodes
WHERE kind = 'flapping' AND ended_at IS NULL ORDER BY id
"""
FAILED = """
SELECT id, kind, recipients, subject, last_error FROM outbox WHERE state = 'failed' ORDER BY id
"""
LOCKS = "SELECT name, pid, host, acquired_at, expires_at FROM locks ORDER BY name"


@dataclass(frozen=True)
class Health:
    """How live checks of one document have been going (``store.CheckHealth``'s fields)."""

    document_id: int
    last_attempt: datetime | None
    last_success: datetime | None
    last_error_at: datetime | None
    last_error_kind: str | None
    last_error: str | None
    consecutive_failures: int
    failing_since: datetime | None  # first failure after the last success


@dataclass(frozen=True)
class LastChange:
    captured_at: datetime
    kind: str
    severity: str | None
    summary: str | None  # the summary's own "summary" line, when it has one


@dataclass(frozen=True)
class Flapping:
    """A document's open flapping episode."""

    started_at: datetime
    last_at: datetime
    returns: int
    texts: int


@dataclass(frozen=True)
class FailedMessage:
    id: int
    kind: str
    recipients: list[str]
    subject: str
    error: str | None


@dataclass(frozen=True)
class LockRow:
    name: str
    pid: int
    host: str
    acquired_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class StatusReading:
    """Everything status shows from the database, keyed by (provider, document id)."""

    health: dict[tuple[str, str], Health]
    changes: dict[int, LastChange]  # by document row id
    flapping: dict[int, Flapping]  # by document row id
    failed: list[FailedMessage]
    locks: list[LockRow]


def read_status(query: Query) -> StatusReading:
    """The five queries, in one read transaction (the caller's)."""
    # the URL is read (not shown) so the document rows themselves are read, not only the
    # (provider, slug) index: a damaged documents table is then reported as by every command
    health = {(str(r[0]), str(r[1])): _health(r[3:]) for r in query(HEALTH)}
    changes = {int(r[0]): _last_change(r[1:]) for r in query(LAST_CHANGE)}
    flapping = {  # the newest open episode of each document (rows come oldest first)
        int(r[0]): Flapping(_when(r[1]), _when(r[2]), int(r[3]), int(r[4])) for r in query(FLAPPING)
    }
    failed = [FailedMessage(int(r[0]), r[1], json.loads(r[2]), r[3], r[4]) for r in query(FAILED)]
    locks = [LockRow(r[0], int(r[1]), r[2], _when(r[3]), _when(r[4])) for r in query(LOCKS)]
    return StatusReading(health, changes, flapping, failed, locks)


def _health(r: tuple[Any, ...]) -> Health:
    doc_id, last, good, error_at, kind, error, failures, since = r
    return Health(
        int(doc_id),
        _maybe(last),
        _maybe(good),
        _maybe(error_at),
        kind,
        error,
        int(failures or 0),
        _maybe(since) if failures else None,
    )


def _last_change(r: tuple[Any, ...]) -> LastChange:
    captured_at, kind, severity, blob = r
    try:
        summary = json.loads(_decompress(blob)).get("summary")
    except (ValueError, AttributeError):
        summary = None
    return LastChange(_when(captured_at), kind, severity, summary)


def _decompress(blob: bytes | memoryview) -> str:
    import zstandard  # a C extension: cheap, and only when a change exists

    return zstandard.ZstdDecompressor().decompress(bytes(blob)).decode("utf-8")


def _when(value: datetime | str) -> datetime:
    """A stored UTC time, aware: SQLite gives ISO text, PostgreSQL a naive timestamp."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _maybe(value: datetime | str | None) -> datetime | None:
    return None if value is None else _when(value)


# -- where the rows come from --------------------------------------------------------------


def lean_reading(url: str) -> StatusReading | None:
    """The reading, straight from a SQLite file through ``sqlite3``, when ``url`` is a
    plain ``sqlite:///FILE`` whose schema is the shipped head; else ``None`` (the caller
    then reads through ``session_reading``, which also migrates and reports faults)."""
    if not url.startswith("sqlite:///") or "?" in url or url.endswith(":memory:"):
        return None
    path = Path(url[len("sqlite:///") :])
    head = shipped_head()
    if head is None or not path.is_file():
        return None
    try:
        with closing(sqlite3.connect(path, timeout=60, isolation_level=None)) as con:
            con.execute("BEGIN")  # one snapshot; a WAL reader never waits for a writer
            try:
                revision = con.execute("SELECT version_num FROM alembic_version").fetchall()
                if revision != [(head,)]:
                    return None
                return read_status(lambda sql: con.execute(sql).fetchall())
            finally:
                con.execute("ROLLBACK")
    except sqlite3.Error:
        return None  # the usual path reports it (in its own words) or migrates


def session_reading(sessions: SessionFactory) -> StatusReading:
    """The reading through SQLAlchemy sessions (any supported database)."""
    from sqlalchemy import text

    with sessions() as s:
        conn = s.connection()
        return read_status(lambda sql: [tuple(r) for r in conn.execute(text(sql))])
