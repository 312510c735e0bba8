"""Every database query of tos-monitor, as small functions taking a ``Session`` (the
history reads of reports, status and email live in ``store_reads``, raw snapshots in
``store_snapshots``; both are re-exported).

Callers own transactions (one per document check, see ``record``); nothing here
commits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    BindParameter,
    Select,
    SQLColumnExpression,
    and_,
    bindparam,
    delete,
    func,
    insert,
    inspect,
    or_,
    select,
)
from sqlalchemy.orm import Session, make_transient_to_detached

from .db import insert_new_id
from .errors import StoreError
from .model import DocumentConfig
from .models import (
    Change,
    ClauseChange,
    ClauseText,
    Document,
    FetchAttempt,
    Version,
    utcnow,
)
from .snapshot_codec import sha256
from .store_reads import (
    ArchiveAttempt,
    CheckHealth,
    ClauseHistoryRow,
    archive_attempts,
    changes_since,
    check_health,
    clause_history,
    count_clause_changes,
    digest_changes,
    due_outbox,
    history_part,
    last_digest_end,
    pending_alerts,
    unsent_outbox,
)
from .store_snapshots import NewSnapshot, load_snapshot, put_snapshot, put_snapshots
from .store_texts import add_clause_texts, new_document, put_text, set_version_text
from .text_codec import PackedTexts

__all__ = [  # store_reads.py's history reads and store_snapshots.py's, re-exported: store.X
    "ArchiveAttempt",
    "NewSnapshot",
    "CheckHealth",
    "ClauseHistoryRow",
    "archive_attempts",
    "changes_since",
    "check_health",
    "clause_history",
    "count_clause_changes",
    "digest_changes",
    "due_outbox",
    "last_digest_end",
    "load_snapshot",
    "pending_alerts",
    "put_snapshot",
    "put_snapshots",
    "add_clause_texts",
    "set_version_text",
    "sha256",
    "unsent_outbox",
]


# -- documents ---------------------------------------------------------------------------


def ensure_document(s: Session, doc: DocumentConfig) -> Document:
    """The row of ``doc``, created on first use; its URL follows the configuration."""
    return document_row(s, doc)[0]


def document_row(s: Session, doc: DocumentConfig) -> tuple[Document, bool]:
    """The row of ``doc`` and whether this call created it: a row created in the caller's
    transaction has no history yet (no attempt, snapshot or version), so a first capture
    needs no look-up of one.

    Created by ``INSERT … ON CONFLICT DO NOTHING``: two processes creating it at once
    (PostgreSQL) both end up with the one row (and only the one whose insert made it is
    told so: the other's waited for that transaction to commit).
    """
    known: dict[tuple[str, str], Document] = s.info.setdefault("documents", {})
    row = known.get((doc.provider, doc.id))
    if row is None or not inspect(row).persistent:  # one look-up per session and document
        row = find_document(s, doc.provider, doc.id)
    created = False
    if row is None:
        values = {"provider": doc.provider, "slug": doc.id, "url": doc.url, "created_at": utcnow()}
        new_id = insert_new_id(s, Document, values, ["provider", "slug"])
        created = new_id is not None
        row = _made(s, Document(id=new_id, **values)) if created else None
        row = row or find_document(s, doc.provider, doc.id)  # the other process made it
        if row is None:
            raise StoreError(f"cannot create the document row of {doc.key}")
        if created:
            s.info.setdefault("created_documents", set()).add(row.id)
            new_document(s, row.id)
    known[(doc.provider, doc.id)] = row
    if row.url != doc.url:
        row.url = doc.url
    return row, created


_Row = TypeVar("_Row", Document, Version)


def _made(s: Session, row: _Row) -> _Row:
    """``row``, just inserted with these values, in the session without reading it back."""
    make_transient_to_detached(row)
    s.add(row)
    return row


def created_here(s: Session, document_id: int) -> bool:
    """Whether document ``document_id``'s row was created in this session, i.e. this
    transaction (``sf.begin()``: one each), so it had no history: no attempt, snapshot,
    version or episode before it."""
    return document_id in s.info.get("created_documents", ())


_FIND_DOCUMENT = select(Document).where(
    Document.provider == bindparam("provider"), Document.slug == bindparam("slug")
)


def find_document(s: Session, provider: str, slug: str) -> Document | None:
    return s.scalars(_FIND_DOCUMENT, {"provider": provider, "slug": slug}).first()


def all_documents(s: Session) -> list[Document]:
    return list(s.scalars(select(Document).order_by(Document.provider, Document.slug)))


# -- fetch attempts ----------------------------------------------------------------------


def add_attempt(s: Session, document_id: int, **fields: Any) -> None:
    """An attempt row (one Core insert: nothing reads it back as an object)."""
    s.execute(insert(FetchAttempt), [{"document_id": document_id, **fields}])


def last_good_attempt(s: Session, document_id: int, origin: str = "live") -> FetchAttempt | None:
    """The latest attempt that yielded content (for validators and the unchanged-bytes shortcut)."""
    query = _LAST_GOOD.get(origin)
    if query is None:
        query = _LAST_GOOD.setdefault(origin, last_good_query(bindparam("document_id"), origin))
    return s.scalars(query, {"document_id": document_id}).first()


def last_good_query(
    document_id: int | SQLColumnExpression[int], origin: str = "live"
) -> Select[FetchAttempt]:
    """The query of ``last_good_attempt`` (narrow it with ``with_only_columns``; a column
    as ``document_id`` makes it a correlated subquery)."""
    return (
        select(FetchAttempt)
        .where(
            FetchAttempt.document_id == document_id,
            FetchAttempt.origin == origin,
            FetchAttempt.error.is_(None),
            FetchAttempt.snapshot_sha256.is_not(None),
            FetchAttempt.outcome != "suspect",  # held content is no baseline for shortcuts
        )
        .order_by(FetchAttempt.started_at.desc(), FetchAttempt.id.desc())
        .limit(1)
    )


_LAST_GOOD: dict[str, Select[FetchAttempt]] = {}  # by origin: built once, bound per call


def attempts(s: Session, document_id: int, limit: int = 50) -> list[FetchAttempt]:
    return list(
        s.scalars(
            select(FetchAttempt)
            .where(FetchAttempt.document_id == document_id)
            .order_by(FetchAttempt.started_at.desc(), FetchAttempt.id.desc())
            .limit(limit)
        )
    )


def recent_live_outcomes(s: Session, document_id: int, limit: int) -> list[tuple[str, str | None]]:
    """(outcome, text_sha256) of the document's latest live attempts, newest first."""
    rows = s.execute(
        select(FetchAttempt.outcome, FetchAttempt.text_sha256)
        .where(FetchAttempt.document_id == document_id, FetchAttempt.origin == "live")
        .order_by(FetchAttempt.started_at.desc(), FetchAttempt.id.desc())
        .limit(limit)
    )
    return [(outcome, text) for outcome, text in rows]


def archived_capture_times(s: Session, document_id: int) -> set[datetime]:
    """Archive timestamps already processed (successfully or not) for ``document_id``."""
    rows = s.scalars(
        select(FetchAttempt.captured_at).where(
            FetchAttempt.document_id == document_id,
            FetchAttempt.origin == "archive",
            FetchAttempt.captured_at.is_not(None),
        )
    )
    return {r for r in rows if r is not None}


# -- versions ----------------------------------------------------------------------------


def versions(s: Session, document_id: int) -> list[Version]:
    """All versions of a document, oldest first (by ``captured_at``)."""
    return list(
        s.scalars(
            select(Version)
            .where(Version.document_id == document_id)
            .order_by(Version.captured_at, Version.id)
        )
    )


def latest_version(s: Session, document_id: int) -> Version | None:
    return s.scalars(
        select(Version)
        .where(Version.document_id == document_id)
        .order_by(Version.captured_at.desc(), Version.id.desc())
        .limit(1)
    ).first()


_LATEST_OF = (
    select(Version)
    .join(Document, Version.document_id == Document.id)
    .where(Document.provider == bindparam("provider"), Document.slug == bindparam("slug"))
    .order_by(Version.captured_at.desc(), Version.id.desc())
    .limit(1)
)


def latest_version_of(s: Session, provider: str, slug: str) -> Version | None:
    """``latest_version`` of a document given by its provider and slug (one query)."""
    return s.scalars(_LATEST_OF, {"provider": provider, "slug": slug}).first()


def _neighbour(later: bool) -> SQLColumnExpression[int]:
    """The id of the version just after (``later``) or at/before ``:at`` (a subquery)."""
    at: BindParameter[datetime] = bindparam("at")
    of_document = Version.document_id == bindparam("document_id")
    query = select(Version.id).limit(1)
    if later:
        query = query.where(of_document, Version.captured_at > at)
        query = query.order_by(Version.captured_at, Version.id)
    else:
        query = query.where(of_document, Version.captured_at <= at)
        query = query.order_by(Version.captured_at.desc(), Version.id.desc())
    return query.scalar_subquery()


_NEIGHBOURS = select(Version).where(Version.id.in_([_neighbour(False), _neighbour(True)]))


def neighbours(s: Session, document_id: int, at: datetime) -> tuple[Version | None, Version | None]:
    """The versions just before (or at) and just after ``at`` (one query)."""
    found = s.scalars(_NEIGHBOURS, {"document_id": document_id, "at": at}).all()
    before = next((v for v in found if v.captured_at <= at), None)
    after = next((v for v in found if v.captured_at > at), None)
    return before, after


def version_at(s: Session, document_id: int, at: datetime) -> Version | None:
    return neighbours(s, document_id, at)[0]


def version_numbers(s: Session, document_id: int) -> dict[int, int]:
    """version id → its 1-based number in chronological order."""
    ids = s.scalars(
        select(Version.id)
        .where(Version.document_id == document_id)
        .order_by(Version.captured_at, Version.id)
    )
    return {vid: n for n, vid in enumerate(ids, 1)}


def version_number(s: Session, version: Version) -> int:
    """The 1-based number of ``version`` in its document's chronological order (as in
    ``version_numbers``), counted in the database."""
    values = {"document_id": version.document_id, "at": version.captured_at, "id": version.id}
    return int(s.scalar(_NUMBER, values) or 0)


_NUMBER = select(func.count()).where(
    Version.document_id == bindparam("document_id"),
    or_(
        Version.captured_at < bindparam("at"),
        and_(Version.captured_at == bindparam("at"), Version.id <= bindparam("id")),
    ),
)


def clause_texts(s: Session, version_id: int) -> dict[str, ClauseText]:
    rows = s.scalars(select(ClauseText).where(ClauseText.version_id == version_id))
    return {r.key: r for r in rows}


def add_version(
    s: Session,
    document_id: int,
    captured_at: datetime,
    text: str,
    snapshot: str,
    origin: str,
    clauses: Sequence[tuple[str, str, str]],
    packed: PackedTexts | None = None,
) -> Version:
    """A new version with its clause texts (key, text, source); ``packed``: its texts packed
    already (``store_texts.put_texts``)."""
    values = {
        "document_id": document_id,
        "captured_at": captured_at,
        "text_sha256": put_text(s, document_id, text, packed),
        "snapshot_sha256": snapshot,
        "origin": origin,
        "created_at": utcnow(),
    }
    # a Core insert (its id returned) and the object put in the session as inserted: no
    # unit-of-work flush for one new row (the rows it refers to are inserted already)
    new_id = s.execute(_INSERT_VERSION, values).scalar_one()
    version = _made(s, Version(id=new_id, **values))
    add_clause_texts(s, version, clauses, packed)
    return version


_VERSIONS = Version.metadata.tables[Version.__tablename__]
_INSERT_VERSION = insert(_VERSIONS).returning(_VERSIONS.c.id)


# -- changes -----------------------------------------------------------------------------


def change_to(s: Session, version_id: int) -> Change | None:
    return s.scalars(select(Change).where(Change.to_version_id == version_id)).first()


def delete_change_to(s: Session, version_id: int) -> None:
    change = change_to(s, version_id)
    if change is not None:
        s.delete(change)
        s.flush()


def add_change(
    s: Session,
    document_id: int,
    before: Version,
    after: Version,
    summary: dict[str, Any],
    clause_pairs: Sequence[tuple[str, str | None, str | None]],
    alert: str,
) -> Change:
    """A change ``before`` → ``after`` with the clause texts that changed (key, old, new)."""
    change = Change(
        document_id=document_id,
        from_version_id=before.id,
        to_version_id=after.id,
        captured_at=after.captured_at,
        kind=summary["kind"],
        severity=summary.get("severity"),
        summary=json.dumps(summary),
        origin=after.origin,
        alert=alert,
    )
    s.add(change)
    s.flush()
    set_clause_changes(s, change, clause_pairs, summary)
    return change


def set_clause_changes(
    s: Session,
    change: Change,
    clause_pairs: Sequence[tuple[str, str | None, str | None]],
    summary: Mapping[str, Any],
) -> None:
    """Make ``clause_pairs`` (key, old, new) the clause texts that ``change`` (whose summary
    is ``summary``) changed, each with its part of the summary for histories."""
    s.execute(delete(ClauseChange).where(ClauseChange.change_id == change.id))
    s.add_all(
        ClauseChange(
            change_id=change.id,
            document_id=change.document_id,
            key=key,
            captured_at=change.captured_at,
            before=old,
            after=new,
            detail=json.dumps(history_part(summary, key)),
        )
        for key, old, new in clause_pairs
    )
    s.flush()


def changes_by_version(s: Session, document_id: int) -> dict[int, Change]:
    rows = s.scalars(select(Change).where(Change.document_id == document_id))
    return {c.to_version_id: c for c in rows}
