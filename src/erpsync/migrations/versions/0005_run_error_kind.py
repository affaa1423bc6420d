"""why a run failed, as a code

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: How runs that failed before the column existed said why, by the start of their message.
_KINDS_BY_MESSAGE = (
    ("ERP answered %", "erp_unavailable"),
    ("ERP unreachable %", "erp_unavailable"),
    ("ERP %", "erp_protocol"),
    ("exceeded the maximum run time%", "timed_out"),
    ("superseded %", "superseded"),
)


def upgrade() -> None:
    with op.batch_alter_table("sync_runs") as batch:
        batch.add_column(sa.Column("error_kind", sa.String(length=32), nullable=True))
    runs = sa.table(
        "sync_runs",
        sa.column("status", sa.String),
        sa.column("error", sa.Text),
        sa.column("error_kind", sa.String),
    )
    failed = (runs.c.status == "failed") & runs.c.error_kind.is_(None)
    for pattern, kind in _KINDS_BY_MESSAGE:
        op.execute(runs.update().where(failed & runs.c.error.like(pattern)).values(error_kind=kind))
    op.execute(runs.update().where(failed).values(error_kind="internal"))


def downgrade() -> None:
    with op.batch_alter_table("sync_runs") as batch:
        batch.drop_column("error_kind")
