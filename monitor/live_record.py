"""Recording one live check of one document: its page, its 304, or its failure, in one
transaction, with the document's outage episode (``episodes``) kept up to date."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from . import episodes, store
from .capture import (
    DEFAULT_CONTENT,
    Attempt,
    Capture,
    DocumentReport,
    process_capture,
    record_failure,
)
from .db import SessionFactory, fault_message
from .errors import FetchError, StoreError
from .fetch import FetchResult
from .model import ContentSettings, DocumentConfig
from .worker import Analysis, Digest

log = logging.getLogger("monitor.pipeline")


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
    analysis: Analysis | Digest | None = None,
) -> DocumentReport:
    """One document's whole check: a single transaction (all or nothing); ``analysis``:
    the page as a worker read it (``worker.analyse``), if it did.

    An unexpected exception rolls that transaction back and becomes the document's
    ``internal`` error, recorded as a failed attempt in a transaction of its own. A
    database fault is not the document's: it is raised as a ``StoreError``.
    """
    try:
        return _process_fetch(sf, doc, result, content, analysis)
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
    sf: SessionFactory,
    doc: DocumentConfig,
    result: FetchResult,
    content: ContentSettings,
    analysis: Analysis | Digest | None,
) -> DocumentReport:
    attempt = Attempt.of(result)
    with sf.begin() as s:
        if result.error is not None:
            error = result.error
            report = record_failure(s, doc, attempt, "live", error.kind, str(error))
        elif result.not_modified or result.content is None:
            report = _not_modified(s, doc, attempt)
        else:
            delta = analysis.delta if analysis is not None else None  # packed by the worker
            capture = Capture(result.content, result.content_type, result.started_at, "live", delta)
            report = process_capture(s, doc, capture, attempt, content, analysis)
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
