"""The one capture path with pages read ahead by worker processes: what gets recorded is
what a capture read inside the transaction would record (real SQLite, real processes)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import procs
import pytest
from servers import LocalServer, Reply
from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from monitor import models, readings, store
from monitor.capture import Attempt, Capture, DocumentReport, process_capture
from monitor.config import load_config
from monitor.db import SessionFactory, open_database
from monitor.model import DocumentConfig
from monitor.models import CompressedText, FetchAttempt, VersionText
from monitor.pipeline import check_documents
from monitor.snapshot_codec import Delta, delta_on
from monitor.worker import Analysis, Digest, Workers, analyse, read_digest

SENTENCE = "We retain the inputs you send to the API for thirty days and then delete them. "


def page(paragraphs: int, extra: str = "") -> bytes:
    body = "".join(f"<p>{SENTENCE}Paragraph {i}.</p>" for i in range(paragraphs))
    return f"<html><body><main><h1>Terms</h1>{body}{extra}</main></body></html>".encode()


class Watched:
    """One watched document in a real SQLite file; captures recorded as a backfill does."""

    def __init__(self, folder: Path) -> None:
        config = folder / "sources.toml"
        config.write_text(
            "\n".join(
                [
                    "[monitor]",
                    f'database = "sqlite:///{folder / "tos.db"}"',
                    "[providers.acme]",
                    'name = "Acme"',
                    "[providers.acme.documents.terms]",
                    'url = "https://example.com/terms"',
                    'select = ["main"]',
                ]
            )
        )
        cfg = load_config(config)
        [self.doc] = cfg.documents()
        self.sessions: SessionFactory = open_database(cfg.database)
        self.at = datetime(2024, 1, 1, tzinfo=UTC)

    def record(
        self, content: bytes, analysis: Analysis | Digest | None, delta: Delta | None = None
    ) -> DocumentReport:
        self.at += timedelta(days=1)
        capture = Capture(content, "text/html", self.at, "archive", delta)
        with self.sessions.begin() as s:
            return process_capture(s, self.doc, capture, Attempt(self.at, "u"), analysis=analysis)

    def versions(self) -> list[str]:
        with self.sessions() as s:
            row = store.find_document(s, "acme", "terms")
            return [v.text for v in store.versions(s, row.id)] if row else []


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[Watched]:
    w = Watched(tmp_path)
    yield w
    w.sessions.kw["bind"].dispose()


def test_a_page_read_ahead_without_history_still_counts_as_collapsed(watched: Watched) -> None:
    """A backfill reads captures before it knows the version in force; a capture whose
    text collapsed to a fraction of that version's is still refused as collapsed when it
    is recorded, and the history keeps the full text."""
    full = page(60)
    assert watched.record(full, analyse(watched.doc, full, "text/html")).outcome == "new_version"
    stub = page(2)
    report = watched.record(stub, analyse(watched.doc, stub, "text/html"))
    assert (report.outcome, report.error_kind) == ("error", "collapsed")
    assert report.error is not None and "collapsed" in report.error
    assert len(watched.versions()) == 1 and "Paragraph 59." in watched.versions()[0]


def test_a_page_read_against_another_text_is_read_again(watched: Watched) -> None:
    """A page read against a text that is not the one in force (here a long text while the
    document's history is short) is read again when recorded: it becomes a new version,
    not a 'collapsed' error meant for another history."""
    short = page(3)
    assert watched.record(short, None).outcome == "new_version"
    longer = page(4)
    stale = analyse(watched.doc, longer, "text/html", previous="x" * 50_000)
    assert stale.error_kind == "collapsed"
    report = watched.record(longer, stale)
    assert report.outcome == "new_version"
    assert len(watched.versions()) == 2 and "Paragraph 3." in watched.versions()[1]


def test_a_capture_known_by_its_text_digest_is_read_again_when_its_text_is_new(
    watched: Watched,
) -> None:
    """A backfill sends back only the digest of a capture's text when it is the text of
    the capture before: the same text in other bytes records no version, a digest of a
    text no version around it has makes the recorder read the page itself."""
    first = page(4)
    assert watched.record(first, read_digest(watched.doc, first, "text/html")).outcome == (
        "new_version"
    )
    same = page(4, "<script>token = 'abc123';</script>")
    report = watched.record(same, read_digest(watched.doc, same, "text/html"))
    assert report.outcome == "unchanged" and report.version == 1
    other = page(5)
    report = watched.record(other, read_digest(watched.doc, other, "text/html"))
    assert report.outcome == "new_version" and report.version == 2
    assert "Paragraph 4." in watched.versions()[1]
    with watched.sessions() as s:
        digests = list(s.scalars(select(FetchAttempt.text_sha256).order_by(FetchAttempt.id)))
    first_text, other_text = watched.versions()
    assert digests == [store.sha256(t) for t in (first_text, first_text, other_text)]


def test_pages_packed_by_a_worker_read_back_whatever_they_were_packed_against(
    watched: Watched,
) -> None:
    """A backfill's worker packs each page against the capture fetched before it; stored
    against another snapshot (that capture was never stored), it is packed again: every
    snapshot reads back as the bytes fetched."""
    pages = [page(4, f"<p>Version {i}.</p>") for i in range(3)]
    watched.record(pages[0], None)
    watched.record(pages[1], None, delta_on(pages[1], b"<html>a capture never stored</html>"))
    watched.record(pages[2], None, delta_on(pages[2], pages[1]))
    with watched.sessions() as s:
        stored = [store.load_snapshot(s, store.sha256(p)) for p in pages]
    assert stored == pages


def test_texts_packed_by_the_reading_worker_are_stored_as_the_recorder_packs_them(
    tmp_path: Path,
) -> None:
    """A first page's text and clause texts packed by the worker that read it (as a first
    live check does) are stored byte for byte as the recorder packs them itself; packed so
    but recorded once the document has a text (another capture came first), they are
    packed again on its keyframe: every text reads back from the database alone."""
    pages = [_terms(300, "Version one."), _terms(301, "Version two.")]
    by_worker, by_recorder = Watched(_folder(tmp_path, "a")), Watched(_folder(tmp_path, "b"))
    clauses: list[dict[str, str]] = []
    try:
        for content in pages:
            packed = analyse(by_worker.doc, content, "text/html", None, frozenset(), None, True)
            assert packed.texts is not None and packed.clauses is not None
            clauses.append({k: c.text for k, c in packed.clauses.clauses.items()})
            assert by_worker.record(content, packed).outcome == "new_version"
            plain = analyse(by_recorder.doc, content, "text/html", None, frozenset())
            assert plain.texts is None
            assert by_recorder.record(content, plain).outcome == "new_version"
        rows = _text_rows(by_worker)
        assert rows == _text_rows(by_recorder) and len(rows) > 2
        models.forget_texts()
        texts = by_worker.versions()
        assert [("Version one" in t, "Version two" in t) for t in texts] == [
            (True, False),
            (False, True),
        ]
        assert _clause_texts(by_worker) == clauses and clauses[0]
    finally:
        by_recorder.sessions.kw["bind"].dispose()
        by_worker.sessions.kw["bind"].dispose()


def _terms(paragraphs: int, extra: str) -> bytes:
    """A page whose lines all differ (a text that packs as a delta on its predecessor's)."""
    body = "".join(
        f"<p>We retain the inputs of project {i} for {i + 30} days, then delete them.</p>"
        for i in range(paragraphs)
    )
    return f"<html><body><main><h1>Terms</h1>{body}<p>{extra}</p></main></body></html>".encode()


def _folder(tmp_path: Path, name: str) -> Path:
    (tmp_path / name).mkdir()
    return tmp_path / name


def _clause_texts(watched: Watched) -> list[dict[str, str]]:
    with watched.sessions() as s:
        row = store.find_document(s, "acme", "terms")
        assert row is not None
        return [readings.clause_map(s, v) for v in store.versions(s, row.id)]


def _text_rows(watched: Watched) -> list[tuple[Any, ...]]:
    with watched.sessions() as s:
        query = select(VersionText.id, VersionText.sha256, VersionText.base_id, VersionText.content)
        return [tuple(row) for row in s.execute(query.order_by(VersionText.id))]


def test_worker_processes_read_pages_as_the_recorder_does(watched: Watched) -> None:
    """Pages read in worker processes (a run with many pages) give the recorder the text
    and clauses it would have found itself; the attempt rows carry that text's digest."""
    pages = [page(5, f"<p>Version {i} of these terms.</p>") for i in range(3)]

    async def read_all(doc: DocumentConfig) -> list[Analysis | None]:
        with Workers(pages=100, processes=2) as workers:
            return list(
                await asyncio.gather(
                    *(workers.analyse(doc, p, "text/html", None, frozenset()) for p in pages)
                )
            )

    read = asyncio.run(read_all(watched.doc))
    for content, analysis in zip(pages, read, strict=True):
        assert analysis is not None and analysis.extraction is not None
        inline = analyse(watched.doc, content, "text/html", None, frozenset())
        assert inline.extraction is not None
        assert analysis.extraction.text == inline.extraction.text
        assert analysis.clauses == inline.clauses
        assert watched.record(content, analysis).outcome == "new_version"
    texts = watched.versions()
    assert [f"Version {i}" in t for i, t in enumerate(texts)] == [True, True, True]
    with watched.sessions() as s:
        digests = list(s.scalars(select(FetchAttempt.text_sha256).order_by(FetchAttempt.id)))
    assert digests == [store.sha256(t) for t in texts]


def test_unchanged_documents_are_recorded_as_a_batch_that_keeps_validators(
    tmp_path: Path, http_server: LocalServer
) -> None:
    """A check of 20 documents where nothing changed — half answer 304 to their ETag,
    half send the same bytes again — records each one (not modified / unchanged) with
    the stored snapshot, and the next check still sends the ETag the 304s kept."""
    urls = {}
    for n in range(20):
        etag = f'"v{n}"' if n % 2 == 0 else None
        http_server.route(f"/p{n}", Reply(body=procs.page(f"Rule {n} applies."), etag=etag))
        urls[f"d{n:02d}"] = http_server.url(f"/p{n}")
    config = load_config(procs.write_config(tmp_path, urls))
    sessions = open_database(config.database)
    docs = config.documents()
    try:
        first = asyncio.run(check_documents(config, sessions, docs))
        assert {r.outcome for r in first.results} == {"new_version"}
        second = asyncio.run(check_documents(config, sessions, docs))
        outcomes = {r.document: r.outcome for r in second.results}
        assert outcomes == {d: "not_modified" if int(d[1:]) % 2 == 0 else "unchanged" for d in urls}
        asyncio.run(check_documents(config, sessions, docs))
        with sessions() as s:
            rows = s.execute(select(FetchAttempt.outcome, FetchAttempt.snapshot_sha256)).all()
        assert len(rows) == 60 and all(snapshot for _, snapshot in rows)
    finally:
        sessions.kw["bind"].dispose()
    for n in range(20):
        sent = [r.headers.get("if-none-match") for r in http_server.requests if r.route == f"/p{n}"]
        assert sent == ([None, f'"v{n}"', f'"v{n}"'] if n % 2 == 0 else [None, None, None])


class SlowReaders(Workers):
    """Readers slower than the fetches (each page waits a little before it is read)."""

    async def analyse(self, *args: Any, **kwargs: Any) -> Analysis | None:
        await asyncio.sleep(0.05)
        return await super().analyse(*args, **kwargs)


def test_a_check_fetches_no_further_ahead_of_its_readers_than_a_few_pages(
    tmp_path: Path, http_server: LocalServer
) -> None:
    """A check of 30 new pages whose readers are slower than the server holds a few pages
    waiting to be read and recorded, never all of them: memory does not grow with the
    number of documents. Each page is still recorded."""
    urls = {}
    for n in range(30):
        http_server.route(f"/p{n}", Reply(body=procs.page(f"Rule {n} applies.")))
        urls[f"d{n:02d}"] = http_server.url(f"/p{n}")
    config = load_config(procs.write_config(tmp_path, urls))
    sessions = open_database(config.database)
    ahead: list[int] = []

    def on_result(report: DocumentReport) -> None:  # fetched, less those recorded before
        ahead.append(len(http_server.requests) - len(ahead))

    try:
        with SlowReaders(pages=1) as readers:
            run = check_documents(config, sessions, config.documents(), on_result, workers=readers)
            report = asyncio.run(run)
    finally:
        sessions.kw["bind"].dispose()
    assert [r.outcome for r in report.results] == ["new_version"] * 30
    window = config.fetch.concurrency + 2  # fetches going on, and two pages for the reader
    assert max(ahead) <= window < 30


def test_stored_texts_read_and_written_on_several_threads_at_once_stay_intact() -> None:
    """A check reads versions on one thread while it records on another: texts written
    and read back through the compressed column on many threads at once come back
    exactly as written (a shared zstd context corrupted them)."""
    column = CompressedText()
    dialect = sqlite.dialect()

    def round_trips(n: int) -> bool:
        text = f"Clause {n}: " + " ".join(f"word{n}-{i}" for i in range(20_000))
        for _ in range(30):
            packed = column.process_bind_param(text, dialect)
            if column.process_result_value(packed, dialect) != text:
                return False
        return True

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(round_trips, range(16)))
