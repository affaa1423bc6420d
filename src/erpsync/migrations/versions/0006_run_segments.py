"""the stretches a run ran in, and its last page

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import erpsync.adapters.db.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_runs") as batch:
        batch.add_column(sa.Column("segments", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("running_since", erpsync.adapters.db.types.UtcDateTime(), nullable=True)
        )
        batch.add_column(
            sa.Column("last_page_at", erpsync.adapters.db.types.UtcDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("sync_runs") as batch:
        batch.drop_column("last_page_at")
        batch.drop_column("running_since")
        batch.drop_column("segments")
