"""The live check: lock → fetch → read → record, every document on its own.

    fetch (fetch.py) ──► 304, or the bytes of the last good fetch: batched bookkeeping
                     │       (``bookkeeping``: one transaction for a whole batch)
                     ──► a page: read by a worker (``worker``), then recorded by
                     │       ``capture.process_capture`` (the path backfills use too)
                     ──► a failure: ``capture.record_failure``

The event loop only fetches: pages are read in worker processes and transactions run
on a thread, one at a time. A failing document never stops the others; its reason is in
the report.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import AsyncExitStack, suppress
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from . import readings, store
from .bookkeeping import (
    LastGood,
    SameText,
    Unchanged,
    last_good,
    last_snapshot,
    record_same_text,
    record_unchanged,
    without_row,
)
from .capture import (
    RULES_VERSION,
    Attempt,
    Capture,
    DocumentReport,
    process_capture,
    settings_fingerprint,
)
from .db import SessionFactory, fault_message, reader
from .errors import StoreError
from .fetch import Fetcher, FetchResult, Validators
from .live_record import internal_error, process_fetch, track_outage
from .locks import Holder, Locks, document_lock
from .model import Config, ContentSettings, DocumentConfig
from .worker import Analysis, Basis, Digest, Workers

log = logging.getLogger(__name__)
T = TypeVar("T")
BATCH = 100  # unchanged documents recorded per transaction, at most
BATCH_SECONDS = 1.0  # ...and at least this often while a run goes on
BATCH_BYTES = 8_000_000  # ...and once the pages held for it (``SameText``) weigh this much
__all__ = [  # the capture path's names, re-exported for the callers of this module
    "RULES_VERSION",
    "Attempt",
    "Capture",
    "DocumentReport",
    "process_capture",
    "process_fetch",
    "settings_fingerprint",
    "track_outage",
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
            "warnings": [asdict(r) for r in self.results if r.warning and r.error is None],
        }


def in_force(sf: SessionFactory, doc: DocumentConfig) -> Basis | None:
    """What a live capture is read against: the latest version, with its clause texts and
    positions (``None``: the document has no version yet)."""
    with reader(sf)() as s:
        latest = store.latest_version_of(s, doc.provider, doc.id)
        if latest is None:
            return None
        clauses = readings.clause_map(s, latest)
        return Basis(latest.id, latest.text, clauses, readings.of_version(s, latest))


async def check_documents(
    config: Config,
    sf: SessionFactory,
    docs: Sequence[DocumentConfig],
    on_result: Callable[[DocumentReport], None] = lambda r: None,
    transport: Any = None,
    stop: threading.Event | None = None,
    locks: Locks | None = None,
    workers: Workers | None = None,
) -> CheckReport:
    """Fetch ``docs`` concurrently and record each as soon as it arrives.

    Each document is checked under its database lock (``locks.py``): one held by another
    live process is skipped with outcome ``locked``. Once ``stop`` is set, fetched
    documents are still recorded (each its own transaction, unchanged ones in a batch),
    fetches in flight are abandoned (nothing was written for them) and unstarted
    documents are skipped. Whatever happens — an internal error, a database fault, a
    cancellation — every lock this run took is released before it returns or raises
    (also in a daemon's ``locks``). Pages are read by ``workers`` (default: a pool for
    this run) while fetches go on, and recorded on a thread: the event loop only fetches.
    """
    report = CheckReport()
    stop = stop or threading.Event()

    def done(outcome: DocumentReport) -> None:
        report.results.append(outcome)
        on_result(outcome)

    async with AsyncExitStack() as stack:
        guard = locks if locks is not None else stack.enter_context(Locks(sf))
        fetcher = await stack.enter_async_context(Fetcher(config.fetch, transport=transport))
        pool = workers if workers is not None else stack.enter_context(Workers(len(docs)))
        run = _Run(sf, guard, fetcher, config.content, pool)
        run.known = await run.read_db("read", last_good, reader(sf), docs)
        run.new = await run.read_db("read", without_row, reader(sf), docs)
        run.holders = await run.lock_all(docs)
        try:
            await run.fetch_all(docs, stop, done)
        finally:
            await run.abandon()
            run.release_all()
    order = {d.key: i for i, d in enumerate(docs)}
    report.results.sort(key=lambda r: order.get(r.key, 0))
    return report


@dataclass(frozen=True)
class _Fetched:
    """One document's fetch (or the holder of its lock), and its page as a worker read it,
    or the bookkeeping it needs when nothing changed."""

    doc: DocumentConfig
    result: FetchResult | Holder
    analysis: Analysis | None = None
    unchanged: Unchanged | SameText | None = None  # recorded in a batch
    slot: bool = False  # holds one of the run's ``pages`` slots until recorded


class _Run:
    """One check run's fetches, the document locks it took and its batch of unchanged
    documents awaiting their transaction."""

    def __init__(
        self,
        sf: SessionFactory,
        guard: Locks,
        fetcher: Fetcher,
        content: ContentSettings,
        workers: Workers,
    ) -> None:
        self.sf, self.guard, self.fetcher, self.content = sf, guard, fetcher, content
        self.reads = reader(sf)
        self.workers = workers
        self.taken: set[str] = set()
        self.known: dict[str, LastGood] = {}
        self.new: set[str] = set()  # documents with no row at the start of the run
        self.holders: dict[str, Holder] = {}
        self.recorded: list[str] = []  # documents recorded one by one, their locks still held
        self.batch: list[Unchanged | SameText] = []
        self.batch_bytes = 0  # of the pages the batch holds
        self.batch_since = time.monotonic()
        # pages fetched and not yet recorded, bodies held: fetch no further ahead of the
        # workers and the recorder than this, so memory does not grow with N
        slots = fetcher.settings.concurrency + 2 * workers.processes
        self.pages = asyncio.Semaphore(slots)
        self.ahead = 4 * slots  # fetches started and not finished, at most (not a task per doc)
        self.waiting: Iterator[DocumentConfig] = iter(())
        self.stop = threading.Event()
        self.tasks: set[asyncio.Task[_Fetched]] = set()
        self.finished: deque[asyncio.Task[_Fetched]] = deque()
        self.arrived = asyncio.Event()

    async def fetch_all(
        self,
        docs: Sequence[DocumentConfig],
        stop: threading.Event,
        done: Callable[[DocumentReport], None],
    ) -> None:
        """Fetch every document of ``docs`` and record each as it comes, until all are
        recorded or ``stop`` is set (then what was fetched is still recorded)."""
        self.waiting, self.stop = iter(docs), stop
        for _ in range(self.ahead):
            self._start_next()
        while self.tasks and not stop.is_set():
            if not self.finished:
                with suppress(TimeoutError):
                    await asyncio.wait_for(self.arrived.wait(), timeout=0.2)
            await self.record_finished(done)
            if self.batch_due(bool(self.tasks) and not stop.is_set()):
                for outcome in await asyncio.to_thread(self.record_batch):
                    done(outcome)
        await self.record_finished(done)
        for outcome in await asyncio.to_thread(self.record_batch):
            done(outcome)

    def _start_next(self) -> None:
        """Start the fetch of the next document, unless the run is stopping."""
        doc = None if self.stop.is_set() else next(self.waiting, None)
        if doc is not None:
            task = asyncio.ensure_future(self.fetch_one(doc))
            task.add_done_callback(self._arrive)
            self.tasks.add(task)

    def _arrive(self, task: asyncio.Task[_Fetched]) -> None:
        self.finished.append(task)
        self.arrived.set()
        self._start_next()

    async def record_finished(self, done: Callable[[DocumentReport], None]) -> None:
        """Record the documents fetched so far (those unchanged join the batch)."""
        self.arrived.clear()
        for _ in range(len(self.finished)):  # those that arrive meanwhile: next time
            task = self.finished.popleft()
            self.tasks.discard(task)
            fetched = task.result()  # a database fault stops the run here
            if fetched.unchanged is not None:
                self.batch.append(fetched.unchanged)
                if isinstance(fetched.unchanged, SameText):
                    self.batch_bytes += len(fetched.unchanged.content)
                continue
            try:
                done(await asyncio.to_thread(self.record, fetched))
            finally:
                if fetched.slot:
                    self.pages.release()

    async def abandon(self) -> None:
        """Cancel the fetches still going; retrieve every task's outcome, those finished
        but not recorded (a database fault stopped the run) included: no "Task exception
        was never retrieved"."""
        self.waiting = iter(())
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()
        self.finished.clear()

    async def fetch_one(self, doc: DocumentConfig) -> _Fetched:
        """Lock ``doc``, fetch it and have a page read by a worker; an unexpected exception
        becomes its ``internal`` error. A page to record keeps its ``pages`` slot."""
        holder = self.holders.pop(doc.key, None)
        if holder is not None:
            return _Fetched(doc, holder)
        await self.pages.acquire()
        try:
            fetched = await self._fetch(doc)
        except BaseException:
            self.pages.release()
            raise
        result = fetched.result
        if fetched.unchanged is None and isinstance(result, FetchResult) and result.content:
            return replace(fetched, slot=True)
        self.pages.release()  # a 304, the same bytes or an error: no page to hold
        return fetched

    async def _fetch(self, doc: DocumentConfig) -> _Fetched:
        started_at = datetime.now(UTC)
        last = self.known.get(doc.key)
        if last is not None and last.settings_sha256 != settings_fingerprint(doc):
            last = None  # other settings: read the page again, whatever its bytes
        try:
            validators = Validators(last.etag, last.last_modified) if last else None
            result = await self.fetcher.fetch(doc.url, validators)
        except Exception as exc:
            error = internal_error(doc, exc, "fetching the page")
            return _Fetched(doc, FetchResult.failed(doc.url, error, started_at))
        if result.error is not None or last is None and result.content is None:
            return _Fetched(doc, result)
        if last is not None and (result.not_modified or result.content is None):
            return _Fetched(doc, result, unchanged=Unchanged.of(doc, result, last))
        assert result.content is not None
        digest = store.sha256(result.content)
        if last is not None and last.snapshot_sha256 == digest:
            unchanged = Unchanged.of(doc, result, last)
            return _Fetched(doc, replace(result, content=None), unchanged=unchanged)
        if last is not None and last.version_sha256 is not None:
            return await self._read_live(doc, result, digest, last, last.version_sha256)
        basis = None
        if doc.key not in self.new:  # a document with no row has no version in force
            basis = await self.read_db(f"read {doc.key} from", in_force, self.sf, doc)
        previous = basis.text if basis else None
        stored = frozenset({store.sha256(previous)}) if previous is not None else frozenset()
        content, kind = result.content, result.content_type
        first = basis is None  # no version yet: the worker packs its first snapshot too
        analysis = await self.workers.analyse(doc, content, kind, previous, stored, basis, first)
        return _Fetched(doc, result, analysis)

    async def _read_live(
        self,
        doc: DocumentConfig,
        result: FetchResult,
        digest: str,
        last: LastGood,
        in_force_sha256: str,
    ) -> _Fetched:
        """A page (SHA-256 ``digest``) with other bytes than ``last``, read by a worker
        against no version and packed against ``last``'s snapshot. The latest version's
        text is ``SameText`` (recorded in a batch, no version in force read for it); a new
        text's change is summarized against the version in force, read only then."""
        assert result.content is not None
        base = await self.read_db(f"read {doc.key} from", last_snapshot, self.reads, last)
        content, kind = result.content, result.content_type
        based = last.snapshot_sha256  # the digest of ``base``
        read = await self.workers.read_live(doc, content, kind, in_force_sha256, base, based)
        if isinstance(read, Digest):
            same = SameText(doc, result, last, digest, read.text_sha256, read.delta)
            return _Fetched(doc, result, unchanged=same)
        if read is not None and read.derived is not None:
            basis = await self.read_db(f"read {doc.key} from", in_force, self.sf, doc)
            if basis is not None:
                read = await self.workers.summarize_read(doc, basis, read)
        return _Fetched(doc, result, read)

    async def lock_all(self, docs: Sequence[DocumentConfig]) -> dict[str, Holder]:
        """Take every document's lock at once (one transaction); those another live
        process holds, by key (each is reported ``locked``)."""
        names = {document_lock(d.key): d.key for d in docs}
        taken = await self.read_db("lock documents in", self.guard.acquire_many, list(names))
        self.taken.update(names[n] for n, holder in taken.items() if holder is None)
        return {names[n]: holder for n, holder in taken.items() if holder is not None}

    async def read_db(self, what: str, read: Callable[..., T], *args: Any) -> T:
        """``read(*args)`` on a thread; a database fault stops the run (``StoreError``)."""
        try:
            return await asyncio.to_thread(read, *args)
        except SQLAlchemyError as exc:
            url = self.sf.kw["bind"].url.render_as_string(hide_password=False)
            raise StoreError(fault_message(url, exc, what)) from exc

    def record(self, fetched: _Fetched) -> DocumentReport:
        """Commit one fetched document and release its lock; report a locked one."""
        doc, result = fetched.doc, fetched.result
        if isinstance(result, Holder):
            return DocumentReport(
                doc.provider, doc.id, "locked", url=doc.url, warning=result.describe()
            )
        try:
            return process_fetch(self.sf, doc, result, self.content, fetched.analysis)
        finally:  # its lock given back with the next batch: one transaction for many
            self.recorded.append(doc.key)

    def batch_due(self, more_coming: bool) -> bool:
        """Whether the batch is to be recorded now (and the locks of the documents recorded
        meanwhile released): full, old enough, or nothing else comes."""
        if not self.batch and not self.recorded:
            self.batch_since = time.monotonic()
            return False
        old = time.monotonic() - self.batch_since >= BATCH_SECONDS
        full = len(self.batch) >= BATCH or self.batch_bytes >= BATCH_BYTES
        return full or old or not more_coming

    def record_batch(self) -> list[DocumentReport]:
        """Record the batch of unchanged documents in one transaction (those of its
        ``SameText`` pages whose history moved on: each in its own); release their locks."""
        batch, self.batch, self.batch_bytes = self.batch, [], 0
        recorded, self.recorded = self.recorded, []
        self.batch_since = time.monotonic()
        if not batch:
            self.release_many(recorded)
            return []
        same = [item for item in batch if isinstance(item, SameText)]
        try:
            with self.sf.begin() as s:
                plain = record_unchanged(s, [i for i in batch if isinstance(i, Unchanged)])
                texts, rest = record_same_text(s, same)
            for item in rest:  # read here (the digest no longer the version in force's)
                digest = Digest(item.text_sha256, item.delta)
                texts.append(process_fetch(self.sf, item.doc, item.result, self.content, digest))
            return plain + texts
        except SQLAlchemyError as exc:
            url = self.sf.kw["bind"].url.render_as_string(hide_password=False)
            first = ", ".join(item.doc.key for item in batch[:3])
            raise StoreError(fault_message(url, exc, f"record {first} in")) from exc
        finally:
            self.release_many([item.doc.key for item in batch] + recorded)

    def release_many(self, keys: list[str]) -> None:
        self.taken.difference_update(keys)
        self.guard.release_many([document_lock(key) for key in keys])

    def release(self, key: str) -> None:
        self.release_many([key])

    def release_all(self) -> None:
        """Release every lock still held by this run; a failing release does not stop the rest."""
        for key in sorted(self.taken):
            try:
                self.release(key)
            except Exception:
                log.error("%s: could not release the document lock", key, exc_info=True)


def now() -> datetime:
    return datetime.now(UTC)
