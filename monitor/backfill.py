"""Archive backfill: replay a document's archived captures through the check pipeline.

    CDX listing (all documents at once) ──► skip captures already settled in the database
        ──► fetch captures ahead, concurrently (Fetcher: rate, retries, Retry-After), and
            have their pages read by worker processes (``worker.Workers``) as they arrive
        ──► record them one at a time, oldest first: ``process_capture(origin="archive")``

Each capture is its own transaction, so an interrupted run loses at most the capture in
flight and the next run continues where it stopped. Versions land in ``captured_at``
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
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from . import store
from .archive import (
    PAGE_ROWS,
    ArchivedCapture,
    ArchiveLayout,
    capture_url,
    format_timestamp,
    memento_timestamp,
    parse_timestamp,
    timestamp_from_url,
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
from .fetch import Fetcher, FetchResult
from .listing import list_captures
from .locks import Locks, document_lock
from .model import Config, ContentSettings, DocumentConfig, FetchSettings
from .timefmt import iso_or_none
from .worker import Analysis, Workers

ARCHIVE_CONCURRENCY = 4  # connections to the archive at once; `rate` is the real limit
WINDOW = 32  # captures fetched ahead of the one being processed
LAYOUT_KINDS = frozenset({"selector", "collapsed", "extract"})
TRANSIENT_KINDS = frozenset({"timeout", "connect", "protocol"})
LOCK_POLL = 0.1  # seconds between tries of a document lock another process holds
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaptureError:
    """A capture (or a listing, ``timestamp`` None) that could not be fetched or processed."""

    provider: str
    document: str
    timestamp: str | None
    url: str
    kind: str
    message: str

    def as_json(self) -> dict[str, Any]:
        """For ``--json``: the archive's ``timestamp`` (its id of the capture) and the
        capture's time as every JSON time is written (ISO 8601 UTC, ``Z``)."""
        when = parse_timestamp(self.timestamp) if self.timestamp else None
        return asdict(self) | {"captured_at": iso_or_none(when)}


