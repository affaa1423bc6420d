"""the outbox of orders sent to the ERP, and the client reference of mirrored orders

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import erpsync.adapters.db.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("client_reference", sa.String(length=64), nullable=True))
    op.create_index("ix_orders_client_reference", "orders", ["client_reference"], unique=False)
    op.create_table(
        "submissions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("draft_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_digest", sa.String(length=64), nullable=False),
        sa.Column("draft_version", erpsync.adapters.db.types.UtcDateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", erpsync.adapters.db.types.UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("erp_number", sa.String(length=32), nullable=True),
        sa.Column("erp_state", sa.String(length=32), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=True),
        sa.Column("created_at", erpsync.adapters.db.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", erpsync.adapters.db.types.UtcDateTime(), nullable=False),
        sa.Column("decided_at", erpsync.adapters.db.types.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_submissions_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_submissions_idempotency_key")),
    )
    op.create_index(
        "ix_submissions_state_created", "submissions", ["state", "created_at"], unique=False
    )
    op.create_index(
        "ix_submissions_owner_draft", "submissions", ["owner_id", "draft_id"], unique=False
    )
    op.create_index(
        "ux_submissions_live_draft",
        "submissions",
        ["draft_id"],
        unique=True,
        sqlite_where=sa.text("state != 'rejected'"),
        postgresql_where=sa.text("state != 'rejected'"),
    )


def downgrade() -> None:
    op.drop_index("ux_submissions_live_draft", table_name="submissions")
    op.drop_index("ix_submissions_owner_draft", table_name="submissions")
    op.drop_index("ix_submissions_state_created", table_name="submissions")
    op.drop_table("submissions")
    op.drop_index("ix_orders_client_reference", table_name="orders")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("client_reference")
