"""Archive backfill: replay a document's archived captures through the check pipeline.

    CDX listing (all documents at once) ──► skip captures already settled in the database
        ──► fetch captures ahead, concurrently (Fetcher: rate, retries, Retry-After), and
            have their pages read by worker processes as they arrive (``backfill_read``)
        ──► record them oldest first, ``process_capture(origin="archive")``: the captures
            of a document already read (up to ``BATCH``) in one transaction

An interrupted run loses at most the batch in flight (progress is reported once a
capture is committed) and the next run continues where it stopped. Versions land in ``captured_at``
order whatever the order of work (``record`` recomputes the changes around a capture
older than what is stored); archive changes never alert. The backfill holds one
document's lock (``locks.py``) while it records that document's captures, waiting for it
when another process has it, so two processes never interleave one document's versions
(on PostgreSQL, transactions do not serialize as SQLite's BEGIN IMMEDIATE does); a live
check meanwhile reports that document ``locked`` and checks it next time. Captures
another run settled meanwhile are skipped once the lock is taken.

Which failures the next run retries (``is_settled``):

* retried: transient fetch failures — timeouts, connection and protocol errors, HTTP 429
  and 5xx that outlasted the retries — and unexpected errors (never recorded);
* not retried: captures the archive answered for good (other HTTP 4xx, oversized bodies,
  bad redirects), and captures whose page layout no longer matches the document's
  selectors (``selector``, ``collapsed``, ``extract``) — unless the extraction settings
  changed since, in which case they are tried again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from . import store
from .archive import PAGE_ROWS, ArchivedCapture, ArchiveLayout, capture_url, parse_timestamp
from .backfill_read import Item, Read, Reader
from .backfill_report import (
    BackfillProgress,
    BackfillReport,
    CaptureError,
    DocumentBackfill,
    ProgressCallback,
    captured_timestamp,
    is_settled,
    settled_timestamps,
    tally,
)
from .capture import (
    Attempt,
    Capture,
    DocumentReport,
    process_capture,
    record_failure,
    settings_fingerprint,
)
from .db import SessionFactory
from .errors import FetchError, StoreError
from .fetch import Fetcher
from .listing import list_captures
from .locks import Locks, document_lock
from .model import Config, ContentSettings, DocumentConfig, FetchSettings
from .worker import Workers

__all__ = [
    "BackfillProgress",
    "BackfillReport",
    "CaptureError",
    "DocumentBackfill",
    "archive_fetch_settings",
    "backfill",
    "captured_timestamp",
    "is_settled",
    "settled_timestamps",
]
ARCHIVE_CONCURRENCY = 4  # connections to the archive at once; `rate` is the real limit
WINDOW = 32  # captures fetched ahead of the one being processed
BATCH = 16  # captures of one document recorded in one transaction, when read already
LOCK_POLL = 0.1  # seconds between tries of a document lock another process holds
log = logging.getLogger(__name__)


def archive_fetch_settings(config: Config) -> FetchSettings:
    """Live fetch limits with the archive's timeout and retries, under the monitor's agent."""
    return FetchSettings(
        user_agent=config.fetch.user_agent,
        concurrency=ARCHIVE_CONCURRENCY,
        per_host=ARCHIVE_CONCURRENCY,
        timeout=config.archive.timeout,
        retries=config.archive.retries,
        backoff=config.fetch.backoff,
        max_bytes=config.fetch.max_bytes,
        max_redirects=config.fetch.max_redirects,
        allow_redirect_hosts=config.fetch.allow_redirect_hosts,
    )


async def backfill(
    config: Config,
    sf: SessionFactory,
    docs: Sequence[DocumentConfig],
    *,
    since: date | None = None,
    until: date | None = None,
    transport: Any = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    on_progress: ProgressCallback = lambda p: None,
    window: int = WINDOW,
    page_rows: int = PAGE_ROWS,
) -> BackfillReport:
    """Backfill ``docs`` from ``[archive].wayback_url``; see the module docstring."""
    report = BackfillReport([DocumentBackfill(d.provider, d.id) for d in docs])
    where = config.archive.layout
    fetcher = Fetcher(
        archive_fetch_settings(config), transport=transport, rate=config.archive.rate, sleep=sleep
    )
    async with fetcher:
        pairs = zip(docs, report.documents, strict=True)
        listings = await asyncio.gather(
            *(_list(fetcher, where, d, e, since, until, page_rows) for d, e in pairs)
        )
        work: list[Item] = []
        for doc, entry, listing in zip(docs, report.documents, listings, strict=True):
            done = await asyncio.to_thread(_settled, sf, doc)
            todo = [c for c in listing if c.timestamp not in done]
            entry.skipped = len(listing) - len(todo)
            work.extend(Item(doc, entry, c, capture_url(where, c)) for c in todo)
        on_progress(BackfillProgress(len(work), 0, documents=tuple(report.documents)))
        with Locks(sf) as locks, Workers(len(work)) as workers:
            read = Reader(fetcher, workers, sf)
            await _run(read, sf, locks, work, on_progress, window, config.content)
    return report


async def _list(
    fetcher: Fetcher,
    where: ArchiveLayout,
    doc: DocumentConfig,
    entry: DocumentBackfill,
    since: date | None,
    until: date | None,
    page_rows: int,
) -> list[ArchivedCapture]:
    """The document's captures in range, oldest first; a failed listing is reported, empty."""
    try:
        listing = await list_captures(fetcher, where, doc.url, since, until, page_rows)
    except FetchError as exc:  # ArchiveError included: an answer that is not a CDX listing
        message = f"CDX listing failed: {exc}"
        url = where.cdx.replace("{url}", doc.url)
        entry.errors.append(CaptureError(doc.provider, doc.id, None, url, exc.kind, message))
        return []
    entry.listed, entry.warnings = len(listing.captures), listing.warnings
    return listing.captures


