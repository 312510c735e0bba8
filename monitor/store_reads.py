"""Reading tos-monitor's history for reports, status and email: clause histories,
changes in a period, pending alerts, archive attempts, check health, the outbox.

Small functions taking a ``Session``, re-exported by ``store`` (import them from there).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import LargeBinary, String, func, select, type_coerce
from sqlalchemy.orm import Session

from .models import (
    Change,
    ClauseChange,
    Digest,
    Document,
    FetchAttempt,
    OutboxMessage,
    unpacker,
)
from .timefmt import iso

# -- clause history and changes ----------------------------------------------------------


class ClauseHistoryRow(NamedTuple):
    """One change of a clause, with what a history shows of it."""

    provider: str
    document: str
    captured_at: str  # ISO 8601 UTC, as ``timefmt.iso`` writes it
    before: str | None
    after: str | None
    document_id: int
    to_version_id: int
    part: dict[str, Any]  # ``history_part`` of its change's summary for the clause


def history_part(summary: Mapping[str, Any], key: str) -> dict[str, Any]:
    """What a history of clause ``key`` shows of a change's summary (``summary.as_dict``):
    kind, severity, summary line, the clause's facts and sentence diff. Stored with each
    clause change (``ClauseChange.detail``) so a history reads no whole summary."""
    diff = summary.get("clause_diffs", {}).get(key, {})
    return {
        "kind": summary["kind"],
        "severity": summary.get("severity"),
        "summary": summary.get("summary"),
        "facts": [f for f in summary.get("facts", []) if f.get("clause") == key],
        "added": diff.get("added", []),
        "removed": diff.get("removed", []),
        "modified": diff.get("modified", []),
    }


def _raw(column: Any) -> Any:
    """A compressed column read as its stored bytes (unpacked by the caller, once)."""
    return type_coerce(column, LargeBinary)


def clause_history(
    s: Session, key: str, document_id: int | None = None, limit: int | None = None
) -> list[ClauseHistoryRow]:
    """Changes of clause ``key``, newest first, optionally for one document. Columns are
    read through Core as stored (no ORM objects, no per-value type processing: a history
    of 10,000 changes is ~10,000 rows of three small zstd values each)."""
    q = (
        select(
            Document.provider,
            Document.slug,
            type_coerce(ClauseChange.captured_at, String),
            _raw(ClauseChange.before),
            _raw(ClauseChange.after),
            Change.document_id,
            Change.to_version_id,
            _raw(ClauseChange.detail),
            ClauseChange.change_id,
        )
        .join(Change, ClauseChange.change_id == Change.id)
        .join(Document, ClauseChange.document_id == Document.id)
        .where(ClauseChange.key == key)
        .order_by(ClauseChange.captured_at.desc(), ClauseChange.id.desc())
    )
    if document_id is not None:
        q = q.where(ClauseChange.document_id == document_id)
    if limit is not None:
        q = q.limit(limit)
    s.flush()  # what ``s.execute`` would autoflush; Core below skips the ORM's row loading
    rows = s.connection().execute(q).all()
    missing = {row[8] for row in rows if row[7] is None}  # rows stored without their part
    summaries = _summaries(s, missing) if missing else {}
    unpack = unpacker()
    out = []
    for provider, slug, at, before, after, doc_id, to_id, detail, change_id in rows:
        if detail is None:
            part = history_part(summaries[change_id], key)
        else:
            part = _json(unpack(detail).decode("utf-8"))
        old = None if before is None else unpack(before).decode("utf-8")
        new = None if after is None else unpack(after).decode("utf-8")
        out.append(ClauseHistoryRow(provider, slug, _iso(at), old, new, doc_id, to_id, part))
    return out


_DECODE = json.JSONDecoder().raw_decode


def _json(text: str) -> Any:
    """``json.loads(text)`` of a value json.dumps wrote, without its whitespace scans (a
    third of the time of parsing a history's small parts); anything else as json.loads."""
    try:
        value, end = _DECODE(text)
    except ValueError:
        end = -1
    return value if end == len(text) else json.loads(text)


def _summaries(s: Session, change_ids: set[int]) -> dict[int, dict[str, Any]]:
    rows = s.execute(select(Change.id, Change.summary).where(Change.id.in_(change_ids)))
    return {change_id: json.loads(summary) for change_id, summary in rows}


def _iso(value: str | datetime) -> str:
    """``timefmt.iso`` of a stored UTC time: SQLite's text (``2026-12-01 19:13:05.123456``,
    as SQLAlchemy writes it) rewritten without parsing it, or a naive datetime."""
    if isinstance(value, str):
        if len(value) == 26 and value[10] == " " and value[19] == ".":
            return f"{value[:10]}T{value[11:19]}Z"
        value = datetime.fromisoformat(value)
    return iso(value)


def count_clause_changes(s: Session, key: str, document_id: int | None = None) -> int:
    q = select(func.count()).select_from(ClauseChange).where(ClauseChange.key == key)
    if document_id is not None:
        q = q.where(ClauseChange.document_id == document_id)
    return int(s.scalar(q) or 0)


def changes_since(
    s: Session, since: datetime | None, until: datetime
) -> list[tuple[Change, Document]]:
    """Changes whose new version was captured in (since, until], newest first."""
    q = (
        select(Change, Document)
        .join(Document, Change.document_id == Document.id)
        .where(Change.captured_at <= until)
        .order_by(Change.captured_at.desc(), Change.id.desc())
    )
    if since is not None:
        q = q.where(Change.captured_at > since)
    return [(change, doc) for change, doc in s.execute(q)]


def pending_alerts(s: Session) -> list[tuple[Change, Document]]:
    """Substantive live changes recorded but not yet turned into an alert message."""
    q = (
        select(Change, Document)
        .join(Document, Change.document_id == Document.id)
        .where(Change.alert == "pending")
        .order_by(Change.captured_at, Change.id)
    )
    return [(change, doc) for change, doc in s.execute(q)]


# -- archive backfill --------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveAttempt:
    """What a backfill needs to know of an earlier archive attempt to decide whether to retry."""

    url: str
    captured_at: datetime | None
    outcome: str
    error_kind: str | None
    status: int | None
    settings_sha256: str | None


def archive_attempts(s: Session, document_id: int) -> list[ArchiveAttempt]:
    """Every archive attempt of ``document_id`` (successes and failures), oldest first."""
    rows = s.execute(
        select(
            FetchAttempt.url,
            FetchAttempt.captured_at,
            FetchAttempt.outcome,
            FetchAttempt.error_kind,
            FetchAttempt.status,
            FetchAttempt.settings_sha256,
        )
        .where(FetchAttempt.document_id == document_id, FetchAttempt.origin == "archive")
        .order_by(FetchAttempt.id)
    )
    return [ArchiveAttempt(*row) for row in rows]


# -- scheduling and status -----------------------------------------------------------------


@dataclass(frozen=True)
class CheckHealth:
    """How live checks of one document have been going (for ``tosmon status``)."""

    last_attempt: datetime | None
    last_success: datetime | None
    consecutive_failures: int
    last_error_at: datetime | None = None
    last_error_kind: str | None = None
    last_error: str | None = None
    failing_since: datetime | None = None  # first failure after the last success


def check_health(s: Session, document_id: int) -> CheckHealth:
    """Last live attempt and success, failures since that success, and the latest error."""
    live = select(FetchAttempt).where(
        FetchAttempt.document_id == document_id, FetchAttempt.origin == "live"
    )
    newest = FetchAttempt.id.desc()
    last = s.scalars(live.order_by(newest).limit(1)).first()
    success = s.scalars(live.where(FetchAttempt.outcome != "error").order_by(newest).limit(1))
    good = success.first()
    failures, since = s.execute(
        select(func.count(), func.min(FetchAttempt.started_at)).where(
            FetchAttempt.document_id == document_id,
            FetchAttempt.origin == "live",
            FetchAttempt.outcome == "error",
            FetchAttempt.id > (good.id if good else 0),
        )
    ).one()
    error = s.scalars(live.where(FetchAttempt.outcome == "error").order_by(newest).limit(1)).first()
    return CheckHealth(
        last_attempt=last.started_at if last else None,
        last_success=good.started_at if good else None,
        consecutive_failures=int(failures or 0),
        last_error_at=error.started_at if error else None,
        last_error_kind=error.error_kind if error else None,
        last_error=error.error if error else None,
        failing_since=_aware(since) if failures else None,
    )


def _aware(moment: datetime) -> datetime:
    """An aggregate (``min``) bypasses ``UTCDateTime``: make its naive UTC value aware."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- email: outbox and digests -------------------------------------------------------------


def due_outbox(s: Session, now: datetime | None) -> list[OutboxMessage]:
    """Unsent outbox messages, oldest first; with ``now``, only those whose backoff is over.

    ``sending`` rows are included: one is left only by a sender that died between
    claiming it and recording the server's answer (see ``notify``).
    """
    q = (
        select(OutboxMessage)
        .where(OutboxMessage.state.in_(("pending", "sending")))
        .order_by(OutboxMessage.id)
    )
    if now is not None:
        q = q.where(
            (OutboxMessage.next_attempt_at.is_(None)) | (OutboxMessage.next_attempt_at <= now)
        )
    return list(s.scalars(q))


def unsent_outbox(s: Session) -> int:
    """How many outbox messages are not yet accepted by the SMTP server."""
    n = s.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.state.in_(("pending", "sending")))
    )
    return int(n or 0)


def last_digest_end(s: Session) -> datetime | None:
    """End of the period the previous digest covered (``None`` before the first digest)."""
    return s.scalar(select(func.max(Digest.period_end)))


def digest_changes(
    s: Session, since: datetime | None, until: datetime
) -> list[tuple[Change, Document]]:
    """Changes for a digest of (since, until], newest first: those captured in the period,
    and backfilled (archive) ones *recorded* in it, whatever their capture date."""
    captured = Change.captured_at <= until
    recorded = (Change.origin == "archive") & (Change.created_at <= until)
    if since is not None:
        captured = captured & (Change.captured_at > since)
        recorded = recorded & (Change.created_at > since)
    q = (
        select(Change, Document)
        .join(Document, Change.document_id == Document.id)
        .where(captured | recorded)
        .order_by(Change.captured_at.desc(), Change.id.desc())
    )
    return [(change, doc) for change, doc in s.execute(q)]
