"""fetch_attempts.text_sha256: the text a capture extracted (to confirm suspect captures)

Revision ID: 0003_attempt_text
Revises: 0002_positions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_attempt_text"
down_revision = "0002_positions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fetch_attempts") as batch:
        batch.add_column(sa.Column("text_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fetch_attempts") as batch:
        batch.drop_column("text_sha256")
