"""The check pipeline: fetch → extract → clauses → record, one transaction per document.

    fetch (fetch.py) ──► process_capture ──► extract ──► find_clauses ──► record_observation
                              │                 └── ExtractError: reported, attempt only
                              └── same bytes, same settings: "unchanged" without parsing

``process_capture`` is shared by live checks and archive backfills (``origin``).
A failing document never stops the others; its reason is in the report.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from . import episodes, store
from .clauses import ClauseResult, find_clauses
from .db import SessionFactory, fault_message
from .errors import ExtractError, FetchError, StoreError
from .extract import Extraction, extract
from .fetch import Fetcher, FetchResult, Validators
from .limits import require_text_within
from .locks import Holder, Locks, document_lock
from .model import Config, ContentSettings, DocumentConfig
from .models import Version
from .record import Observation, matching_neighbour, record_observation
from .suspect import Seen, suspicion, times_seen
from .timefmt import iso

DEFAULT_CONTENT = ContentSettings()


def _rules_version() -> str:
    """Fingerprint of the code that turns bytes into text and clauses.

    Part of every settings fingerprint, so upgrading tos-monitor with new extraction or
    clause rules re-parses unchanged pages once instead of trusting the old result.
    """
    from . import clause_rules, clause_vocab, clauses
    from . import extract as extract_module

    modules = (extract_module, clauses, clause_rules, clause_vocab)
    sources = [Path(m.__file__).read_bytes() for m in modules if m.__file__]
    return store.sha256(b"".join(sources))


RULES_VERSION = _rules_version()
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Capture:
    """Content to process, from a live fetch or an archive."""

    content: bytes
    content_type: str | None
    captured_at: datetime
    origin: str = "live"  # live | archive


@dataclass
class DocumentReport:
    """What one document's check did, for the CLI and notifications."""

    provider: str
    document: str
    outcome: str  # new_version | cosmetic | unchanged | not_modified | error | locked
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


@dataclass
class CheckReport:
    results: list[DocumentReport] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "checked": len(self.results),
            "changed": [asdict(r) for r in self.results if r.change is not None],
            "errors": [asdict(r) for r in self.results if r.error is not None],
            "locked": [asdict(r) for r in self.results if r.outcome == "locked"],
            "suspect": [asdict(r) for r in self.results if r.outcome == "suspect"],
        }


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


