"""Texts of a document's versions, each distinct one stored once (``models.VersionText``):
a version's text as a zstd delta against the document's latest keyframe, or as a new
keyframe once that delta would be more than a quarter of the keyframe's own size (the text
has drifted far); a clause text always as a delta on the keyframe (it is mostly a part of
the version's text). Reading a text thus unpacks at most two values. Callers own
transactions; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from . import snapshot_codec
from .models import ClauseText, Version, VersionText, remember_text
from .snapshot_codec import sha256

KEYFRAME_SHARE = 4  # a delta larger than 1/4 of its keyframe's packed size: a new keyframe


def put_text(s: Session, document_id: int, text: str) -> str:
    """Store the version text ``text`` for ``document_id`` unless stored already; its SHA-256."""
    return put_texts(s, document_id, [text], keyframes=True)[0][0]


def put_texts(
    s: Session, document_id: int, texts: Sequence[str], keyframes: bool = False
) -> list[tuple[str, int]]:
    """(SHA-256, row id) of each of ``texts``, stored for ``document_id`` unless stored
    already (one query for those known, one for the keyframe, one insert); ``keyframes``:
    a text far from the keyframe becomes one (version texts), else every text is a delta."""
    raws = [text.encode("utf-8") for text in texts]
    digests = [sha256(raw) for raw in raws]
    found = s.execute(
        select(VersionText.sha256, VersionText.id).where(
            VersionText.document_id == document_id, VersionText.sha256.in_(set(digests))
        )
    )
    known = {digest: text_id for digest, text_id in found}
    missing = {d: raw for d, raw in zip(digests, raws, strict=True) if d not in known}
    if missing:
        keyframe = s.scalars(
            select(VersionText)
            .where(VersionText.document_id == document_id, VersionText.base_id.is_(None))
            .order_by(VersionText.id.desc())
            .limit(1)
        ).first()
        basis = (keyframe.raw(), len(keyframe.content)) if keyframe is not None else None
        rows = []
        for digest, raw in missing.items():
            content, on_keyframe = pack_text(raw, basis, keyframes)
            base_id = keyframe.id if on_keyframe and keyframe is not None else None
            rows.append(
                {
                    "document_id": document_id,
                    "sha256": digest,
                    "size": len(raw),
                    "content": content,
                    "base_id": base_id,
                }
            )
        returning = insert(VersionText).returning(VersionText.sha256, VersionText.id)
        known.update((digest, text_id) for digest, text_id in s.execute(returning, rows))
    for digest, raw in zip(digests, raws, strict=True):
        remember_text(digest, raw)
    return [(digest, known[digest]) for digest in digests]


def pack_text(
    raw: bytes, keyframe: tuple[bytes, int] | None, keyframes: bool = True
) -> tuple[bytes, bool]:
    """``raw`` packed, and whether as a delta on ``keyframe`` (its raw text and its packed
    size): so when that delta is at most a ``KEYFRAME_SHARE``th of the keyframe or when
    ``keyframes`` is false, else on its own (a new keyframe). Migrations 0005 and 0006
    pack the stored texts with it too."""
    if keyframe is not None:
        delta = snapshot_codec.pack_delta(raw, keyframe[0])
        if not keyframes or len(delta) * KEYFRAME_SHARE <= keyframe[1]:
            return delta, True
    return snapshot_codec.pack(raw), False


def add_clause_texts(s: Session, version: Version, clauses: Sequence[tuple[str, str, str]]) -> None:
    """The clause texts (key, text, source) found in ``version`` (one executemany, no ORM
    objects: nothing reads them in this transaction)."""
    if not clauses:
        return
    stored = put_texts(s, version.document_id, [text for _, text, _ in clauses])
    rows = [
        {"version_id": version.id, "key": key, "text_id": text_id, "source": source}
        for (key, _, source), (_, text_id) in zip(clauses, stored, strict=True)
    ]
    s.execute(insert(ClauseText), rows)


def set_version_text(s: Session, version: Version, text: str) -> None:
    """Make ``text`` the text of ``version`` (a re-read version: its old text row stays,
    other versions or keyframe deltas may use it)."""
    version.text_sha256 = put_text(s, version.document_id, text)
    s.expire(version, ["stored_text"])  # the row of its old text, if loaded
