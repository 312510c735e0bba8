"""version_texts: each distinct text of a document once, as a zstd delta on a keyframe
(versions.text, zstd per row, is dropped; versions.text_sha256 points to the text)

Revision ID: 0005_version_texts
Revises: 0004_alert_episodes
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
import zstandard
from alembic import op

from monitor import snapshot_codec
from monitor.store_texts import pack_text

revision = "0005_version_texts"
down_revision = "0004_alert_episodes"
branch_labels = None
depends_on = None

VERSIONS = sa.table(
    "versions",
    sa.column("id", sa.Integer()),
    sa.column("document_id", sa.Integer()),
    sa.column("text", sa.LargeBinary()),
    sa.column("text_sha256", sa.String()),
)
TEXTS = sa.table(
    "version_texts",
    sa.column("id", sa.Integer()),
    sa.column("document_id", sa.Integer()),
    sa.column("sha256", sa.String()),
    sa.column("base_id", sa.Integer()),
    sa.column("content", sa.LargeBinary()),
    sa.column("size", sa.Integer()),
)
CONTENT_LEVEL = 12  # models.CompressedText's level, which versions.text had


def upgrade() -> None:
    op.create_table(
        "version_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("base_id", sa.Integer(), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["base_id"], ["version_texts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id", "sha256"),
    )
    bind = op.get_bind()
    unpack = zstandard.ZstdDecompressor()
    keyframes: dict[int, tuple[int, bytes, int]] = {}  # document → (id, raw, packed size)
    stored: set[tuple[int, str]] = set()
    rows = bind.execute(
        sa.select(
            VERSIONS.c.id, VERSIONS.c.document_id, VERSIONS.c.text, VERSIONS.c.text_sha256
        ).order_by(VERSIONS.c.document_id, VERSIONS.c.id)
    ).all()
    for version_id, document_id, packed, known in rows:
        raw = unpack.decompress(packed)
        digest = snapshot_codec.sha256(raw)
        if digest != known:  # the key of its text row from now on
            bind.execute(
                VERSIONS.update().where(VERSIONS.c.id == version_id).values(text_sha256=digest)
            )
        if (document_id, digest) in stored:
            continue
        stored.add((document_id, digest))
        keyframe = keyframes.get(document_id)
        content, on_keyframe = pack_text(raw, keyframe[1:] if keyframe else None)
        base_id = keyframe[0] if on_keyframe and keyframe else None
        text_id = bind.execute(
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
        if base_id is None:
            keyframes[document_id] = (text_id, raw, len(content))
    _drop_text_column(bind)


def _drop_text_column(bind: sa.Connection) -> None:
    """``versions.text`` dropped in place: a batch copy of ``versions`` would drop the table,
    and with foreign keys on SQLite's implicit DELETE would cascade to its dependants."""
    if bind.dialect.name != "sqlite":
        op.drop_column("versions", "text")
        return
    if sqlite3.sqlite_version_info < (3, 35, 0):
        raise RuntimeError(f"SQLite {sqlite3.sqlite_version} cannot drop a column: 3.35 or later")
    op.execute("ALTER TABLE versions DROP COLUMN text")


def downgrade() -> None:
    bind = op.get_bind()
    op.add_column("versions", sa.Column("text", sa.LargeBinary(), nullable=True))  # in place
    base = TEXTS.alias("base")
    rows = bind.execute(
        sa.select(VERSIONS.c.id, TEXTS.c.content, TEXTS.c.size, base.c.content, base.c.size)
        .join(
            TEXTS,
            sa.and_(
                TEXTS.c.document_id == VERSIONS.c.document_id,
                TEXTS.c.sha256 == VERSIONS.c.text_sha256,
            ),
        )
        .outerjoin(base, base.c.id == TEXTS.c.base_id)
    ).all()
    pack = zstandard.ZstdCompressor(level=CONTENT_LEVEL)
    for version_id, content, size, base_content, base_size in rows:
        keyframe = None if base_content is None else snapshot_codec.unpack(base_content, base_size)
        raw = snapshot_codec.unpack(content, size, keyframe)
        bind.execute(
            VERSIONS.update().where(VERSIONS.c.id == version_id).values(text=pack.compress(raw))
        )
    if bind.dialect.name != "sqlite":
        op.alter_column("versions", "text", nullable=False)
    op.drop_table("version_texts")
