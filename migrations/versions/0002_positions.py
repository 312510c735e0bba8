"""positions per version; re-extractions

Revision ID: 0002_positions
Revises: 0001

``version_positions`` holds the 11 positions read from each version (JSON), so history
queries never re-read pages. A database of release 0.1 upgrades in place with the table
empty: positions of its versions are read from their stored text and clauses until
``tosmon reextract`` stores them. ``reextractions`` records how re-reading a stored
snapshot with newer rules changed a version's reading (never an alert).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_positions"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "version_positions",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("positions", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["versions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("version_id"),
    )
    op.create_table(
        "reextractions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("captured_at", sa.DateTime(), nullable=False),
        sa.Column("summary", sa.LargeBinary(), nullable=False),
        sa.Column("origin", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["version_id"], ["versions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reextractions", schema=None) as batch_op:
        batch_op.create_index("ix_reextractions_created", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reextractions", schema=None) as batch_op:
        batch_op.drop_index("ix_reextractions_created")
    op.drop_table("reextractions")
    op.drop_table("version_positions")
