"""``tosmon reextract``: re-read every stored version from its stored snapshot.

After an upgrade with new extraction, clause or position rules (or new ``select`` /
``remove`` / ``ignore`` settings), stored history keeps the old readings. For each
document, in one transaction:

    versions (oldest first) ──► load_snapshot ──► extract ──► find_clauses ──► read_positions
        │ a version whose reading changed: new text / clauses / positions, and a
        │ ``reextractions`` row (origin "reextract") saying what the reading gained
        └─► every change between consecutive versions recomputed from the new readings

The document's own history is never rewritten: versions are kept with their numbers and
capture times, a version whose re-read text equals its predecessor's gets a ``cosmetic``
change, and nothing is ever alerted (a change that was waiting for an alert and became
cosmetic is not sent). A snapshot that the current rules cannot read (``ExtractError``)
is reported for that version, which keeps its old reading. Running it twice changes
nothing the second time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

from sqlalchemy import delete
from sqlalchemy.orm import Session

from . import readings, store
from .clauses import find_clauses
from .db import SessionFactory
from .errors import ExtractError
from .extract import extract
from .locks import Locks, document_lock
from .model import DocumentConfig
from .models import ClauseText, Reextraction, Snapshot, Version
from .positions import Position, PositionKey, read_positions
from .record import resummarize
from .summary import summarize_reading


@dataclass(frozen=True)
class Reading:
    """What is read from one version: text, clauses (key → (text, source)), positions."""

    text: str
    clauses: Mapping[str, tuple[str, str]]
    positions: Mapping[PositionKey, Position]

    @property
    def clause_texts(self) -> dict[str, str]:
        return {k: t for k, (t, _) in self.clauses.items()}


@dataclass(frozen=True)
class VersionError:
    version: int
    kind: str
    error: str


@dataclass
class DocumentReextraction:
    """What re-reading one document did (``reextract --json``: one per document)."""

    provider: str
    document: str
    versions: int = 0
    improved: list[int] = field(default_factory=list)  # versions whose reading changed
    cosmetic: list[int] = field(default_factory=list)  # versions whose change became cosmetic
    changes_updated: int = 0
    errors: list[VersionError] = field(default_factory=list)
    locked: str | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


Progress = Callable[[str, int, int], None]  # (document key, versions done, versions in all)


def reextract_documents(
    sf: SessionFactory, docs: list[DocumentConfig], progress: Progress = lambda k, n, t: None
) -> list[DocumentReextraction]:
    """Re-read each document with history, under its lock, one transaction each."""
    out = []
    with Locks(sf) as locks:
        for doc in docs:
            with sf() as s:
                if store.find_document(s, doc.provider, doc.id) is None:
                    continue  # never checked: nothing stored to re-read
            with locks.holding(document_lock(doc.key)) as holder:
                if holder is not None:
                    out.append(DocumentReextraction(doc.provider, doc.id, locked=holder.describe()))
                    continue
                with sf.begin() as s:
                    out.append(reextract_document(s, doc, progress))
    return out


def reextract_document(
    s: Session, doc: DocumentConfig, progress: Progress = lambda k, n, t: None
) -> DocumentReextraction:
    """Re-read every version of ``doc`` (inside the caller's transaction)."""
    row = store.find_document(s, doc.provider, doc.id)
    report = DocumentReextraction(doc.provider, doc.id)
    if row is None:
        return report
    versions = store.versions(s, row.id)
    report.versions = len(versions)
    previous: Reading | None = None
    for n, version in enumerate(versions, 1):
        old = _stored_reading(s, version)
        try:
            new = _read(s, doc, version, previous)
        except (ExtractError, KeyError) as exc:
            kind = exc.kind if isinstance(exc, ExtractError) else "snapshot"
            report.errors.append(VersionError(n, kind, _describe(exc)))
            new = old
        if _apply(s, row.id, version, old, new):
            report.improved.append(n)
        previous = new
        progress(doc.key, n, len(versions))
    for n in range(2, len(versions) + 1):
        updated, cosmetic = _recompute_change(s, versions[n - 2], versions[n - 1])
        report.changes_updated += updated
        if cosmetic:
            report.cosmetic.append(n)
    return report


def _describe(exc: Exception) -> str:
    return str(exc) if isinstance(exc, ExtractError) else f"stored snapshot {exc} is missing"


def _stored_reading(s: Session, version: Version) -> Reading:
    rows = store.clause_texts(s, version.id)
    return Reading(
        version.text,
        {k: (r.text, r.source) for k, r in rows.items()},
        readings.of_version(s, version),
    )


def _read(s: Session, doc: DocumentConfig, version: Version, previous: Reading | None) -> Reading:
    """The version's snapshot read with today's rules (as ``pipeline.process_capture`` does)."""
    snapshot = s.get_one(Snapshot, version.snapshot_sha256)
    content = store.load_snapshot(s, version.snapshot_sha256)
    extraction = extract(
        content, snapshot.content_type, doc, previous.text if previous is not None else None
    )
    found = find_clauses(extraction, doc.clauses, doc.custom_clauses)
    clauses: dict[str, tuple[str, str]] = {k: (c.text, c.source) for k, c in found.clauses.items()}
    misses = set(found.misses) | set(extraction.clause_misses)
    if previous is not None:  # a selector that missed keeps the clause: a miss is no deletion
        clauses.update(
            {k: previous.clauses[k] for k in misses if k in previous.clauses and k not in clauses}
        )
    texts = {k: t for k, (t, _) in clauses.items()}
    return Reading(extraction.text, clauses, read_positions(extraction.blocks, texts))


def _apply(s: Session, document_id: int, version: Version, old: Reading, new: Reading) -> bool:
    """Store ``new`` as the version's reading; record a re-extraction when it differs."""
    readings.save(s, version.id, new.positions)
    same = (old.text, dict(old.clauses), dict(old.positions))
    if same == (new.text, dict(new.clauses), dict(new.positions)):
        return False
    change = summarize_reading(
        old.text,
        new.text,
        old.clause_texts,
        new.clause_texts,
        old.positions,
        new.positions,
    )
    if new.text != old.text:
        store.set_version_text(s, version, new.text)
    if dict(new.clauses) != dict(old.clauses):
        s.execute(delete(ClauseText).where(ClauseText.version_id == version.id))
        store.add_clause_texts(s, version, [(k, t, src) for k, (t, src) in new.clauses.items()])
    s.add(
        Reextraction(
            document_id=document_id,
            version_id=version.id,
            captured_at=version.captured_at,
            summary=json.dumps(change.as_dict()),
            origin="reextract",
        )
    )
    s.flush()
    return True


def _recompute_change(s: Session, before: Version, after: Version) -> tuple[int, bool]:
    """Re-summarize the change ``before`` → ``after``: (1 if it was rewritten, whether it
    became cosmetic). Its origin and alert state stay; a pending alert of a change that is
    now cosmetic is dropped; nothing becomes pending."""
    change = store.change_to(s, after.id)
    back = change.reverts_to_id if change is not None else None
    summary, pairs, reverts_to = resummarize(s, before, after, back)
    if change is None or json.loads(change.summary) == summary:
        return 0, False
    change.reverts_to_id = reverts_to  # a return stays one while the texts still match
    became_cosmetic = change.kind != "cosmetic" and summary["kind"] == "cosmetic"
    change.kind, change.severity = summary["kind"], summary.get("severity")
    change.summary = json.dumps(summary)
    if change.kind == "cosmetic" and change.alert == "pending":
        change.alert = "none"
    store.set_clause_changes(s, change, pairs, summary)
    return 1, became_cosmetic
