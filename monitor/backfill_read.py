"""Reading a backfill's captures in worker processes, ahead of their recording.

    fetch ──► worker: the text's SHA-256 only (``read_digest``), every capture at once
          ──► in each document's order (a capture waits for the one before it):
                same text as the capture before ─► recorded by that digest
                another text ──► worker again: clauses, positions and the change summary
                                 against the text before (``worker.analyse`` with a ``Basis``)

A document's captures are mostly the same text as the one before (the archive lists every
capture whose bytes differ, and tracking tokens change the bytes): those never send their
text back. A new text is read a second time, against the text before it, in a worker while
earlier captures are being recorded, so the recorder only writes. The first capture of a
document in a run is read against the version in force at its time in the database. What
the recorder finds in the database decides (``capture.process_capture``): a digest that is
no neighbouring version's text, or a reading against another text than the version before
the capture, is read again there.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from . import readings, store
from .archive import ArchivedCapture
from .backfill_report import DocumentBackfill
from .db import SessionFactory
from .fetch import Fetcher, FetchResult
from .model import DocumentConfig
from .snapshot_codec import Delta
from .worker import Analysis, Basis, Digest, Workers


@dataclass(frozen=True)
class Item:
    """One capture to fetch, read and record."""

    doc: DocumentConfig
    entry: DocumentBackfill
    capture: ArchivedCapture
    url: str


@dataclass(frozen=True)
class Read:
    """A fetched capture and what a worker read in it (``None``: left to the recorder)."""

    result: FetchResult
    analysis: Analysis | Digest | None = None
    delta: Delta | None = None  # the page packed against the capture fetched before it


@dataclass(frozen=True)
class _Link:
    """The text the next capture of a document is read against: its digest and text, and
    as a ``Basis`` when its clause texts and positions are known as they are stored.
    All ``None``: no text before it (or none known)."""

    digest: str | None = None
    text: str | None = None
    basis: Basis | None = None


class Reader:
    """Starts the reading of captures in order; each resolves, for its document's next
    capture, the link it is read against and the bytes it is packed against."""

    def __init__(self, fetcher: Fetcher, workers: Workers, sf: SessionFactory) -> None:
        self.fetcher, self.workers, self.sf = fetcher, workers, sf
        self._last: dict[str, _Chain] = {}

    def start(self, item: Item) -> asyncio.Task[Read]:
        loop = asyncio.get_running_loop()
        before = self._last.get(item.doc.key)
        after = self._last[item.doc.key] = _Chain(loop.create_future(), loop.create_future())
        return asyncio.ensure_future(self._read(item, before, after))

    async def _read(self, item: Item, before: _Chain | None, after: _Chain) -> Read:
        try:
            read, link = await self._chained(item, before, after)
        except BaseException:
            after.link.cancel()  # the document's next captures are cancelled too
            after.body.cancel()
            raise
        after.link.set_result(link)
        return read

    async def _chained(
        self, item: Item, before: _Chain | None, after: _Chain
    ) -> tuple[Read, _Link]:
        """Fetch and read ``item`` against the text before it (``before``: the previous
        capture's, else the database's version in force)."""
        result = await self.fetcher.fetch(item.url)
        content, kind = result.content, result.content_type
        base = await before.body if before is not None else None
        after.body.set_result(content if result.error is None and content else base)
        first: Analysis | Digest | None = None
        if result.error is None and content is not None:
            first = await self._first(item.doc, content, kind, base)
        link = await before.link if before is not None else await self._from_db(item)
        if result.error is not None or content is None:
            return Read(result), link  # recorded as a failure: the version in force stays
        delta = first.delta if isinstance(first, Digest) else None
        if first is None:
            return Read(result), _Link()  # the pool failed: the recorder reads it
        digest = _digest(first)
        if digest is None or digest == link.digest:
            return Read(result, first, delta), link  # an error, or the text before it again
        stored = frozenset({link.digest}) if link.digest else frozenset()
        doc, basis = item.doc, link.basis
        analysis = await self.workers.analyse(doc, content, kind, link.text, stored, basis)
        return Read(result, analysis, delta), _after(analysis, digest, link)

    async def _first(
        self, doc: DocumentConfig, content: bytes, kind: str | None, base: bytes | None
    ) -> Analysis | Digest | None:
        """The digest of the capture's text, and the page packed against ``base``; with
        clause rules (whose misses are reported for every capture) the whole reading."""
        if doc.clauses:
            return await self.workers.analyse(doc, content, kind, None, frozenset())
        return await self.workers.read_digest(doc, content, kind, base)

    async def _from_db(self, item: Item) -> _Link:
        return await asyncio.to_thread(_in_force, self.sf, item.doc, item.capture.captured_at)


@dataclass(frozen=True)
class _Chain:
    """What a capture resolves for the next capture of its document: the link it is read
    against, and the bytes of the last capture fetched (its snapshot is the base of the
    next one's delta, when recorded)."""

    link: asyncio.Future[_Link]
    body: asyncio.Future[bytes | None]


def _digest(first: Analysis | Digest) -> str | None:
    if isinstance(first, Digest):
        return first.text_sha256
    return store.sha256(first.extraction.text) if first.extraction is not None else None


def _after(analysis: Analysis | None, digest: str, link: _Link) -> _Link:
    """The link after a capture read against ``link``: its text, if it is one."""
    if analysis is None:
        return _Link()  # unknown: the recorder reads it
    extraction, clauses, derived = analysis.extraction, analysis.clauses, analysis.derived
    if extraction is None:
        return link  # an error: the version in force stays
    if clauses is None or derived is None or clauses.misses or extraction.clause_misses:
        return _Link(digest, extraction.text)  # stored clause texts differ (a miss keeps one)
    texts = {key: clause.text for key, clause in clauses.clauses.items()}
    return _Link(digest, extraction.text, Basis(None, extraction.text, texts, derived.positions))


def _in_force(sf: SessionFactory, doc: DocumentConfig, at: datetime) -> _Link:
    """The version in force at ``at`` in the database, as a link."""
    with sf() as s:
        row = store.find_document(s, doc.provider, doc.id)
        before = store.neighbours(s, row.id, at)[0] if row is not None else None
        if before is None:
            return _Link()
        clauses = readings.clause_map(s, before)
        basis = Basis(before.id, before.text, clauses, readings.of_version(s, before))
        return _Link(before.text_sha256, before.text, basis)
