"""indexes for the status's reads and the history's pruning: runs, today's orders, quarantine

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 15:00:00

The status, the dashboard and every run's start ask for a type's latest runs (newest first)
and for its unfinished run. Through ``(type, started_at)`` both read every run of the type and
sort them by id, and the customers' runs grow by one a smart sync: a few thousand a day, and
after 200,000 the unfinished run took 40 ms on SQLite. ``(type, id)`` and
``(type, status, id)`` answer both in a few index steps; ``started_at`` alone is what the
pruning of the history reads by, oldest first.
The status also counts the orders the ERP decided on today, which read every submission ever
made without an index on ``decided_at``. A run's quarantined items are found by ``run_id``,
by the run's page and by the cascade that deletes them with a pruned run, which without the
index read the whole quarantine once for every run deleted.
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_sync_runs_type_id", "sync_runs", ["type", "id"], unique=False)
    op.create_index(
        "ix_sync_runs_type_status_id", "sync_runs", ["type", "status", "id"], unique=False
    )
    op.drop_index("ix_sync_runs_type_started", table_name="sync_runs")
    op.create_index("ix_sync_runs_started_at", "sync_runs", ["started_at"], unique=False)
    op.create_index("ix_submissions_decided_at", "submissions", ["decided_at"], unique=False)
    op.create_index("ix_quarantine_run_id", "quarantine", ["run_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_quarantine_run_id", table_name="quarantine")
    op.drop_index("ix_submissions_decided_at", table_name="submissions")
    op.drop_index("ix_sync_runs_started_at", table_name="sync_runs")
    op.create_index("ix_sync_runs_type_started", "sync_runs", ["type", "started_at"], unique=False)
    op.drop_index("ix_sync_runs_type_status_id", table_name="sync_runs")
    op.drop_index("ix_sync_runs_type_id", table_name="sync_runs")
