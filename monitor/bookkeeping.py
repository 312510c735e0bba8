"""Live checks that change nothing, recorded in batches.

Most documents of a check come back unchanged: a 304, or the very bytes of the last good
fetch under the same extraction settings. What each needs is known before it is fetched
(``last_good``: one read for the whole run) and what it leaves is one attempt row and the
end of an open outage; ``record_unchanged`` writes a whole batch of them in one
transaction instead of a few per document.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from . import episodes, store
from .capture import Attempt, DocumentReport
from .db import SessionFactory
from .fetch import FetchResult
from .model import DocumentConfig
from .models import Document, Episode, FetchAttempt

_CHUNK = 500  # documents per query (SQLite bound parameters)


@dataclass(frozen=True)
class LastGood:
    """What a document's last good live fetch left: its snapshot, settings and validators."""

    document_id: int
    snapshot_sha256: str
    settings_sha256: str | None
    text_sha256: str | None
    etag: str | None
    last_modified: str | None


def last_good(sessions: SessionFactory, docs: Sequence[DocumentConfig]) -> dict[str, LastGood]:
    """The last good live fetch of each of ``docs`` stored with the document's current URL,
    by document key (one read transaction for the run, one query per chunk of documents:
    the latest good attempt of each, a correlated subquery on its index)."""
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
            found.update(_last_good_of(s, listed[start : start + _CHUNK]))
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
        last, attempt = self.last, self.attempt
        return (
            attempt.fields()
            | {
                "document_id": last.document_id,
                "origin": "live",
                "outcome": self.outcome,
                "bytes": self.size,
                "snapshot_sha256": last.snapshot_sha256,
                "settings_sha256": last.settings_sha256,
                "text_sha256": last.text_sha256 if self.outcome == "unchanged" else None,
            }
            | (self._kept_validators() if self.outcome == "not_modified" else {})
        )

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
    ids = {item.last.document_id for item in items}
    outages = s.scalars(
        select(Episode.document_id).where(
            Episode.document_id.in_(ids), Episode.kind == "outage", Episode.ended_at.is_(None)
        )
    )
    broken = set(outages)
    for item in items:
        if item.last.document_id in broken:
            episodes.after_success(s, item.last.document_id, item.attempt.started_at, False)
    return [item.report() for item in items]
