"""Read-side queries behind ``tosmon compare``, ``tosmon export`` and ``tosmon site``.

``History`` reads one database session and caches what reports ask again and again
(versions of a document, positions of a version: those stored per version, read in bulk).
``compare`` builds the cross-provider matrix (position values with scope, evidence and
since when they hold, at a date); ``export`` the terms in force at a date with their
provenance. Everything returned is plain typed data; rendering lives in ``report_render``
and ``site``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import __version__, readings, store
from .archive import ArchivedCapture, capture_url, format_timestamp
from .model import Config, DocumentConfig
from .models import Document, FetchAttempt, Version, VersionPositions
from .positions import POSITION_KEYS, Position, PositionKey, position_to_json
from .timefmt import iso_or_none
from .views import NotFound, before_history

iso = iso_or_none  # the JSON form of a time (``...Z``, to the second); None stays None


class History:
    """Cached reads of one session: versions per document, positions per version."""

    def __init__(self, s: Session) -> None:
        self.s = s
        self._versions: dict[int, list[Version]] = {}
        self._positions: dict[int, dict[PositionKey, Position]] = {}
        self._loaded: set[int] = set()

    def document(self, doc: DocumentConfig) -> Document | None:
        return store.find_document(self.s, doc.provider, doc.id)

    def versions(self, document_id: int) -> list[Version]:
        """All versions, oldest first."""
        if document_id not in self._versions:
            self._versions[document_id] = store.versions(self.s, document_id)
        return self._versions[document_id]

    def in_force(self, document_id: int, at: datetime | None) -> tuple[int, Version] | None:
        """``(number, version)`` of the version in force at ``at`` (``None``: the latest)."""
        found = None
        for n, v in enumerate(self.versions(document_id), 1):
            if at is None or v.captured_at <= at:
                found = (n, v)
        return found

    def clause_texts(self, version: Version) -> dict[str, str]:
        return {k: c.text for k, c in store.clause_texts(self.s, version.id).items()}

    def positions(self, version: Version) -> dict[PositionKey, Position]:
        """The 11 positions of ``version``: as stored when it was recorded (all of a
        document's are loaded at once), else (versions recorded by release 0.1, before
        ``tosmon reextract``) read from its stored text and clause texts."""
        if version.id not in self._positions:
            self._load_stored(version.document_id)
        if version.id not in self._positions:
            self._positions[version.id] = readings.of_version(self.s, version)
        return self._positions[version.id]

    def _load_stored(self, document_id: int) -> None:
        if document_id in self._loaded:
            return
        self._loaded.add(document_id)
        rows = self.s.execute(
            select(VersionPositions.version_id, VersionPositions.positions)
            .join(Version, Version.id == VersionPositions.version_id)
            .where(Version.document_id == document_id)
        )
        for version_id, data in rows:
            self._positions[version_id] = readings.loads(data)


# -- compare -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One position of one document at a date, and since when it holds."""

    key: PositionKey
    position: Position
    since: datetime | None  # captured_at of the version where value or scope last changed

    def as_dict(self) -> dict[str, Any]:
        data = position_to_json(self.position)
        return {
            "value": data["value"],
            "scope": data["scope"],
            "evidence": data["evidence"],
            "since": iso(self.since),
        }


@dataclass(frozen=True)
class Row:
    """One document of the matrix (``version`` is ``None`` when nothing is stored yet)."""

    doc: DocumentConfig
    version: int | None
    captured_at: datetime | None
    cells: tuple[Cell, ...] = ()

    def cell(self, key: PositionKey) -> Cell | None:
        return next((c for c in self.cells if c.key == key), None)

    def as_dict(self) -> dict[str, Any]:
        empty: dict[str, object] = {"value": None, "scope": None, "evidence": [], "since": None}
        return {
            "provider": self.doc.provider,
            "document": self.doc.id,
            "tier": self.doc.tier,
            "version": self.version,
            "captured_at": iso(self.captured_at),
            "positions": {
                k: (c.as_dict() if (c := self.cell(k)) else dict(empty)) for k in POSITION_KEYS
            },
        }


