"""version_texts: each distinct text of a document once, as a zstd delta on a keyframe
(versions.text, zstd per row, is dropped; versions.text_sha256 points to the text)

Revision ID: 0005_version_texts
Revises: 0004_alert_episodes
"""

from __future__ import annotations

import sqlalchemy as sa
import zstandard
from alembic import op
from monitor.migrations.text_tables import (
    BASE,
    TEXTS,
    Keyframes,
    drop_column,
    put_text,
    restore_texts,
)

from monitor import snapshot_codec

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
    keyframes: Keyframes = {}
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
        put_text(bind, keyframes, document_id, digest, raw)
    drop_column(bind, "versions", "text")


def downgrade() -> None:
    bind = op.get_bind()
    op.add_column("versions", sa.Column("text", sa.LargeBinary(), nullable=True))  # in place
    rows = bind.execute(
        sa.select(VERSIONS.c.id, TEXTS.c.content, TEXTS.c.size, BASE.c.content, BASE.c.size)
        .join(
            TEXTS,
            sa.and_(
                TEXTS.c.document_id == VERSIONS.c.document_id,
                TEXTS.c.sha256 == VERSIONS.c.text_sha256,
            ),
        )
        .outerjoin(BASE, BASE.c.id == TEXTS.c.base_id)
    ).all()
    restore_texts(bind, VERSIONS, rows)
    op.drop_table("version_texts")
