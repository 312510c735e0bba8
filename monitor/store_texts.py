"""Texts of a document's versions, each distinct one stored once (``models.VersionText``):
a version's text as a zstd delta against the document's latest keyframe, or as a new
keyframe once that delta would be more than a quarter of the keyframe's own size (the text
has drifted far); a clause text always as a delta on the keyframe (it is mostly a part of
the version's text). Reading a text thus unpacks at most two values. Callers own
transactions; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from .models import Base, ClauseText, Version, VersionText, remember_text
from .snapshot_codec import sha256
from .text_codec import KEYFRAME_SHARE, PackedTexts, pack_text

__all__ = ["KEYFRAME_SHARE", "pack_text"]  # text_codec's, used by migrations 0005 and 0006


@dataclass(frozen=True)
class _Keyframe:
    id: int
    sha256: str
    raw: bytes
    size: int  # of its packed content


@dataclass
class _Stored:
    """The texts of a document stored in this transaction, which created its row (so it
    had none before): what ``put_texts`` would otherwise look up."""

    ids: dict[str, int] = field(default_factory=dict)
    keyframe: _Keyframe | None = None


def new_document(s: Session, document_id: int) -> None:
    """Document ``document_id``'s row was made in this transaction: it has no text yet, and
    the texts stored for it until the transaction ends need no look-up."""
    transaction = s.get_transaction()
    here = s.info.get("new_texts")
    if not isinstance(here, _NewTexts) or here.transaction is not transaction:
        here = s.info["new_texts"] = _NewTexts(transaction)
    here.documents[document_id] = _Stored()


@dataclass
class _NewTexts:
    """The texts stored in one transaction for the documents it created (``new_document``)."""

    transaction: object
    documents: dict[int, _Stored] = field(default_factory=dict)


def _stored_here(s: Session, document_id: int) -> _Stored | None:
    here = s.info.get("new_texts")
    if not isinstance(here, _NewTexts) or here.transaction is not s.get_transaction():
        return None
    return here.documents.get(document_id)


def put_text(s: Session, document_id: int, text: str, packed: PackedTexts | None = None) -> str:
    """Store the version text ``text`` for ``document_id`` unless stored already; its SHA-256."""
    return put_texts(s, document_id, [text], keyframes=True, packed=packed)[0][0]


def put_texts(
    s: Session,
    document_id: int,
    texts: Sequence[str],
    keyframes: bool = False,
    packed: PackedTexts | None = None,
) -> list[tuple[str, int]]:
    """(SHA-256, row id) of each of ``texts``, stored for ``document_id`` unless stored
    already (one query for those known, one for the keyframe, one insert; none of the
    queries for a document whose row this transaction made); ``keyframes``: a text far from
    the keyframe becomes one (version texts), else every text is a delta. ``packed``: texts
    packed already (by the worker that read them), used where they are what would be
    packed here."""
    raws = [text.encode("utf-8") for text in texts]
    digests = [sha256(raw) for raw in raws]
    here = _stored_here(s, document_id)
    if here is not None:
        known = {digest: here.ids[digest] for digest in digests if digest in here.ids}
    else:
        found = s.execute(_KNOWN, {"document_id": document_id, "digests": list(set(digests))})
        known = {digest: text_id for digest, text_id in found}
    missing = {d: raw for d, raw in zip(digests, raws, strict=True) if d not in known}
    if missing:
        keyframe = here.keyframe if here is not None else _keyframe(s, document_id)
        rows = [
            _row(document_id, digest, raw, keyframe, keyframes, packed)
            for digest, raw in missing.items()
        ]
        new = {digest: text_id for digest, text_id in s.execute(_INSERT_TEXTS, rows)}
        known.update(new)
        if here is not None:
            here.ids.update(new)
            here.keyframe = _last_keyframe(rows, new, missing) or here.keyframe
    for digest, raw in zip(digests, raws, strict=True):
        remember_text(digest, raw)
    return [(digest, known[digest]) for digest in digests]


# Core statements on the tables (no ORM bulk-insert path: nothing reads these rows back as
# objects in the transaction; ~75 µs less per statement)
_TEXTS = Base.metadata.tables[VersionText.__tablename__]
_INSERT_TEXTS = insert(_TEXTS).returning(_TEXTS.c.sha256, _TEXTS.c.id)
_INSERT_CLAUSE_TEXTS = insert(Base.metadata.tables[ClauseText.__tablename__])
_KNOWN = select(VersionText.sha256, VersionText.id).where(
    VersionText.document_id == bindparam("document_id"),
    VersionText.sha256.in_(bindparam("digests", expanding=True)),
)
_KEYFRAME = (
    select(VersionText)
    .where(VersionText.document_id == bindparam("document_id"), VersionText.base_id.is_(None))
    .order_by(VersionText.id.desc())
    .limit(1)
)


def _keyframe(s: Session, document_id: int) -> _Keyframe | None:
    """The document's latest keyframe (what a new text is a delta on)."""
    row = s.scalars(_KEYFRAME, {"document_id": document_id}).first()
    return None if row is None else _Keyframe(row.id, row.sha256, row.raw(), len(row.content))


