"""Positions stored per version (``version_positions``): writing, reading, filling gaps.

A version recorded by this release has its positions stored when it is recorded
(``record.record_observation``); one recorded by release 0.1 has none until
``tosmon reextract`` stores them, and meanwhile they are read from its stored text and
clause texts (never from the page: no re-parsing of snapshots).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from . import store
from .models import Base, Document, Reextraction, Version, VersionPositions

if TYPE_CHECKING:  # the position rules load when positions are read or written (not for a 304)
    from .position_model import Position, PositionKey

Positions = Mapping["PositionKey", "Position"]


def dumps(positions: Positions) -> str:
    """All 11 positions as JSON, in ``POSITION_KEYS`` order."""
    from .position_model import POSITION_KEYS, Position, position_to_json

    return json.dumps(
        {k: position_to_json(positions.get(k, Position(k, None))) for k in POSITION_KEYS}
    )


def loads(data: str) -> dict[PositionKey, Position]:
    from .position_model import POSITION_KEYS, position_from_json

    raw = json.loads(data)
    return {k: position_from_json(k, raw.get(k) or {"value": None}) for k in POSITION_KEYS}


def save(s: Session, version_id: int, positions: Positions) -> bool:
    """Store ``positions`` for a version; whether anything changed."""
    data = dumps(positions)
    row = s.get(VersionPositions, version_id)
    if row is None:
        s.add(VersionPositions(version_id=version_id, positions=data))
    elif row.positions != data:
        row.positions = data
    else:
        return False
    s.flush()
    return True


def add(s: Session, version_id: int, positions: Positions) -> None:
    """Store the positions of a version just recorded (it has none yet)."""
    s.execute(_INSERT, [{"version_id": version_id, "positions": dumps(positions)}])


# on the table, not the model: no ORM bulk-insert path (~75 µs a statement)
_INSERT = insert(Base.metadata.tables[VersionPositions.__tablename__])


def stored(s: Session, version_id: int) -> dict[PositionKey, Position] | None:
    row = s.get(VersionPositions, version_id)
    return None if row is None else loads(row.positions)


def clause_map(s: Session, version: Version) -> dict[str, str]:
    return {key: row.text for key, row in store.clause_texts(s, version.id).items()}


def of_version(s: Session, version: Version) -> dict[PositionKey, Position]:
    """The stored positions of ``version``, or (release 0.1 data) read from its text."""
    found = stored(s, version.id)
    if found is not None:
        return found
    from .summary import read_version  # the position rules: only for such a version

    return read_version(version.text, clause_map(s, version))


def reextractions(s: Session, document_id: int) -> list[Reextraction]:
    """A document's re-extractions, oldest version first, then in the order made."""
    return list(
        s.scalars(
            select(Reextraction)
            .where(Reextraction.document_id == document_id)
            .order_by(Reextraction.captured_at, Reextraction.id)
        )
    )


def reextractions_made(
    s: Session, since: datetime | None, until: datetime
) -> list[tuple[Reextraction, Document]]:
    """Re-extractions made in (since, until], for the digest's "reading improved"."""
    q = (
        select(Reextraction, Document)
        .join(Document, Reextraction.document_id == Document.id)
        .where(Reextraction.created_at <= until)
        .order_by(Document.provider, Document.slug, Reextraction.captured_at)
    )
    if since is not None:
        q = q.where(Reextraction.created_at > since)
    return [(r, d) for r, d in s.execute(q)]
