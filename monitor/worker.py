"""Reading pages outside the write transaction and off the event loop.

``analyse`` is the pure, CPU-heavy part of recording a capture — extraction and clause
finding — and runs in a ``Workers`` pool of processes sized to the machine's cores, so
a check keeps fetching while pages are parsed and a backfill uses every core.
``capture.process_capture`` then only records the ready ``Analysis`` in its transaction.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import multiprocessing
import multiprocessing.forkserver
import os
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, replace
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import ExtractError
from .limits import collapsed
from .model import DocumentConfig, Extraction

if TYPE_CHECKING:  # the stages load when a page is read: a 304 or unchanged run needs none
    from .clauses import ClauseResult
    from .positions import Position, PositionKey
    from .snapshot_codec import Delta
    from .text_codec import PackedTexts

log = logging.getLogger(__name__)
T = TypeVar("T")
POOL_MIN_PAGES = 16  # fewer pages to read than this: a thread (starting processes costs more)
# what a worker runs, imported once by the fork server (its workers inherit them)
STAGES = ("monitor.extract", "monitor.clauses", "monitor.positions", "monitor.summary")
# ... and then this one, which builds the stages' rule indexes for all workers at once
WARMUP = "monitor.warmup"


@dataclass(frozen=True)
class Basis:
    """The version in force that a capture is read against: its id, text, clause texts and
    positions (as stored), so the change summary is made with the page. ``version_id``
    ``None``: a text a backfill has read but not recorded yet (the previous capture of the
    document); the summary is then used only if the version before the capture, when it
    is recorded, has that text and those clause texts."""

    version_id: int | None
    text: str
    clauses: Mapping[str, str]
    positions: Mapping[PositionKey, Position]


@dataclass(frozen=True)
class Derived:
    """A new text's positions, and the summary of its change from version ``before_id``
    (``summary.summarize(...).as_dict()``), made outside the write transaction; with
    ``before_id`` ``None``, from the text ``before_sha256`` with clause texts
    ``before_clauses`` (``Basis``)."""

    before_id: int | None
    positions: Mapping[PositionKey, Position]
    summary: dict[str, Any] | None  # None: made against no text (the document's first)
    before_sha256: str = ""
    before_clauses: Mapping[str, str] | None = None

    def made_against(self, version_id: int, text_sha256: str, clauses: Mapping[str, str]) -> bool:
        """Whether the summary is that of a change from this version."""
        if self.summary is None:
            return False
        if self.before_id is not None:
            return self.before_id == version_id
        return self.before_sha256 == text_sha256 and self.before_clauses == clauses


@dataclass(frozen=True)
class Digest:
    """A capture's text known by its SHA-256 only (``read_digest``): the text itself is
    not sent back, as it is mostly one already stored. ``delta``: the page packed against
    the capture before it, for storing."""

    text_sha256: str
    delta: Delta | None = None


@dataclass(frozen=True)
class Analysis:
    """What one capture's bytes say, before anything is recorded.

    ``previous`` is the text the quality checks compared against (``None``: none, so the
    collapse check against the version in force is still to be made when recording);
    ``clauses`` is ``None`` when they were not looked for (the text is one already stored
    and the document has no clause rules, or no stored texts were given).
    """

    extraction: Extraction | None
    clauses: ClauseResult | None
    error_kind: str | None = None
    error: str | None = None
    previous: str | None = None
    derived: Derived | None = None
    packed: bytes | None = None  # the page packed on its own (``snapshot_codec.pack_page``)
    delta: Delta | None = None  # the page packed against the last good snapshot (``read_live``)
    texts: PackedTexts | None = None  # with ``packed``: the text and clause texts packed too


def analyse(
    doc: DocumentConfig,
    content: bytes,
    content_type: str | None,
    previous: str | None = None,
    stored: Collection[str] | None = None,
    basis: Basis | None = None,
    pack: bool = False,
) -> Analysis:
    """Extract ``doc``'s text and clauses from ``content``; an ``ExtractError`` is the
    analysis' error. ``stored``: SHA-256 of the texts around the capture (``None``:
    unknown, clauses left to the recorder). A new text also gets its positions, and with
    ``basis`` (the version in force, whose text is ``previous``) its change summary.
    ``pack``: a new text's page is also packed to be stored on its own (the document's
    first snapshot, ``snapshot_codec.pack_page``), and its text and clause texts as the
    document's first (``text_codec.pack_first``)."""
    from .clauses import find_clauses
    from .extract import extract

    try:
        extraction = extract(content, content_type, doc, previous)
        digest = _sha256(extraction.text)
        known = stored is not None and digest in stored
        if stored is None or (not doc.clauses and known):
            return Analysis(extraction, None, previous=previous)
        clauses = find_clauses(extraction, doc.clauses, doc.custom_clauses)
    except ExtractError as exc:
        return Analysis(None, None, exc.kind, str(exc), previous)
    misses = clauses.misses or extraction.clause_misses
    if known or misses or (basis is not None and basis.text != previous):
        return Analysis(extraction, clauses, previous=previous)
    derived = derive(basis, extraction, clauses)
    if not pack:
        return Analysis(extraction, clauses, previous=previous, derived=derived)
    packed, texts = _pack(content), _pack_texts(extraction.text, clauses)
    return Analysis(extraction, clauses, None, None, previous, derived, packed, texts=texts)