def _row(
    document_id: int,
    digest: str,
    raw: bytes,
    keyframe: _Keyframe | None,
    keyframes: bool,
    packed: PackedTexts | None,
) -> dict[str, object]:
    """The ``version_texts`` row of text ``raw`` (SHA-256 ``digest``), packed as
    ``pack_text`` does on ``keyframe`` (or taken from ``packed`` when that is the same)."""
    content, on_keyframe = None, False
    if packed is not None and keyframe is None:
        content = packed.on_own(digest)
    elif packed is not None and keyframe is not None:
        content = packed.on(digest, keyframe.sha256)
        on_keyframe = content is not None
        if content is not None and keyframes and len(content) * KEYFRAME_SHARE > keyframe.size:
            content, on_keyframe = None, False  # too far from it: a keyframe (packed below)
    if content is None:
        basis = (keyframe.raw, keyframe.size) if keyframe is not None else None
        content, on_keyframe = pack_text(raw, basis, keyframes)
    base_id = keyframe.id if on_keyframe and keyframe is not None else None
    return {
        "document_id": document_id,
        "sha256": digest,
        "size": len(raw),
        "content": content,
        "base_id": base_id,
    }


def _last_keyframe(
    rows: Sequence[dict[str, object]], ids: dict[str, int], raws: dict[str, bytes]
) -> _Keyframe | None:
    """The keyframe among the rows just inserted with the highest id (now the document's
    latest), if any."""
    made = [row for row in rows if row["base_id"] is None]
    if not made:
        return None
    last = max(made, key=lambda row: ids[str(row["sha256"])])
    digest, content = str(last["sha256"]), last["content"]
    assert isinstance(content, bytes)
    return _Keyframe(ids[digest], digest, raws[digest], len(content))


def add_clause_texts(
    s: Session,
    version: Version,
    clauses: Sequence[tuple[str, str, str]],
    packed: PackedTexts | None = None,
) -> None:
    """The clause texts (key, text, source) found in ``version`` (one executemany, no ORM
    objects: nothing reads them in this transaction); ``packed``: as ``put_texts``."""
    if not clauses:
        return
    stored = put_texts(s, version.document_id, [text for _, text, _ in clauses], packed=packed)
    rows = [
        {"version_id": version.id, "key": key, "text_id": text_id, "source": source}
        for (key, _, source), (_, text_id) in zip(clauses, stored, strict=True)
    ]
    s.execute(_INSERT_CLAUSE_TEXTS, rows)


def set_version_text(s: Session, version: Version, text: str) -> None:
    """Make ``text`` the text of ``version`` (a re-read version: its old text row stays,
    other versions or keyframe deltas may use it)."""
    version.text_sha256 = put_text(s, version.document_id, text)
    s.expire(version, ["stored_text"])  # the row of its old text, if loaded
