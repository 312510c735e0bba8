"""The one capture path: (document, fetched or archived capture) → a recorded observation.

    Capture + Attempt ──► process_capture ──► extract ──► find_clauses ──► record_observation
                              │                  └── ExtractError: reported, attempt only
                              └── same bytes, same settings: "unchanged" without parsing

Live checks (``pipeline``) and archive backfills (``backfill``) both record every
capture — and every failure to get one (``record_failure``) — through this module, so
an attempt row is built in one place. Callers own the transaction.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy.orm import Session

from . import store
from .errors import CollapsedError, ExtractError
from .fetch import FetchResult
from .limits import collapse, require_text_within
from .model import ContentSettings, DocumentConfig, Extraction
from .models import FetchAttempt
from .record import (
    Neighbours,
    Observation,
    Recorded,
    neighbours_of,
    neighbours_with,
    record_match,
    record_observation,
)
from .suspect import Seen, suspicion, times_seen
from .timefmt import iso
from .worker import Analysis, Digest, analyse

if TYPE_CHECKING:  # clause finding loads when a page is read (not for a 304)
    from .clauses import ClauseResult
    from .snapshot_codec import Delta

Origin = Literal["live", "archive"]
DEFAULT_CONTENT = ContentSettings()


def _rules_version() -> str:
    """Fingerprint of the code that turns bytes into text and clauses.

    Part of every settings fingerprint, so upgrading tos-monitor with new extraction or
    clause rules re-parses unchanged pages once instead of trusting the old result.
    """
    extraction = (
        "extract",
        "extract_charset",
        "extract_pdf",
        "pdf_content",
        "html_tree",
        "html_walk",
        "html_preorder",
    )
    names = (*extraction, "clauses", "clause_rules", "clause_vocab")
    # their files, found without importing them (a run that reads no page loads none)
    specs = [importlib.util.find_spec(f"{__package__}.{name}") for name in names]
    sources = [Path(spec.origin).read_bytes() for spec in specs if spec and spec.origin]
    return store.sha256(b"".join(sources))


RULES_VERSION = _rules_version()


def settings_fingerprint(doc: DocumentConfig) -> str:
    """What decides the text extracted from given bytes."""
    parts = [
        RULES_VERSION,
        doc.select,
        doc.remove,
        doc.ignore,
        [(r.key, r.select, r.heading) for r in doc.clauses],
        [(c.key, c.patterns, c.headings) for c in doc.custom_clauses],
    ]
    return store.sha256(json.dumps(parts))


@dataclass(frozen=True)
class Capture:
    """Content to process, from a live fetch or an archive."""

    content: bytes
    content_type: str | None
    captured_at: datetime
    origin: Origin = "live"
    delta: Delta | None = None  # packed by a worker against the snapshot before it (backfill)

    @cached_property
    def sha256(self) -> str:
        """The SHA-256 of ``content`` (what its snapshot is stored as), hashed once."""
        return store.sha256(self.content)


@dataclass(frozen=True)
class Attempt:
    """How a capture was fetched: the request's part of its attempt row."""

    started_at: datetime
    url: str
    final_url: str | None = None
    status: int | None = None
    duration_ms: float = 0.0
    etag: str | None = None
    last_modified: str | None = None

    @classmethod
    def of(cls, result: FetchResult, url: str | None = None, validators: bool = True) -> Attempt:
        """The attempt of ``result`` (requested as ``url``; its validators unless told not)."""
        return cls(
            started_at=result.started_at,
            url=url or result.url,
            final_url=result.final_url,
            status=result.status,
            duration_ms=result.duration * 1000,
            etag=result.validators.etag if validators else None,
            last_modified=result.validators.last_modified if validators else None,
        )

    def fields(self) -> dict[str, Any]:
        """The attempt row's columns, by name."""
        return dict(vars(self))


@dataclass
class DocumentReport:
    """What one document's check did, for the CLI and notifications."""

    provider: str
    document: str
    outcome: str  # new_version | cosmetic | unchanged | not_modified | error | locked | suspect
    url: str = ""
    version: int | None = None
    captured_at: str | None = None
    change: dict[str, Any] | None = None
    error: str | None = None
    error_kind: str | None = None
    warning: str | None = None

    @property
    def key(self) -> str:
        return f"{self.provider}/{self.document}"


@dataclass(frozen=True)
class _Row:
    """One capture's attempt row being built: where it is stored and what is known so far."""

    document_id: int
    attempt: Attempt
    origin: Origin
    captured_at: datetime | None = None  # archive captures only
    size: int = 0
    settings: str | None = None
    text_sha256: str | None = None

    def add(self, s: Session, outcome: str, **fields: Any) -> None:
        store.add_attempt(
            s,
            self.document_id,
            origin=self.origin,
            outcome=outcome,
            captured_at=self.captured_at,
            bytes=self.size,
            settings_sha256=self.settings,
            text_sha256=self.text_sha256,
            **self.attempt.fields(),
            **fields,
        )


