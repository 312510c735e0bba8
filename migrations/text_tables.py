"""What migrations 0005 and 0006 share: the version_texts table as they see it, texts
packed per row as models.CompressedText did, unpacking a stored text, dropping a column."""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
import zstandard
from alembic import op

from monitor import snapshot_codec

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


def row_packer() -> zstandard.ZstdCompressor:
    return zstandard.ZstdCompressor(level=ROW_LEVEL)


def stored_text(
    content: bytes, size: int, base_content: bytes | None, base_size: int | None
) -> bytes:
    """The raw text of a version_texts row (``content``, ``size``) on its keyframe's, if any."""
    keyframe = None
    if base_content is not None and base_size is not None:
        keyframe = snapshot_codec.unpack(base_content, base_size)
    return snapshot_codec.unpack(content, size, keyframe)


def add_text(
    bind: sa.Connection, document_id: int, digest: str, raw: bytes, packed: tuple[bytes, int | None]
) -> int:
    """A new version_texts row (``packed``: its content and keyframe id); its id."""
    content, base_id = packed
    return int(
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


def drop_column(bind: sa.Connection, table: str, column: str) -> None:
    """``table.column`` dropped in place: a batch copy would drop the table, and with foreign
    keys on, SQLite's implicit DELETE of a dropped table cascades to its dependants."""
    if bind.dialect.name != "sqlite":
        op.drop_column(table, column)
        return
    if sqlite3.sqlite_version_info < (3, 35, 0):
        raise RuntimeError(f"SQLite {sqlite3.sqlite_version} cannot drop a column: 3.35 or later")
    op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