@dataclass
class DocumentBackfill:
    """What a backfill did for one document."""

    provider: str
    document: str
    listed: int = 0  # captures the archive lists (in the date range)
    fetched: int = 0  # captures downloaded and processed this run
    skipped: int = 0  # already settled by an earlier run
    versions: int = 0  # new versions recorded
    substantive: int = 0  # substantive changes recorded into these versions
    errors: list[CaptureError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. a listing cut at a server limit

    @property
    def key(self) -> str:
        return f"{self.provider}/{self.document}"


@dataclass
class BackfillReport:
    documents: list[DocumentBackfill] = field(default_factory=list)

    @property
    def errors(self) -> list[CaptureError]:
        return [e for d in self.documents for e in d.errors]

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` summary: documents, captures processed, new versions, errors."""
        docs = self.documents
        return {
            "documents": len(docs),
            "captures": sum(d.fetched for d in docs),
            "versions": sum(d.versions for d in docs),
            "errors": [e.as_json() for e in self.errors],
            "warnings": [f"{d.key}: {w}" for d in docs for w in d.warnings],
            "listed": sum(d.listed for d in docs),
            "skipped": sum(d.skipped for d in docs),
            "substantive_changes": sum(d.substantive for d in docs),
            "per_document": [
                {k: v for k, v in asdict(d).items() if k not in ("errors", "warnings")}
                | {"errors": len(d.errors), "warnings": len(d.warnings)}
                for d in docs
            ],
        }


@dataclass(frozen=True)
class BackfillProgress:
    """Reported once the listings are in (``done`` 0) and after every capture."""

    total: int  # captures to fetch in this run
    done: int
    document: str = ""
    timestamp: str = ""
    entry: DocumentBackfill | None = None  # the counts so far of the capture's document
    documents: tuple[DocumentBackfill, ...] = ()  # every document's listing (first report)


ProgressCallback = Callable[[BackfillProgress], None]


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


def is_settled(attempt: store.ArchiveAttempt, fingerprint: str) -> bool:
    """Whether an earlier attempt settles its capture for good (see the module docstring)."""
    if attempt.outcome != "error":
        return True
    kind = attempt.error_kind or ""
    if kind in LAYOUT_KINDS:
        return attempt.settings_sha256 == fingerprint
    if kind in TRANSIENT_KINDS:
        return False
    if kind == "http":
        status = attempt.status or 0
        return 400 <= status < 500 and status not in (408, 429)
    return kind in ("too_large", "redirect")


def settled_timestamps(attempts: Iterable[store.ArchiveAttempt], fingerprint: str) -> set[str]:
    """Timestamps (as listed, and as actually captured) that need no new fetch."""
    done: set[str] = set()
    for attempt in attempts:
        if not is_settled(attempt, fingerprint):
            continue
        listed = timestamp_from_url(attempt.url)
        if listed:
            done.add(listed)
        if attempt.captured_at is not None:
            done.add(format_timestamp(attempt.captured_at))
    return done


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
        work: list[_Item] = []
        for doc, entry, listing in zip(docs, report.documents, listings, strict=True):
            done = await asyncio.to_thread(_settled, sf, doc)
            todo = [c for c in listing if c.timestamp not in done]
            entry.skipped = len(listing) - len(todo)
            work.extend(_Item(doc, entry, c, capture_url(where, c)) for c in todo)
        on_progress(BackfillProgress(len(work), 0, documents=tuple(report.documents)))
        with Locks(sf) as locks, Workers(len(work)) as workers:
            read = _Reader(fetcher, workers)
            await _run(read, sf, locks, work, on_progress, window, config.content)
    return report


@dataclass(frozen=True)
class _Item:
    doc: DocumentConfig
    entry: DocumentBackfill
    capture: ArchivedCapture
    url: str


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


@dataclass(frozen=True)
class _Reader:
    """Fetches a capture and has its page read by a worker, ahead of its recording."""

    fetcher: Fetcher
    workers: Workers

    async def __call__(self, item: _Item) -> tuple[FetchResult, Analysis | None]:
        result = await self.fetcher.fetch(item.url)
        if result.error is not None or result.content is None:
            return result, None
        # read against no previous text: the one in force is known only once the captures
        # before it are recorded (``process_capture`` completes the collapse check)
        content, kind = result.content, result.content_type
        return result, await self.workers.analyse(item.doc, content, kind)


async def _run(
    read: _Reader,
    sf: SessionFactory,
    locks: Locks,
    work: Sequence[_Item],
    on_progress: ProgressCallback,
    window: int,
    content: ContentSettings,
) -> None:
    """Fetch and read up to ``window`` captures ahead; record each in order when read."""
    items = iter(work)
    ahead: deque[tuple[_Item, asyncio.Task[tuple[FetchResult, Analysis | None]]]] = deque()

    def refill() -> None:
        while len(ahead) < max(1, window):
            item = next(items, None)
            if item is None:
                return
            ahead.append((item, asyncio.ensure_future(read(item))))

    refill()
    done, held, settled = 0, "", set[str]()
    try:
        while ahead:
            item, task = ahead.popleft()
            result, analysis = await task
            refill()
            if item.doc.key != held:  # one document's lock at a time, never two: no deadlock
                if held:
                    await asyncio.to_thread(locks.release, document_lock(held))
                await _take(locks, item.doc.key)
                held = item.doc.key
                settled = await asyncio.to_thread(_settled, sf, item.doc)  # by another run
            if item.capture.timestamp in settled:
                item.entry.skipped += 1
            else:
                outcome = await asyncio.to_thread(_process, sf, item, result, content, analysis)
                _tally(item, result, outcome)
            done += 1
            key, timestamp = item.entry.key, item.capture.timestamp
            on_progress(BackfillProgress(len(work), done, key, timestamp, item.entry))
    finally:
        for _, pending in ahead:
            pending.cancel()
        await asyncio.gather(*(t for _, t in ahead), return_exceptions=True)


async def _take(locks: Locks, key: str) -> None:
    """Take the document's lock, waiting while a live process (a check, a backfill) has it."""
    name = document_lock(key)
    holder = await asyncio.to_thread(locks.acquire, name)
    if holder is not None:
        log.info("backfill of %s waits: %s", key, holder.describe())
    while holder is not None:
        await asyncio.sleep(LOCK_POLL)
        holder = await asyncio.to_thread(locks.acquire, name)


def captured_timestamp(result: FetchResult, listed: ArchivedCapture) -> str:
    """When the capture was really taken: Memento-Datetime, the redirect's URL, the listing."""
    return (
        memento_timestamp(result.memento_datetime)
        or timestamp_from_url(result.final_url)
        or listed.timestamp
    )


def _process(
    sf: SessionFactory,
    item: _Item,
    result: FetchResult,
    content: ContentSettings,
    analysis: Analysis | None = None,
) -> DocumentReport:
    """Record one fetched capture (or its failure) in its own transaction."""
    doc = item.doc
    attempt = Attempt.of(result, url=item.url, validators=False)
    try:
        with sf.begin() as s:
            if result.error is not None or result.content is None:
                kind = result.error.kind if result.error is not None else "empty"
                message = str(result.error) if result.error is not None else "empty answer"
                at = item.capture.captured_at
                return record_failure(s, doc, attempt, "archive", kind, message, at)
            actual = captured_timestamp(result, item.capture)
            capture = Capture(
                result.content, result.content_type, parse_timestamp(actual), "archive"
            )
            return process_capture(s, doc, capture, attempt, content, analysis)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot record {item.url}: {exc}") from exc
    except Exception as exc:  # a bug on odd content: reported, not recorded, so retried
        report = DocumentReport(doc.provider, doc.id, "error", url=doc.url)
        report.error_kind, report.error = "internal", f"{type(exc).__name__}: {exc}"
        return report


def _tally(item: _Item, result: FetchResult, outcome: DocumentReport) -> None:
    entry = item.entry
    if result.error is None:
        entry.fetched += 1
    if outcome.outcome == "error":
        timestamp = captured_timestamp(result, item.capture)
        entry.errors.append(
            CaptureError(
                entry.provider,
                entry.document,
                timestamp,
                item.url,
                outcome.error_kind or "error",
                outcome.error or "",
            )
        )
    elif outcome.outcome in ("new_version", "cosmetic"):
        entry.versions += 1
        if outcome.change is not None and outcome.change.get("kind") == "substantive":
            entry.substantive += 1