def record_failure(
    s: Session,
    doc: DocumentConfig,
    attempt: Attempt,
    origin: Origin,
    kind: str,
    message: str,
    captured_at: datetime | None = None,
) -> DocumentReport:
    """Record that ``doc`` could not be fetched or read (``kind``, ``message``).

    An archive failure keeps the capture's time and the extraction settings: whether the
    next backfill retries it depends on both (``backfill.is_settled``).
    """
    row = store.ensure_document(s, doc)
    settings = settings_fingerprint(doc) if origin == "archive" else None
    _Row(row.id, attempt, origin, captured_at, settings=settings).add(
        s, "error", error_kind=kind, error=message
    )
    return _error(doc, kind, message)


def _error(doc: DocumentConfig, kind: str, message: str) -> DocumentReport:
    report = DocumentReport(doc.provider, doc.id, "error", url=doc.url)
    report.error_kind, report.error = kind, message
    return report


def process_capture(
    s: Session,
    doc: DocumentConfig,
    capture: Capture,
    attempt: Attempt,
    content: ContentSettings = DEFAULT_CONTENT,
    analysis: Analysis | Digest | None = None,
) -> DocumentReport:
    """Record one capture of ``doc`` (inside the caller's transaction).

    ``analysis``: the capture already read by a worker (``worker.analyse``), against the
    version in force or none, or only its text's digest (``worker.read_digest``), enough
    when that is a neighbouring version's text; without it the page is read here.
    """
    doc_row, fresh = store.document_row(s, doc)  # fresh: no history to look up
    digest = capture.sha256
    row = _Row(
        doc_row.id,
        attempt,
        capture.origin,
        capture.captured_at if capture.origin == "archive" else None,
        len(capture.content),
        settings_fingerprint(doc),
    )
    report = DocumentReport(doc.provider, doc.id, "unchanged", url=doc.url)
    live = capture.origin == "live" and not fresh
    last = store.last_good_attempt(s, row.document_id) if live else None
    if last and last.snapshot_sha256 == digest and last.settings_sha256 == row.settings:
        row = replace(row, text_sha256=last.text_sha256)
        row.add(s, "unchanged", snapshot_sha256=digest)
        return report
    before, after = (
        (None, None) if fresh else store.neighbours(s, row.document_id, capture.captured_at)
    )
    if before is not None and capture.origin == "live" and _read_otherwise(s, row, last):
        report.warning = _reread(s, doc)
        before, after = store.neighbours(s, row.document_id, capture.captured_at)
    if isinstance(analysis, Digest):
        known = neighbours_with(before, after, analysis.text_sha256)
        if known.match is not None:  # the text of the version around it: nothing new
            row, at = replace(row, text_sha256=analysis.text_sha256), capture.captured_at
            snapshot = _put_snapshot(s, row, capture, first=fresh)
            recorded = record_match(s, row.document_id, known, at, snapshot, doc.alerting)
            return _finish(s, row, report, recorded, snapshot)
        analysis = None  # another text: read the page here
    analysis = _valid_for(analysis, doc, capture, before.text if before else None)
    if analysis.extraction is None:
        kind, message = analysis.error_kind or "extract", analysis.error or ""
        row.add(s, "error", error_kind=kind, error=message)
        return _error(doc, kind, message)
    extraction = analysis.extraction
    try:
        require_text_within(extraction.text, content.max_text_bytes)
    except ExtractError as exc:
        row.add(s, "error", error_kind=exc.kind, error=str(exc))
        return _error(doc, exc.kind, str(exc))
    row = replace(row, text_sha256=store.sha256(extraction.text))
    around = neighbours_of(before, after, extraction.text)
    held, note = _suspect(s, row, capture, extraction, around, content)
    if held:
        snapshot = _put_snapshot(s, row, capture, first=fresh)
        row.add(s, "suspect", snapshot_sha256=snapshot, warning=note)
        report.outcome, report.warning = "suspect", note
        return report
    try:
        clauses = analysis.clauses or _clauses(doc, extraction, around)
    except ExtractError as exc:
        row.add(s, "error", error_kind=exc.kind, error=str(exc))
        return _error(doc, exc.kind, str(exc))
    snapshot = _put_snapshot(s, row, capture, analysis.packed, fresh)
    obs = Observation(
        captured_at=capture.captured_at,
        origin=capture.origin,
        snapshot=snapshot,
        text=extraction.text,
        clauses={k: (c.text, c.source) for k, c in clauses.clauses.items()},
        misses=tuple(sorted(set(clauses.misses) | set(extraction.clause_misses))),
        blocks=extraction.blocks,
        texts=analysis.texts,
    )
    recorded = record_observation(
        s, row.document_id, obs, rules=doc.alerting, around=around, derived=analysis.derived
    )
    if obs.misses:
        note = "; ".join(
            filter(None, [note, "clause selector matched nothing: " + ", ".join(obs.misses)])
        )
    report.warning = "; ".join(filter(None, [report.warning, note])) or None
    return _finish(s, row, report, recorded, snapshot)