def _settled(sf: SessionFactory, doc: DocumentConfig) -> set[str]:
    with sf() as s:
        row = store.find_document(s, doc.provider, doc.id)
        if row is None:
            return set()
        return settled_timestamps(store.archive_attempts(s, row.id), settings_fingerprint(doc))


async def _run(
    read: Reader,
    sf: SessionFactory,
    locks: Locks,
    work: Sequence[Item],
    on_progress: ProgressCallback,
    window: int,
    content: ContentSettings,
) -> None:
    """Fetch and read up to ``window`` captures ahead; record each in order when read."""
    items = iter(work)
    ahead: deque[tuple[Item, asyncio.Task[Read]]] = deque()

    def refill() -> None:
        while len(ahead) < max(1, window):
            item = next(items, None)
            if item is None:
                return
            ahead.append((item, read.start(item)))

    refill()
    done, held, settled = 0, "", set[str]()
    try:
        while ahead:
            batch = await _next_batch(ahead)
            refill()
            doc = batch[0][0].doc
            if doc.key != held:  # one document's lock at a time, never two: no deadlock
                if held:
                    await asyncio.to_thread(locks.release, document_lock(held))
                await _take(locks, doc.key)
                held = doc.key
                settled = await asyncio.to_thread(_settled, sf, doc)  # by another run
            todo = [(item, got) for item, got in batch if item.capture.timestamp not in settled]
            outcomes = iter(await asyncio.to_thread(_record, sf, todo, content) if todo else [])
            for item, got in batch:
                if item.capture.timestamp in settled:
                    item.entry.skipped += 1
                else:
                    tally(item.entry, item.capture, item.url, got.result, next(outcomes))
                done += 1
                key, timestamp = item.entry.key, item.capture.timestamp
                on_progress(BackfillProgress(len(work), done, key, timestamp, item.entry))
    finally:
        for _, pending in ahead:
            pending.cancel()
        await asyncio.gather(*(t for _, t in ahead), return_exceptions=True)


async def _next_batch(ahead: deque[tuple[Item, asyncio.Task[Read]]]) -> list[tuple[Item, Read]]:
    """The next capture once read, with the captures of the same document after it that
    are read already (up to ``BATCH``): they are recorded in one transaction."""
    item, task = ahead.popleft()
    batch = [(item, await task)]
    while ahead and len(batch) < BATCH:
        following, ready = ahead[0]
        if following.doc.key != item.doc.key or not ready.done():
            break
        ahead.popleft()
        batch.append((following, ready.result()))
    return batch


async def _take(locks: Locks, key: str) -> None:
    """Take the document's lock, waiting while a live process (a check, a backfill) has it."""
    name = document_lock(key)
    holder = await asyncio.to_thread(locks.acquire, name)
    if holder is not None:
        log.info("backfill of %s waits: %s", key, holder.describe())
    while holder is not None:
        await asyncio.sleep(LOCK_POLL)
        holder = await asyncio.to_thread(locks.acquire, name)


def _record(
    sf: SessionFactory, batch: Sequence[tuple[Item, Read]], content: ContentSettings
) -> list[DocumentReport]:
    """Record fetched captures of one document (or their failures) in one transaction,
    oldest first. A capture raising something unforeseen (a bug on odd content) is
    reported as an ``internal`` error and not recorded, so the next run retries it: the
    batch is then recorded again one capture per transaction."""
    try:
        with sf.begin() as s:
            return [_record_one(s, item, got, content) for item, got in batch]
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot record {batch[0][0].url}: {exc}") from exc
    except Exception as exc:
        if len(batch) > 1:
            return [report for one in batch for report in _record(sf, [one], content)]
        doc = batch[0][0].doc
        report = DocumentReport(doc.provider, doc.id, "error", url=doc.url)
        report.error_kind, report.error = "internal", f"{type(exc).__name__}: {exc}"
        return [report]


def _record_one(s: Session, item: Item, got: Read, content: ContentSettings) -> DocumentReport:
    doc, result = item.doc, got.result
    attempt = Attempt.of(result, url=item.url, validators=False)
    if result.error is not None or result.content is None:
        kind = result.error.kind if result.error is not None else "empty"
        message = str(result.error) if result.error is not None else "empty answer"
        at = item.capture.captured_at
        return record_failure(s, doc, attempt, "archive", kind, message, at)
    actual = parse_timestamp(captured_timestamp(result, item.capture))
    capture = Capture(result.content, result.content_type, actual, "archive", got.delta)
    return process_capture(s, doc, capture, attempt, content, got.analysis)