@dataclass(frozen=True)
class Matrix:
    at: datetime
    rows: tuple[Row, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        """``compare --json``: ``{"at", "documents": [...]}``."""
        return {"at": iso(self.at), "documents": [r.as_dict() for r in self.rows]}


def _same(a: Position, b: Position) -> bool:
    return (a.value, a.scope) == (b.value, b.scope)


def since(history: History, versions: Sequence[Version], key: PositionKey) -> datetime:
    """When the last of ``versions`` started to hold its ``key`` position: the capture time
    of the earliest version of the trailing run with the same value and scope."""
    current = history.positions(versions[-1])[key]
    start = versions[-1]
    for v in reversed(versions[:-1]):
        if not _same(history.positions(v)[key], current):
            break
        start = v
    return start.captured_at


def row(history: History, doc: DocumentConfig, at: datetime | None) -> Row:
    """``doc``'s matrix row at ``at`` (``None``: now)."""
    stored = history.document(doc)
    found = history.in_force(stored.id, at) if stored else None
    if stored is None or found is None:
        return Row(doc, None, None)
    n, version = found
    upto = history.versions(stored.id)[:n]
    cells = tuple(
        Cell(k, history.positions(version)[k], since(history, upto, k)) for k in POSITION_KEYS
    )
    return Row(doc, n, version.captured_at, cells)


def select_documents(
    config: Config, providers: Sequence[str] = (), tiers: Sequence[str] = ()
) -> list[DocumentConfig]:
    """Configured documents of ``providers`` and ``tiers`` (empty: all), in file order."""
    known = {d.provider for d in config.documents()}
    unknown = [p for p in providers if p not in known]
    if unknown:
        raise NotFound(
            f"no provider {', '.join(unknown)} in {config.path} "
            f"(configured: {', '.join(sorted(known)) or 'none'})"
        )
    return [
        d
        for d in config.documents()
        if (not providers or d.provider in providers) and (not tiers or d.tier in tiers)
    ]


def compare(history: History, docs: Sequence[DocumentConfig], at: datetime | None = None) -> Matrix:
    """The matrix of ``docs`` as it stood at ``at`` (default: now)."""
    return Matrix(at or datetime.now(UTC), tuple(row(history, d, at) for d in docs))


# -- export ------------------------------------------------------------------------------

_RAW_FLAG = re.compile(r"/(\d{14})id_/")


@dataclass(frozen=True)
class Export:
    """The terms of one document in force at a date, with what a reviewer needs to verify."""

    doc: DocumentConfig
    version: int
    captured_at: datetime
    url: str
    origin: str
    snapshot_sha256: str
    archive_url: str | None
    rules: str
    positions: dict[PositionKey, Position]
    clauses: dict[str, tuple[str, str] | None]  # key → (text, source)
    text: str
    tosmon_version: str = __version__

    def as_dict(self) -> dict[str, Any]:
        """``export --format json``."""
        return {
            "provider": self.doc.provider,
            "document": self.doc.id,
            "version": self.version,
            "captured_at": iso(self.captured_at),
            "url": self.url,
            "origin": self.origin,
            "snapshot_sha256": self.snapshot_sha256,
            "archive_url": self.archive_url,
            "tosmon_version": self.tosmon_version,
            "rules": self.rules,
            "positions": {k: position_to_json(p) for k, p in self.positions.items()},
            "clauses": {
                k: None if c is None else {"text": c[0], "source": c[1]}
                for k, c in self.clauses.items()
            },
            "text": self.text,
        }


def archive_url(s: Session, config: Config, document_id: int, version: Version) -> str | None:
    """Where a reviewer sees the archived capture a version was read from (``None`` for
    live captures): the capture URL the archive answered (or, if that attempt is gone, the
    one ``[archive]`` lays out), without the raw-bytes ``id_`` flag, so the archive shows it
    in its viewer."""
    if version.origin != "archive":
        return None
    fetched = s.scalars(
        select(FetchAttempt.url)
        .where(
            FetchAttempt.document_id == document_id,
            FetchAttempt.origin == "archive",
            FetchAttempt.snapshot_sha256 == version.snapshot_sha256,
            FetchAttempt.captured_at == version.captured_at,
        )
        .limit(1)
    ).first()
    if fetched is None:
        doc = s.get(Document, document_id)
        capture = ArchivedCapture(format_timestamp(version.captured_at), doc.url if doc else "")
        fetched = capture_url(config.archive.layout, capture)
    return _RAW_FLAG.sub(r"/\1/", fetched, count=1)


def rules_fingerprint() -> str:
    """SHA-256 of the code that turns bytes into text, clauses and positions."""
    from .pipeline import RULES_VERSION  # the pipeline's fingerprint of its reading rules

    return RULES_VERSION


def export(
    history: History, config: Config, doc: DocumentConfig, at: datetime | None = None
) -> Export:
    """The version of ``doc`` in force at ``at`` (default: the latest), with provenance."""
    stored = history.document(doc)
    found = history.in_force(stored.id, at) if stored else None
    if stored is not None and found is None and at is not None:
        versions = history.versions(stored.id)
        raise before_history(doc.key, at, versions[0] if versions else None)
    if stored is None or found is None:
        when = f" at or before {iso(at)}" if at else ""
        raise NotFound(
            f"{doc.key} has no version{when}: run `tosmon check` or `tosmon backfill` first"
        )
    n, version = found
    texts = store.clause_texts(history.s, version.id)
    return Export(
        doc=doc,
        version=n,
        captured_at=version.captured_at,
        url=stored.url,
        origin=version.origin,
        snapshot_sha256=version.snapshot_sha256,
        archive_url=archive_url(history.s, config, stored.id, version),
        rules=rules_fingerprint(),
        positions=history.positions(version),
        clauses={
            k: (texts[k].text, texts[k].source) if k in texts else None
            for k in (*config.clause_keys, *sorted(set(texts) - set(config.clause_keys)))
        },
        text=version.text,
    )


def position_moves(
    history: History, before: Version, after: Version
) -> list[tuple[PositionKey, Position, Position]]:
    """The positions whose value or scope differ between two versions, in key order."""
    old, new = history.positions(before), history.positions(after)
    return [(k, old[k], new[k]) for k in POSITION_KEYS if not _same(old[k], new[k])]
