"""Version texts: each distinct text of a document stored once (``models.VersionText``),
as a zstd delta against the document's latest keyframe, or as a new keyframe once that
delta would be more than a quarter of the keyframe's own size (the text has drifted far).
Reading a text thus unpacks at most two values. Callers own transactions; nothing here
commits.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import snapshot_codec
from .models import Version, VersionText, remember_text
from .snapshot_codec import sha256

KEYFRAME_SHARE = 4  # a delta larger than 1/4 of its keyframe's packed size: a new keyframe


def put_text(s: Session, document_id: int, text: str) -> str:
    """Store ``text`` for ``document_id`` unless stored already; its SHA-256."""
    raw = text.encode("utf-8")
    digest = sha256(raw)
    remember_text(digest, raw)
    stored = select(VersionText.id).where(
        VersionText.document_id == document_id, VersionText.sha256 == digest
    )
    if s.scalar(stored) is not None:
        return digest
    keyframe = s.scalars(
        select(VersionText)
        .where(VersionText.document_id == document_id, VersionText.base_id.is_(None))
        .order_by(VersionText.id.desc())
        .limit(1)
    ).first()
    content, on_keyframe = pack_text(
        raw, (keyframe.raw(), len(keyframe.content)) if keyframe is not None else None
    )
    row = VersionText(document_id=document_id, sha256=digest, size=len(raw), content=content)
    if on_keyframe and keyframe is not None:
        row.base_id = keyframe.id
    s.add(row)
    s.flush()
    return digest


def pack_text(raw: bytes, keyframe: tuple[bytes, int] | None) -> tuple[bytes, bool]:
    """``raw`` packed, and whether as a delta on ``keyframe`` (its raw text and its packed
    size): so when that delta is at most a ``KEYFRAME_SHARE``th of the keyframe, else on
    its own (a new keyframe). Migration 0005 packs the stored texts with it too."""
    if keyframe is not None:
        delta = snapshot_codec.pack_delta(raw, keyframe[0])
        if len(delta) * KEYFRAME_SHARE <= keyframe[1]:
            return delta, True
    return snapshot_codec.pack(raw), False


def set_version_text(s: Session, version: Version, text: str) -> None:
    """Make ``text`` the text of ``version`` (a re-read version: its old text row stays,
    other versions or keyframe deltas may use it)."""
    version.text_sha256 = put_text(s, version.document_id, text)
    s.expire(version, ["stored_text"])  # the row of its old text, if loaded
