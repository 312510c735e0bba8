"""What migrations 0005 and 0006 share: the version_texts table as they see it, a text
stored in it on its document's keyframe, texts written back packed per row as
models.CompressedText did, unpacking a stored text, dropping a column."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import zstandard
from alembic import op

from monitor import snapshot_codec
from monitor.store_texts import pack_text

Keyframes = dict[int, tuple[int, bytes, int]]  # document → (row id, raw text, packed size)

TEXTS = sa.table(
    "version_texts",
    sa.column("id", sa.Integer()),
    sa.column("document_id", sa.Integer()),
    sa.column("sha256", sa.String()),
    sa.column("base_id", sa.Integer()),
    sa.column("content", sa.LargeBinary()),
    sa.column("size", sa.Integer()),
)
BASE = TEXTS.alias("base")  # a text's keyframe
ROW_LEVEL = 12  # models.CompressedText's zstd level: what a text column held per row


def restore_texts(bind: sa.Connection, table: sa.TableClause, rows: Sequence[Any]) -> None:
    """Write back ``table.text`` (added again by a downgrade) packed per row: ``rows`` are
    (row id, content, size, keyframe content, keyframe size) of each row's stored text."""
    pack = zstandard.ZstdCompressor(level=ROW_LEVEL)
    for row_id, content, size, base_content, base_size in rows:
        packed = pack.compress(stored_text(content, size, base_content, base_size))
        bind.execute(table.update().where(table.c.id == row_id).values(text=packed))
    if bind.dialect.name != "sqlite":
        op.alter_column(table.name, "text", nullable=False)


def stored_text(
    content: bytes, size: int, base_content: bytes | None, base_size: int | None
) -> bytes:
    """The raw text of a version_texts row (``content``, ``size``) on its keyframe's, if any."""
    keyframe = None
    if base_content is not None and base_size is not None:
        keyframe = snapshot_codec.unpack(base_content, base_size)
    return snapshot_codec.unpack(content, size, keyframe)


def put_text(
    bind: sa.Connection,
    keyframes: Keyframes,
    document_id: int,
    digest: str,
    raw: bytes,
    new_keyframes: bool = True,
) -> int:
    """A new version_texts row for ``raw`` packed as the application packs it
    (``store_texts.pack_text``) on the document's keyframe in ``keyframes``, which it
    becomes when stored on its own; its id."""
    keyframe = keyframes.get(document_id)
    content, on_keyframe = pack_text(raw, keyframe[1:] if keyframe else None, new_keyframes)
    base_id = keyframe[0] if on_keyframe and keyframe else None
    text_id = int(
        bind.execute(
            TEXTS.insert()
            .values(
                document_id=document_id,
                sha256=digest,
                base_id=base_id,
                content=content,
                size=len(raw),
            )
            .returning(TEXTS.c.id)
        ).scalar_one()
    )
    if base_id is None:
        keyframes[document_id] = (text_id, raw, len(content))
    return text_id


def drop_column(bind: sa.Connection, table: str, column: str) -> None:
    """``table.column`` dropped in place: a batch copy would drop the table, and with foreign
    keys on, SQLite's implicit DELETE of a dropped table cascades to its dependants."""
    if bind.dialect.name != "sqlite":
        op.drop_column(table, column)
        return
    if sqlite3.sqlite_version_info < (3, 35, 0):
        raise RuntimeError(f"SQLite {sqlite3.sqlite_version} cannot drop a column: 3.35 or later")
    op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
