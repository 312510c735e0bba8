"""reverts (changes.reverts_to_id) and alert episodes (outages, flapping)

Revision ID: 0004_alert_episodes
Revises: 0003_attempt_text
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_alert_episodes"
down_revision = "0003_attempt_text"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reverts_to_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_changes_reverts_to_id_versions",
            "versions",
            ["reverts_to_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "episodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("texts", sa.Integer(), nullable=False),
        sa.Column("error_kind", sa.String(length=20), nullable=True),
        sa.Column("kinds", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("severity", sa.String(length=10), nullable=True),
        sa.Column("detail", sa.LargeBinary(), nullable=True),
        sa.Column("text_changed", sa.Boolean(), nullable=True),
        sa.Column("open_alert", sa.String(length=10), nullable=False),
        sa.Column("close_alert", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("episodes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_episodes_document_kind", ["document_id", "kind", "ended_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("episodes", schema=None) as batch_op:
        batch_op.drop_index("ix_episodes_document_kind")
    op.drop_table("episodes")
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.drop_constraint("fk_changes_reverts_to_id_versions", type_="foreignkey")
        batch_op.drop_column("reverts_to_id")
