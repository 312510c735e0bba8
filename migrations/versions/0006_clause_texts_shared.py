"""clause_texts.text_id: clause texts kept in version_texts (once per document and text,
a delta on the document's keyframe) instead of zstd per row

Revision ID: 0006_clause_texts_shared
Revises: 0005_version_texts
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
    stored_text,
)

from monitor import snapshot_codec

revision = "0006_clause_texts_shared"
down_revision = "0005_version_texts"
branch_labels = None
depends_on = None

CLAUSES = sa.table(
    "clause_texts",
    sa.column("id", sa.Integer()),
    sa.column("version_id", sa.Integer()),
    sa.column("text", sa.LargeBinary()),
    sa.column("text_id", sa.Integer()),
)
VERSIONS = sa.table(
    "versions",
    sa.column("id", sa.Integer()),
    sa.column("document_id", sa.Integer()),
    sa.column("text_sha256", sa.String()),
)


def upgrade() -> None:
    bind = op.get_bind()
    # in place; SQLite can neither add a constraint to a table nor drop a column under one
    # (the downgrade), so there the reference is the application's (models.ClauseText)
    sqlite = bind.dialect.name == "sqlite"
    refers = () if sqlite else (sa.ForeignKey("version_texts.id"),)
    op.add_column("clause_texts", sa.Column("text_id", sa.Integer(), *refers, nullable=True))
    keyframes = _keyframes(bind)
    known = {
        (document_id, digest): text_id
        for document_id, digest, text_id in bind.execute(
            sa.select(TEXTS.c.document_id, TEXTS.c.sha256, TEXTS.c.id)
        )
    }
    unpack = zstandard.ZstdDecompressor()
    rows = bind.execute(
        sa.select(CLAUSES.c.id, VERSIONS.c.document_id, CLAUSES.c.text)
        .join(VERSIONS, VERSIONS.c.id == CLAUSES.c.version_id)
        .order_by(CLAUSES.c.id)
    ).all()
    for clause_id, document_id, packed in rows:
        raw = unpack.decompress(packed)
        digest = snapshot_codec.sha256(raw)
        text_id = known.get((document_id, digest))
        if text_id is None:  # a delta on the keyframe, like clause texts stored from now on
            text_id = put_text(bind, keyframes, document_id, digest, raw, new_keyframes=False)
            known[(document_id, digest)] = text_id
        bind.execute(CLAUSES.update().where(CLAUSES.c.id == clause_id).values(text_id=text_id))
    drop_column(bind, "clause_texts", "text")
    if not sqlite:
        op.alter_column("clause_texts", "text_id", nullable=False)


def _keyframes(bind: sa.Connection) -> Keyframes:
    """document → (id, raw text, packed size) of its latest keyframe."""
    latest = {
        document_id: (text_id, content, size)
        for document_id, text_id, content, size in bind.execute(
            sa.select(TEXTS.c.document_id, TEXTS.c.id, TEXTS.c.content, TEXTS.c.size)
            .where(TEXTS.c.base_id.is_(None))
            .order_by(TEXTS.c.id)
        )
    }
    return {
        document: (text_id, stored_text(content, size, None, None), len(content))
        for document, (text_id, content, size) in latest.items()
    }


def downgrade() -> None:
    bind = op.get_bind()
    op.add_column("clause_texts", sa.Column("text", sa.LargeBinary(), nullable=True))  # in place
    rows = bind.execute(
        sa.select(CLAUSES.c.id, TEXTS.c.content, TEXTS.c.size, BASE.c.content, BASE.c.size)
        .join(TEXTS, TEXTS.c.id == CLAUSES.c.text_id)
        .outerjoin(BASE, BASE.c.id == TEXTS.c.base_id)
    ).all()
    restore_texts(bind, CLAUSES, rows)
    drop_column(bind, "clause_texts", "text_id")
    bind.execute(  # texts that no version uses any more (nor as a keyframe)
        TEXTS.delete().where(
            ~sa.exists().where(
                VERSIONS.c.document_id == TEXTS.c.document_id,
                VERSIONS.c.text_sha256 == TEXTS.c.sha256,
            ),
            ~TEXTS.c.id.in_(sa.select(BASE.c.base_id).where(BASE.c.base_id.is_not(None))),
        )
    )