def _put_snapshot(
    s: Session, row: _Row, capture: Capture, packed: bytes | None = None, first: bool = False
) -> str:
    content, kind, delta = capture.content, capture.content_type, capture.delta
    digest = capture.sha256
    return store.put_snapshot(s, row.document_id, content, kind, packed, delta, first, digest)


def _finish(
    s: Session, row: _Row, report: DocumentReport, recorded: Recorded, snapshot: str
) -> DocumentReport:
    """The capture's attempt row, and its report: outcome, version, change."""
    row.add(s, recorded.outcome, snapshot_sha256=snapshot, warning=report.warning)
    report.outcome = recorded.outcome
    report.version = recorded.number or store.version_number(s, recorded.version)
    report.captured_at = iso(recorded.version.captured_at)
    if recorded.change is not None and recorded.summary is not None:
        report.change = {
            "kind": recorded.change.kind,
            "severity": recorded.change.severity,
            "summary": recorded.summary.get("summary"),
        }
    return report


def _read_otherwise(s: Session, row: _Row, last: FetchAttempt | None) -> bool:
    """Whether the stored history was read with other rules or settings than this capture
    (tos-monitor upgraded, or ``select``/``remove``/``ignore``/clause settings edited)."""
    reference = last or store.last_good_attempt(s, row.document_id, "archive")
    return reference is None or reference.settings_sha256 != row.settings


def _reread(s: Session, doc: DocumentConfig) -> str | None:
    """Re-read the stored history with the current rules before comparing (as ``tosmon
    reextract`` does, never alerting): a page that did not change is then no new version,
    and a real change is told without the differences the new rules alone make."""
    from .reextract import reextract_document  # imports this module's readers

    done = reextract_document(s, doc)
    if not done.improved:
        return None
    return (
        f"stored versions re-read with the current rules first ({len(done.improved)} of "
        f"{done.versions} read differently): no alert for what the rules alone changed"
    )


def _valid_for(
    analysis: Analysis | None, doc: DocumentConfig, capture: Capture, previous: str | None
) -> Analysis:
    """``analysis`` as it reads against ``previous`` (the text in force at the capture).

    One made against no previous text is completed with the collapse check (its other
    checks do not depend on it); one made against another text, or none, is redone here.
    """
    if analysis is None or analysis.previous not in (None, previous):
        return analyse(doc, capture.content, capture.content_type, previous)
    extraction = analysis.extraction
    if analysis.previous is not None or extraction is None or previous is None:
        return analysis
    if (why := collapse(doc.key, extraction.text, previous)) is not None:
        return Analysis(None, None, CollapsedError.kind, why, previous)
    return analysis


def _clauses(doc: DocumentConfig, extraction: Extraction, around: Neighbours) -> ClauseResult:
    """The capture's clauses; none needed when its text is a neighbour's and the document
    has no clause rules (``record_observation`` keeps that neighbour and never reads them;
    without rules there are no misses to report)."""
    from .clauses import ClauseResult, find_clauses  # loaded when a page is read

    if not doc.clauses and around.match is not None:
        return ClauseResult(clauses={}, misses=())
    return find_clauses(extraction, doc.clauses, doc.custom_clauses)


def _suspect(
    s: Session,
    row: _Row,
    capture: Capture,
    extraction: Extraction,
    around: Neighbours,
    content: ContentSettings,
) -> tuple[bool, str | None]:
    """Whether this live capture is held as a suspect truncation (``suspect.py``), and the
    warning to record: why it is held, or why an accepted capture had been."""
    if capture.origin != "live" or around.match is not None:
        return False, None
    before = around.before
    reason = suspicion(extraction.text, before.text if before else None, extraction.unclosed)
    if reason is None:
        return False, None
    recent = [Seen(o, t) for o, t in store.recent_live_outcomes(s, row.document_id, 50)]
    seen = times_seen(recent, row.text_sha256 or "") + 1
    needed = content.suspect_confirmations
    if seen >= needed:
        return (
            False,
            f"accepted after {seen} fetches with the same text: {reason}" if needed > 1 else None,
        )
    return True, (
        f"held as suspect ({reason}); recorded once the same text is fetched "
        f"{needed} times in a row (seen {seen})"
    )