def derive(basis: Basis | None, extraction: Extraction, clauses: ClauseResult) -> Derived:
    """The positions of a new text and the summary of its change from ``basis`` (none
    without one: the document's first text)."""
    from .positions import read_positions

    positions = read_positions(extraction.blocks, _texts(clauses))
    if basis is None:
        return Derived(None, positions, None)
    return summarized(basis, extraction.text, _texts(clauses), positions)


def summarized(
    basis: Basis,
    text: str,
    clauses: Mapping[str, str],
    positions: Mapping[PositionKey, Position],
) -> Derived:
    """A new text's ``Derived``: its ``positions`` and the summary of its change from
    ``basis`` to ``text`` with clause texts ``clauses``."""
    from .summary import summarize

    summary = summarize(basis.text, text, basis.clauses, clauses, basis.positions, positions)
    digest = _sha256(basis.text) if basis.version_id is None else ""
    clauses_before = basis.clauses if basis.version_id is None else None
    return Derived(basis.version_id, positions, summary.as_dict(), digest, clauses_before)


def _summarized_whole(
    basis: Basis,
    text: str,
    clauses: Mapping[str, str],
    positions: Mapping[PositionKey, Position],
) -> Derived | None:
    """``summarized``, unless ``text`` collapsed against ``basis``' text (``limits``, as
    ``extract`` tells a collapse; ``None``: left to the recorder, which reports it)."""
    if collapsed(text, basis.text):
        return None
    return summarized(basis, text, clauses, positions)


def read_live(
    doc: DocumentConfig,
    content: bytes,
    content_type: str | None,
    in_force_sha256: str,
    base: bytes | None = None,
    base_sha256: str | None = None,
) -> Analysis | Digest:
    """A live page read against no previous text: only its ``Digest`` when its text is
    the version in force's (SHA-256 ``in_force_sha256``), else its analysis with its
    clauses and positions, the summary left to ``Workers.summarize_read`` (which needs the
    version in force, read only then). ``base``: the last good snapshot's bytes (SHA-256
    ``base_sha256``), to pack the page against (either way)."""
    from .clauses import find_clauses
    from .extract import extract
    from .positions import read_positions
    from .snapshot_codec import delta_on

    try:
        extraction = extract(content, content_type, doc)
        delta = delta_on(content, base, base_sha256) if base is not None else None
        digest = _sha256(extraction.text)
        if digest == in_force_sha256:
            return Digest(digest, delta)
        clauses = find_clauses(extraction, doc.clauses, doc.custom_clauses)
    except ExtractError as exc:
        return Analysis(None, None, exc.kind, str(exc))
    if clauses.misses or extraction.clause_misses:
        return Analysis(extraction, clauses, delta=delta)
    positions = read_positions(extraction.blocks, _texts(clauses))
    return Analysis(extraction, clauses, derived=Derived(None, positions, None), delta=delta)


def _texts(clauses: ClauseResult) -> dict[str, str]:
    return {key: clause.text for key, clause in clauses.clauses.items()}


def read_digest(
    doc: DocumentConfig, content: bytes, content_type: str | None, base: bytes | None = None
) -> Analysis | Digest:
    """The SHA-256 of ``doc``'s text in ``content`` (read against no previous text), or the
    extraction's error as an ``Analysis``; with ``base`` (the bytes of the capture before
    it), the page packed against them too (``snapshot_codec.delta_on``)."""
    from .extract import extract
    from .snapshot_codec import delta_on

    try:
        extraction = extract(content, content_type, doc)
    except ExtractError as exc:
        return Analysis(None, None, exc.kind, str(exc))
    delta = delta_on(content, base) if base is not None else None
    return Digest(_sha256(extraction.text), delta)


