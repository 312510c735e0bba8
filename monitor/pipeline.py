"""The live check: lock → fetch → record (``capture.process_capture``), one transaction
per document.

    fetch (fetch.py) ──► 304: "not_modified", no parsing
                     ──► a page: capture.process_capture (the path backfills use too)
                     ──► a failure: capture.record_failure

A failing document never stops the others; its reason is in the report.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from . import episodes, store
from .capture import (
    DEFAULT_CONTENT,
    RULES_VERSION,
    Attempt,
    Capture,
    DocumentReport,
    process_capture,
    record_failure,
    settings_fingerprint,
)
from .db import SessionFactory, fault_message
from .errors import FetchError, StoreError
from .fetch import Fetcher, FetchResult, Validators
from .locks import Holder, Locks, document_lock
from .model import Config, ContentSettings, DocumentConfig

log = logging.getLogger(__name__)
__all__ = [  # the capture path's names, re-exported for the callers of this module
    "RULES_VERSION",
    "Attempt",
    "Capture",
    "DocumentReport",
    "process_capture",
    "settings_fingerprint",
]


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
        report = record_failure(s, doc, Attempt.of(result), "live", error.kind, str(error))
        track_outage(s, doc, report, result.started_at)
        return report


def _process_fetch(
    sf: SessionFactory, doc: DocumentConfig, result: FetchResult, content: ContentSettings
) -> DocumentReport:
    attempt = Attempt.of(result)
    with sf.begin() as s:
        if result.error is not None:
            error = result.error
            report = record_failure(s, doc, attempt, "live", error.kind, str(error))
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


def _not_modified(s: Session, doc: DocumentConfig, attempt: Attempt) -> DocumentReport:
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
            **attempt.fields(),
            "etag": attempt.etag or (last.etag if last else None),
            "last_modified": attempt.last_modified or (last.last_modified if last else None),
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
