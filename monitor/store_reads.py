"""Reading tos-monitor's history for reports, status and email: clause histories,
changes in a period, pending alerts, archive attempts, check health, the outbox.

Small functions taking a ``Session``, re-exported by ``store`` (import them from there).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import Change, ClauseChange, Digest, Document, FetchAttempt, OutboxMessage

# -- clause history and changes ----------------------------------------------------------


@dataclass(frozen=True)
class ClauseHistoryRow:
    """One change of a clause, with the columns of its change that a history shows."""

    provider: str
    document: str
    key: str
    captured_at: datetime
    before: str | None
    after: str | None
    document_id: int
    to_version_id: int
    kind: str
    origin: str
    reverts_to_id: int | None
    summary: str  # the change's summary JSON


def clause_history(
    s: Session, key: str, document_id: int | None = None, limit: int | None = None
) -> list[ClauseHistoryRow]:
    """Changes of clause ``key``, newest first, optionally for one document (columns read
    through Core, not ORM objects: a history of 10,000 changes builds no 30,000 instances)."""
    q = (
        select(
            Document.provider,
            Document.slug,
            ClauseChange.key,
            ClauseChange.captured_at,
            ClauseChange.before,
            ClauseChange.after,
            Change.document_id,
            Change.to_version_id,
            Change.kind,
            Change.origin,
            Change.reverts_to_id,
            Change.summary,
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
    rows: list[tuple[Any, ...]] = [tuple(row) for row in s.connection().execute(q)]
    return [ClauseHistoryRow(*row) for row in rows]


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