def _pack(content: bytes) -> bytes:
    from .snapshot_codec import pack_page

    return pack_page(content)


def _pack_texts(text: str, clauses: ClauseResult) -> PackedTexts:
    from .text_codec import pack_first

    return pack_first(text, (clause.text for clause in clauses.clauses.values()))


def _sha256(text: str) -> str:  # snapshot_codec.sha256 without importing zstandard here
    return hashlib.sha256(text.encode()).hexdigest()


class Workers:
    """A lazily started pool of ``analyse`` processes, one per core, for a run that may
    read ``pages`` pages; on one core or for a few pages, a thread: either way the event
    loop never parses."""

    def __init__(self, pages: int = POOL_MIN_PAGES, processes: int | None = None) -> None:
        cores = processes if processes is not None else (os.cpu_count() or 1)
        self.processes = cores if pages >= POOL_MIN_PAGES else 1
        self._pool: Executor | None = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            _stop_forkserver()

    def _executor(self) -> Executor | None:
        if self.processes <= 1:
            return None  # the loop's default thread pool
        if self._pool is None:
            # forkserver: workers never inherit the parent's threads, locks or connections;
            # forked from a server that imported this module and the stages once. With
            # "__main__" the server also imports the main script (the `tosmon` console
            # script: the CLI's few modules) once, as multiprocessing does for every worker
            # otherwise; under `python -m` there is none to import. ``WARMUP`` builds the
            # clause and position indexes in the server: each worker inherits them built.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["__main__", __name__, *STAGES, WARMUP])
            self._pool = ProcessPoolExecutor(self.processes, mp_context=context)
        return self._pool

    async def analyse(
        self,
        doc: DocumentConfig,
        content: bytes,
        content_type: str | None,
        previous: str | None = None,
        stored: Collection[str] | None = None,
        basis: Basis | None = None,
        pack: bool = False,
    ) -> Analysis | None:
        """``analyse`` in the pool; ``None`` when the pool failed (a worker died, the page
        raised something unforeseen): the recorder then reads the page itself and reports
        what happened as that document's error."""
        stored_set = frozenset(stored) if stored is not None else None
        args = (doc, content, content_type, previous, stored_set, basis, pack)
        return await self._run(doc, analyse, *args)

    async def read_digest(
        self,
        doc: DocumentConfig,
        content: bytes,
        content_type: str | None,
        base: bytes | None = None,
    ) -> Analysis | Digest | None:
        """``read_digest`` in the pool; ``None`` when the pool failed (as ``analyse``)."""
        return await self._run(doc, read_digest, doc, content, content_type, base)

    async def read_live(
        self,
        doc: DocumentConfig,
        content: bytes,
        content_type: str | None,
        in_force_sha256: str,
        base: bytes | None = None,
        base_sha256: str | None = None,
    ) -> Analysis | Digest | None:
        """``read_live`` in the pool; ``None`` when the pool failed (as ``analyse``)."""
        args = (doc, content, content_type, in_force_sha256, base, base_sha256)
        return await self._run(doc, read_live, *args)

    async def summarize_read(
        self, doc: DocumentConfig, basis: Basis, analysis: Analysis
    ) -> Analysis:
        """``analysis`` (``read_live``'s, of a new text) with the summary of its change from
        ``basis`` made in the pool (only the texts and positions sent), as read against
        ``basis``' text (checked there for a collapse). As it is when there is none to make
        (an error, a clause selector's miss), the text collapsed, or the pool failed: the
        recorder then checks and summarizes it."""
        derived, extraction, clauses = analysis.derived, analysis.extraction, analysis.clauses
        if derived is None or extraction is None or clauses is None:
            return analysis
        args = (basis, extraction.text, _texts(clauses), derived.positions)
        made = await self._run(doc, _summarized_whole, *args)
        if made is None:
            return analysis
        return replace(analysis, derived=made, previous=basis.text)

    async def _run(self, doc: DocumentConfig, work: Callable[..., T], *args: Any) -> T | None:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor(), work, *args)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.debug("%s: analysis in the worker failed", doc.key, exc_info=True)
            return None


def _stop_forkserver() -> None:
    """Stop and reap multiprocessing's fork server once the pool is done: no process is
    left behind, and its CPU time (and its workers') counts to this process's children."""
    server = getattr(multiprocessing.forkserver, "_forkserver", None)
    stop = getattr(server, "_stop", None)  # CPython's own (test) API; absent: left to exit
    if callable(stop):
        try:
            stop()
        except OSError:
            log.debug("could not stop the fork server", exc_info=True)
