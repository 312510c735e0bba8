"""clause_changes.detail: what a clause history shows of the change for that clause (kind,
severity, summary line, the clause's facts and sentence diff), so a history parses no
whole change summary

Revision ID: 0007_clause_change_detail
Revises: 0006_clause_texts_shared
"""

from __future__ import annotations

import json

import sqlalchemy as sa
import zstandard
from alembic import op
from monitor.migrations.text_tables import ROW_LEVEL, drop_column

from monitor.store_reads import history_part

revision = "0007_clause_change_detail"
down_revision = "0006_clause_texts_shared"
branch_labels = None
depends_on = None

CLAUSE_CHANGES = sa.table(
    "clause_changes",
    sa.column("id", sa.Integer()),
    sa.column("change_id", sa.Integer()),
    sa.column("key", sa.String()),
    sa.column("detail", sa.LargeBinary()),
)
CHANGES = sa.table("changes", sa.column("id", sa.Integer()), sa.column("summary", sa.LargeBinary()))
BATCH = 500  # changes read and written at a time


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column("clause_changes", sa.Column("detail", sa.LargeBinary(), nullable=True))
    unpack = zstandard.ZstdDecompressor()
    pack = zstandard.ZstdCompressor(level=ROW_LEVEL)  # models.CompressedText's
    update = (
        CLAUSE_CHANGES.update()
        .where(CLAUSE_CHANGES.c.id == sa.bindparam("row_id"))
        .values(detail=sa.bindparam("packed"))
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(CHANGES.c.id, CHANGES.c.summary, CLAUSE_CHANGES.c.id, CLAUSE_CHANGES.c.key)
            .join(CLAUSE_CHANGES, CLAUSE_CHANGES.c.change_id == CHANGES.c.id)
            .where(CHANGES.c.id.in_(_next_changes(bind, last)))
            .order_by(CHANGES.c.id)
        ).all()
        if not rows:
            break
        summaries: dict[int, dict[str, object]] = {}
        values = []
        for change_id, packed, row_id, key in rows:
            if change_id not in summaries:
                summaries[change_id] = json.loads(unpack.decompress(packed))
            part = json.dumps(history_part(summaries[change_id], key))
            values.append({"row_id": row_id, "packed": pack.compress(part.encode("utf-8"))})
        bind.execute(update, values)
        last = rows[-1][0]


def _next_changes(bind: sa.Connection, after: int) -> list[int]:
    """The ids of the next ``BATCH`` changes after ``after`` that changed a clause."""
    return list(
        bind.execute(
            sa.select(CLAUSE_CHANGES.c.change_id)
            .distinct()
            .where(CLAUSE_CHANGES.c.change_id > after)
            .order_by(CLAUSE_CHANGES.c.change_id)
            .limit(BATCH)
        ).scalars()
    )


def downgrade() -> None:
    drop_column(op.get_bind(), "clause_changes", "detail")
