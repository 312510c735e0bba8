"""Live checks that change nothing, recorded in batches.

Most documents of a check come back unchanged: a 304, or the very bytes of the last good
fetch under the same extraction settings. What each needs is known before it is fetched
(``last_good``: one read for the whole run) and what it leaves is one attempt row and the
end of an open outage; ``record_unchanged`` writes a whole batch of them in one
transaction instead of a few per document. A page whose bytes changed but whose text is
still that of the latest version (``SameText``: tracking tokens, a rotated nonce) also
leaves its snapshot; ``record_same_text`` writes those in a batch too, once the version
in force is seen to have that text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from . import episodes, store
from .capture import Attempt, DocumentReport
from .db import SessionFactory
from .fetch import FetchResult
from .model import DocumentConfig
from .models import Document, Episode, FetchAttempt, Version
from .store_snapshots import NewSnapshot
from .timefmt import iso

if TYPE_CHECKING:
    from .snapshot_codec import Delta

_CHUNK = 500  # documents per query (SQLite bound parameters)


@dataclass(frozen=True)
class LastGood:
    """What a document's last good live fetch left: its snapshot, settings and validators;
    ``version_sha256``: the text of the document's latest version when the run began."""

    document_id: int
    snapshot_sha256: str
    settings_sha256: str | None
    text_sha256: str | None
    etag: str | None
    last_modified: str | None
    version_sha256: str | None = None


def last_good(sessions: SessionFactory, docs: Sequence[DocumentConfig]) -> dict[str, LastGood]:
    """The last good live fetch of each of ``docs`` stored with the document's current URL,
    by document key (one read transaction for the run, two queries per chunk of documents:
    the latest good attempt of each and its latest version, correlated subqueries on
    their indexes)."""
    with sessions() as s:
        rows = {(p, slug): (i, url) for i, p, slug, url in _documents(s)}
        ids: dict[int, str] = {}
        for doc in docs:
            document_id, url = rows.get((doc.provider, doc.id), (None, None))
            if document_id is not None and url == doc.url:
                ids[document_id] = doc.key
        found: dict[int, LastGood] = {}
        listed = sorted(ids)
        for start in range(0, len(listed), _CHUNK):
            chunk = listed[start : start + _CHUNK]
            versions = _latest_versions(s, chunk)
            for document_id, last in _last_good_of(s, chunk).items():
                version = versions.get(document_id)
                text = version.text_sha256 if version is not None else None
                found[document_id] = replace(last, version_sha256=text)
    return {ids[document_id]: last for document_id, last in found.items()}


def _last_good_of(s: Session, document_ids: Sequence[int]) -> dict[int, LastGood]:
    latest = store.last_good_query(Document.id).with_only_columns(FetchAttempt.id)
    chosen = select(latest.scalar_subquery()).where(Document.id.in_(document_ids))
    query = select(
        FetchAttempt.document_id,
        FetchAttempt.snapshot_sha256,
        FetchAttempt.settings_sha256,
        FetchAttempt.text_sha256,
        FetchAttempt.etag,
        FetchAttempt.last_modified,
    ).where(FetchAttempt.id.in_(chosen))
    out: dict[int, LastGood] = {}
    for document_id, snapshot, settings, text, etag, modified in s.execute(query):
        if snapshot is not None:
            out[document_id] = LastGood(document_id, snapshot, settings, text, etag, modified)
    return out


def without_row(sessions: SessionFactory, docs: Sequence[DocumentConfig]) -> set[str]:
    """The keys of ``docs`` that have no document row yet, so no version to read a page
    against (``pipeline.in_force`` would find none)."""
    with sessions() as s:
        rows = {(provider, slug) for _, provider, slug, _ in _documents(s)}
    return {doc.key for doc in docs if (doc.provider, doc.id) not in rows}


def _documents(s: Session) -> list[tuple[int, str, str, str]]:
    rows = s.execute(select(Document.id, Document.provider, Document.slug, Document.url))
    return [(i, p, slug, url) for i, p, slug, url in rows]


@dataclass(frozen=True)
class Unchanged:
    """A live check that changed nothing: a 304, or the bytes of the last good fetch."""

    doc: DocumentConfig
    attempt: Attempt
    outcome: Literal["not_modified", "unchanged"]
    size: int
    last: LastGood

    @classmethod
    def of(cls, doc: DocumentConfig, result: FetchResult, last: LastGood) -> Unchanged:
        """``result`` (a 304, or the bytes of ``last``) as the bookkeeping it needs."""
        if result.not_modified or result.content is None:
            return cls(doc, Attempt.of(result), "not_modified", 0, last)
        return cls(doc, Attempt.of(result), "unchanged", len(result.content), last)

    def row(self) -> dict[str, object]:
        last = self.last
        text = last.text_sha256 if self.outcome == "unchanged" else None
        row = _attempt_row(self.attempt, last, self.outcome, self.size, last.snapshot_sha256, text)
        return row | (self._kept_validators() if self.outcome == "not_modified" else {})

    def _kept_validators(self) -> dict[str, object]:
        """A 304 may omit the validators: the last good fetch's stay current."""
        last, attempt = self.last, self.attempt
        return {
            "etag": attempt.etag or last.etag,
            "last_modified": attempt.last_modified or last.last_modified,
        }

    def report(self) -> DocumentReport:
        return DocumentReport(self.doc.provider, self.doc.id, self.outcome, url=self.doc.url)