def process_capture(
    s: Session,
    doc: DocumentConfig,
    capture: Capture,
    attempt: dict[str, Any],
    content: ContentSettings = DEFAULT_CONTENT,
) -> DocumentReport:
    """Record one capture of ``doc`` (inside the caller's transaction)."""
    row = store.ensure_document(s, doc)
    digest = store.sha256(capture.content)
    fingerprint = settings_fingerprint(doc)
    attempt = {
        **attempt,
        "origin": capture.origin,
        "bytes": len(capture.content),
        "settings_sha256": fingerprint,
        "captured_at": capture.captured_at if capture.origin == "archive" else None,
    }
    report = DocumentReport(doc.provider, doc.id, "unchanged", url=doc.url)
    last = store.last_good_attempt(s, row.id) if capture.origin == "live" else None
    if last and last.snapshot_sha256 == digest and last.settings_sha256 == fingerprint:
        attempt["text_sha256"] = last.text_sha256
        store.add_attempt(s, row.id, outcome="unchanged", snapshot_sha256=digest, **attempt)
        return report
    before, after = store.neighbours(s, row.id, capture.captured_at)
    try:
        extraction = extract(
            capture.content, capture.content_type, doc, before.text if before else None
        )
        require_text_within(extraction.text, content.max_text_bytes)
    except ExtractError as exc:
        return _failed(s, row.id, report, attempt, exc.kind, str(exc))
    attempt["text_sha256"] = store.sha256(extraction.text)
    held, note = _suspect(s, row.id, capture, extraction, (before, after), content)
    if held:
        snapshot = store.put_snapshot(s, row.id, capture.content, capture.content_type)
        store.add_attempt(
            s, row.id, outcome="suspect", snapshot_sha256=snapshot, warning=note, **attempt
        )
        report.outcome, report.warning = "suspect", note
        return report
    try:
        if not doc.clauses and matching_neighbour(before, after, extraction.text):
            # record_observation keeps the neighbour whose text this is and never reads the
            # clauses; with no clause rules of the document there are no misses to report.
            clauses = ClauseResult(clauses={}, misses=())
        else:
            clauses = find_clauses(extraction, doc.clauses, doc.custom_clauses)
    except ExtractError as exc:
        return _failed(s, row.id, report, attempt, exc.kind, str(exc))
    snapshot = store.put_snapshot(s, row.id, capture.content, capture.content_type)
    obs = Observation(
        captured_at=capture.captured_at,
        origin=capture.origin,
        snapshot=snapshot,
        text=extraction.text,
        clauses={k: (c.text, c.source) for k, c in clauses.clauses.items()},
        misses=tuple(sorted(set(clauses.misses) | set(extraction.clause_misses))),
        blocks=extraction.blocks,
    )
    recorded = record_observation(s, row.id, obs, rules=doc.alerting)
    if obs.misses:
        note = "; ".join(
            filter(None, [note, "clause selector matched nothing: " + ", ".join(obs.misses)])
        )
    report.warning = note
    store.add_attempt(
        s,
        row.id,
        outcome=recorded.outcome,
        snapshot_sha256=snapshot,
        warning=report.warning,
        **attempt,
    )
    report.outcome = recorded.outcome
    report.version = store.version_numbers(s, row.id)[recorded.version.id]
    report.captured_at = iso(recorded.version.captured_at)
    if recorded.change is not None:
        report.change = {
            "kind": recorded.change.kind,
            "severity": recorded.change.severity,
            "summary": json.loads(recorded.change.summary).get("summary"),
        }
    return report


def _suspect(
    s: Session,
    document_id: int,
    capture: Capture,
    extraction: Extraction,
    around: tuple[Version | None, Version | None],
    content: ContentSettings,
) -> tuple[bool, str | None]:
    """Whether this live capture is held as a suspect truncation (``suspect.py``), and the
    warning to record: why it is held, or why an accepted capture had been."""
    before, after = around
    if capture.origin != "live" or matching_neighbour(before, after, extraction.text):
        return False, None
    reason = suspicion(extraction.text, before.text if before else None, extraction.unclosed)
    if reason is None:
        return False, None
    recent = [Seen(o, t) for o, t in store.recent_live_outcomes(s, document_id, 50)]
    seen = times_seen(recent, store.sha256(extraction.text)) + 1
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


def _failed(
    s: Session,
    document_id: int,
    report: DocumentReport,
    attempt: dict[str, Any],
    kind: str,
    message: str,
) -> DocumentReport:
    store.add_attempt(s, document_id, outcome="error", error_kind=kind, error=message, **attempt)
    report.outcome, report.error_kind, report.error = "error", kind, message
    return report


def internal_error(doc: DocumentConfig, exc: BaseException, stage: str) -> FetchError:
    """A bug (or a page no rule foresaw) while ``stage`` of ``doc``: that document's error.

    Logged with its traceback (shown with ``--verbose``); the run goes on with the others.
    """
    log.error("%s: internal error while %s", doc.key, stage, exc_info=exc)
    return FetchError(f"internal error while {stage}: {type(exc).__name__}: {exc}", "internal")


def process_fetch(
    sf: SessionFactory,
    doc: DocumentConfig,
    result: FetchResult,
    content: ContentSettings = DEFAULT_CONTENT,
) -> DocumentReport:
    """One document's whole check: a single transaction (all or nothing).

    An unexpected exception rolls that transaction back and becomes the document's
    ``internal`` error, recorded as a failed attempt in a transaction of its own. A
    database fault is not the document's: it is raised as a ``StoreError``.
    """
    try:
        return _process_fetch(sf, doc, result, content)
    except SQLAlchemyError as exc:
        url = sf.kw["bind"].url.render_as_string(hide_password=False)
        raise StoreError(fault_message(url, exc, f"record {doc.key} in")) from exc
    except Exception as exc:
        error = internal_error(doc, exc, "processing the page")
    with sf.begin() as s:
        row = store.ensure_document(s, doc)
        report = DocumentReport(doc.provider, doc.id, "error", url=doc.url)
        attempt = {**_attempt_fields(result), "origin": "live"}
        report = _failed(s, row.id, report, attempt, error.kind, str(error))
        track_outage(s, doc, report, result.started_at)
        return report


def _attempt_fields(result: FetchResult) -> dict[str, Any]:
    return {
        "started_at": result.started_at,
        "url": result.url,
        "final_url": result.final_url,
        "status": result.status,
        "duration_ms": result.duration * 1000,
        "etag": result.validators.etag,
        "last_modified": result.validators.last_modified,
    }


def _process_fetch(
    sf: SessionFactory, doc: DocumentConfig, result: FetchResult, content: ContentSettings
) -> DocumentReport:
    attempt = _attempt_fields(result)
    with sf.begin() as s:
        if result.error is not None:
            row = store.ensure_document(s, doc)
            report = DocumentReport(doc.provider, doc.id, "error", url=doc.url)
            report = _failed(
                s,
                row.id,
                report,
                {**attempt, "origin": "live"},
                result.error.kind,
                str(result.error),
            )
        elif result.not_modified or result.content is None:
            report = _not_modified(s, doc, attempt)
        else:
            capture = Capture(result.content, result.content_type, result.started_at, "live")
            report = process_capture(s, doc, capture, attempt, content)
        track_outage(s, doc, report, result.started_at)
        return report


def track_outage(s: Session, doc: DocumentConfig, report: DocumentReport, at: datetime) -> None:
    """Count a live check into the document's outage episode (see ``episodes``)."""
    row = store.ensure_document(s, doc)
    if report.outcome == "error":
        kind, message = report.error_kind or "error", report.error or ""
        episodes.after_failure(s, row.id, at, kind, message, doc.alerting)
    else:
        episodes.after_success(s, row.id, at, report.outcome in ("new_version", "cosmetic"))


def _not_modified(s: Session, doc: DocumentConfig, attempt: dict[str, Any]) -> DocumentReport:
    """A 304 costs no parsing: the last good snapshot (and its validators) stays current."""
    row = store.ensure_document(s, doc)
    last = store.last_good_attempt(s, row.id)
    store.add_attempt(
        s,
        row.id,
        origin="live",
        outcome="not_modified",
        snapshot_sha256=last.snapshot_sha256 if last else None,
        settings_sha256=last.settings_sha256 if last else None,
        **{
            **attempt,
            "etag": attempt["etag"] or (last.etag if last else None),
            "last_modified": attempt["last_modified"] or (last.last_modified if last else None),
        },
    )
    return DocumentReport(doc.provider, doc.id, "not_modified", url=doc.url)


def validators_for(sf: SessionFactory, doc: DocumentConfig) -> Validators | None:
    """ETag/Last-Modified of the last good fetch, if the extraction settings are unchanged."""
    with sf() as s:
        row = store.find_document(s, doc.provider, doc.id)
        last = store.last_good_attempt(s, row.id) if row else None
        if last is None or last.settings_sha256 != settings_fingerprint(doc):
            return None
        return Validators(etag=last.etag, last_modified=last.last_modified)