def record_unchanged(s: Session, items: Sequence[Unchanged]) -> list[DocumentReport]:
    """Record ``items`` (inside the caller's one transaction): their attempt rows in one
    insert, and the end of each open outage (``episodes.after_success``)."""
    if not items:
        return []
    s.execute(insert(FetchAttempt), [item.row() for item in items])
    _end_outages(s, [(item.last.document_id, item.attempt) for item in items])
    return [item.report() for item in items]


def _attempt_row(
    attempt: Attempt,
    last: LastGood,
    outcome: Literal["not_modified", "unchanged"],
    size: int,
    snapshot_sha256: str,
    text_sha256: str | None,
) -> dict[str, object]:
    """The live attempt row of a batched check of ``last``'s document."""
    return attempt.fields() | {
        "document_id": last.document_id,
        "origin": "live",
        "outcome": outcome,
        "bytes": size,
        "snapshot_sha256": snapshot_sha256,
        "settings_sha256": last.settings_sha256,
        "text_sha256": text_sha256,
    }


def _end_outages(s: Session, checks: Sequence[tuple[int, Attempt]]) -> None:
    """A good live check of each document (id, attempt) ends its open outage."""
    ids = {document_id for document_id, _ in checks}
    outages = s.scalars(
        select(Episode.document_id).where(
            Episode.document_id.in_(ids), Episode.kind == "outage", Episode.ended_at.is_(None)
        )
    )
    broken = set(outages)
    for document_id, attempt in checks:
        if document_id in broken:
            episodes.after_success(s, document_id, attempt.started_at, False)


def last_snapshot(sessions: SessionFactory, last: LastGood) -> bytes | None:
    """The bytes of ``last``'s snapshot, for a worker to pack the next page against
    (``None``: not stored)."""
    with sessions() as s:
        try:
            return store.load_snapshot(s, last.snapshot_sha256)
        except KeyError:
            return None


@dataclass(frozen=True)
class SameText:
    """A live page whose bytes differ from the last good fetch's (same settings) while its
    text, read by a worker against no previous text, is that of the document's latest
    version; ``delta``: the page packed against the last good snapshot, if the worker did."""

    doc: DocumentConfig
    result: FetchResult
    last: LastGood
    snapshot_sha256: str  # of the page's bytes
    text_sha256: str
    delta: Delta | None = None

    @property
    def content(self) -> bytes:
        assert self.result.content is not None
        return self.result.content

    def snapshot(self) -> NewSnapshot:
        """The page as the snapshot to store."""
        kind, delta = self.result.content_type, self.delta
        return NewSnapshot(self.last.document_id, self.content, kind, delta, self.snapshot_sha256)


@dataclass(frozen=True)
class _Latest:
    """A document's latest version: its text and start."""

    text_sha256: str
    captured_at: datetime


def record_same_text(
    s: Session, items: Sequence[SameText]
) -> tuple[list[DocumentReport], list[SameText]]:
    """Record ``items`` whose document's latest version has their text and starts no later
    than the fetch (inside the caller's one transaction): each snapshot, the attempt rows
    in one insert, the end of each open outage; reported ``unchanged`` with that version,
    as ``capture.process_capture`` records them one by one. The others are returned, to be
    recorded one by one (a backfill or a held suspect moved the history on)."""
    if not items:
        return [], []
    latest = _latest_versions(s, sorted({item.last.document_id for item in items}))
    ready, rest = [], []
    for item in items:
        version = latest.get(item.last.document_id)
        fits = version is not None and version.text_sha256 == item.text_sha256
        if fits and version is not None and version.captured_at <= item.result.started_at:
            ready.append((item, version))
        else:
            rest.append(item)
    rows, reports, checks = [], [], []
    numbers = _version_counts(s, sorted({item.last.document_id for item, _ in ready}))
    snapshots = store.put_snapshots(s, [item.snapshot() for item, _ in ready])
    for (item, version), snapshot in zip(ready, snapshots, strict=True):
        document_id, content = item.last.document_id, item.content
        attempt = Attempt.of(item.result)
        rows.append(
            _attempt_row(attempt, item.last, "unchanged", len(content), snapshot, item.text_sha256)
        )
        checks.append((document_id, attempt))
        doc = item.doc
        report = DocumentReport(doc.provider, doc.id, "unchanged", url=doc.url)
        # the latest version's number (``store.version_number``) is the count of versions
        report.version = numbers[document_id]
        report.captured_at = iso(version.captured_at)
        reports.append(report)
    if rows:
        s.execute(insert(FetchAttempt), rows)
        _end_outages(s, checks)
    return reports, rest


def _latest_versions(s: Session, document_ids: Sequence[int]) -> dict[int, _Latest]:
    """The latest version of each document (by id), in one query per chunk."""
    out: dict[int, _Latest] = {}
    for start in range(0, len(document_ids), _CHUNK):
        chunk = document_ids[start : start + _CHUNK]
        latest = (
            select(Version.id)
            .where(Version.document_id == Document.id)
            .order_by(Version.captured_at.desc(), Version.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        chosen = select(latest).where(Document.id.in_(chunk))
        query = select(Version.document_id, Version.text_sha256, Version.captured_at).where(
            Version.id.in_(chosen)
        )
        for document_id, text, at in s.execute(query):
            out[document_id] = _Latest(text, at)
    return out


def _version_counts(s: Session, document_ids: Sequence[int]) -> dict[int, int]:
    """How many versions each document (by id) has."""
    out: dict[int, int] = {}
    for start in range(0, len(document_ids), _CHUNK):
        chunk = document_ids[start : start + _CHUNK]
        query = (
            select(Version.document_id, func.count())
            .where(Version.document_id.in_(chunk))
            .group_by(Version.document_id)
        )
        out.update((document_id, int(n)) for document_id, n in s.execute(query))
    return out