async def check_documents(
    config: Config,
    sf: SessionFactory,
    docs: Sequence[DocumentConfig],
    on_result: Callable[[DocumentReport], None] = lambda r: None,
    transport: Any = None,
    stop: threading.Event | None = None,
    locks: Locks | None = None,
) -> CheckReport:
    """Fetch ``docs`` concurrently and record each as soon as it arrives.

    Each document is checked under its database lock (``locks.py``): one held by another
    live process is skipped with outcome ``locked``. Once ``stop`` is set, fetched
    documents are still recorded (each its own transaction), fetches in flight are
    abandoned (nothing was written for them) and unstarted documents are skipped.
    Whatever happens — an internal error, a database fault, a cancellation — every lock
    this run took is released before it returns or raises (also in a daemon's ``locks``).
    """
    report = CheckReport()
    stop = stop or threading.Event()
    async with AsyncExitStack() as stack:
        guard = locks if locks is not None else stack.enter_context(Locks(sf))
        fetcher = await stack.enter_async_context(Fetcher(config.fetch, transport=transport))
        run = _Run(sf, guard, fetcher, config.content)
        tasks = {asyncio.ensure_future(run.fetch_one(d)): d for d in docs}
        pending = set(tasks)
        try:
            while pending and not stop.is_set():
                done, pending = await asyncio.wait(
                    pending, timeout=0.2, return_when=asyncio.FIRST_COMPLETED
                )
                for task in done:
                    doc, result = task.result()
                    del tasks[task]  # let the page body go: memory stays flat with N
                    outcome = run.record(doc, result)
                    report.results.append(outcome)
                    on_result(outcome)
        finally:
            for task in pending:
                task.cancel()
            # every task's outcome retrieved, those finished but not recorded (a database
            # fault stopped the run) included: no "Task exception was never retrieved"
            await asyncio.gather(*(pending | set(tasks)), return_exceptions=True)
            run.release_all()
    order = {d.key: i for i, d in enumerate(docs)}
    report.results.sort(key=lambda r: order.get(r.key, 0))
    return report


class _Run:
    """One check run's fetches and the document locks it took."""

    def __init__(
        self, sf: SessionFactory, guard: Locks, fetcher: Fetcher, content: ContentSettings
    ) -> None:
        self.sf, self.guard, self.fetcher, self.content = sf, guard, fetcher, content
        self.taken: set[str] = set()

    async def fetch_one(self, doc: DocumentConfig) -> tuple[DocumentConfig, FetchResult | Holder]:
        """Lock ``doc`` and fetch it; an unexpected exception becomes its ``internal`` error."""
        holder = self.guard.acquire(document_lock(doc.key))
        if holder is not None:
            return doc, holder
        self.taken.add(doc.key)
        started_at = datetime.now(UTC)
        try:
            validators = validators_for(self.sf, doc)
        except SQLAlchemyError as exc:
            url = self.sf.kw["bind"].url.render_as_string(hide_password=False)
            raise StoreError(fault_message(url, exc, f"read {doc.key} from")) from exc
        try:
            return doc, await self.fetcher.fetch(doc.url, validators)
        except Exception as exc:
            error = internal_error(doc, exc, "fetching the page")
            return doc, FetchResult.failed(doc.url, error, started_at)

    def record(self, doc: DocumentConfig, result: FetchResult | Holder) -> DocumentReport:
        """Commit one fetched document and release its lock; report a locked one."""
        if isinstance(result, Holder):
            return DocumentReport(
                doc.provider, doc.id, "locked", url=doc.url, warning=result.describe()
            )
        try:
            return process_fetch(self.sf, doc, result, self.content)
        finally:
            self.release(doc.key)

    def release(self, key: str) -> None:
        self.taken.discard(key)
        self.guard.release(document_lock(key))

    def release_all(self) -> None:
        """Release every lock still held by this run; a failing release does not stop the rest."""
        for key in sorted(self.taken):
            try:
                self.release(key)
            except Exception:
                log.error("%s: could not release the document lock", key, exc_info=True)


def now() -> datetime:
    return datetime.now(UTC)
