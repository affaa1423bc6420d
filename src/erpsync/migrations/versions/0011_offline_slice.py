"""the offline slice: indexes for its deltas, customers leaving an agent, draft revisions

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 09:00:00

A delta of the slice reads the rows written (``synced_at``) or deleted (``deleted_at``) since a
cursor: both get an index on customers, products and prices, and prices one on ``valid_to``
(the rows that expired since). A customer that moves from one agent to another must leave the
first agent's device, whose delta cannot see it any more by its agent code: a trigger on the
customers records the agent it left (``customer_scope_exits``), in the transaction of the page
that moved it, whoever writes the rows. Drafts get a ``revision`` counter, which every change
raises, so a save made from an older revision is refused instead of overwriting.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_INDEXES = {
    f"ix_{table}_{column}": (table, [column])
    for table in ("customers", "products", "prices")
    for column in ("synced_at", "deleted_at")
}
_INDEXES["ix_prices_valid_to"] = ("prices", ["valid_to"])

_TRIGGER = "customers_scope_exit"
_SQLITE_TRIGGER = (
    f"CREATE TRIGGER {_TRIGGER} AFTER UPDATE OF agent_code ON customers "
    "WHEN old.agent_code IS NOT NULL AND old.agent_code IS NOT new.agent_code BEGIN "
    "INSERT INTO customer_scope_exits (code, agent_code, exited_at) "
    "VALUES (old.code, old.agent_code, new.synced_at); END"
)
_PG_FUNCTION = (
    f"CREATE OR REPLACE FUNCTION {_TRIGGER}() RETURNS trigger AS $$ BEGIN "
    "INSERT INTO customer_scope_exits (code, agent_code, exited_at) "
    "VALUES (OLD.code, OLD.agent_code, NEW.synced_at); RETURN NULL; END $$ LANGUAGE plpgsql"
)
_PG_TRIGGER = (
    f"CREATE TRIGGER {_TRIGGER} AFTER UPDATE OF agent_code ON customers FOR EACH ROW "
    "WHEN (OLD.agent_code IS NOT NULL AND OLD.agent_code IS DISTINCT FROM NEW.agent_code) "
    f"EXECUTE FUNCTION {_TRIGGER}()"
)


def upgrade() -> None:
    for name, (table, columns) in _INDEXES.items():
        op.create_index(name, table, columns, unique=False)
    op.create_table(
        "customer_scope_exits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("agent_code", sa.String(length=32), nullable=False),
        sa.Column("exited_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_scope_exits")),
    )
    op.create_index(
        "ix_customer_scope_exits_agent_exited",
        "customer_scope_exits",
        ["agent_code", "exited_at"],
        unique=False,
    )
    op.create_index(
        "ix_customer_scope_exits_exited_at", "customer_scope_exits", ["exited_at"], unique=False
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(_SQLITE_TRIGGER)
    else:
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
    op.add_column(
        "drafts",
        sa.Column("revision", sa.Integer(), nullable=False, server_default=sa.text("1")),
    )


def downgrade() -> None:
    with op.batch_alter_table("drafts") as batch:
        batch.drop_column("revision")
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {_TRIGGER}")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {_TRIGGER} ON customers")
        op.execute(f"DROP FUNCTION IF EXISTS {_TRIGGER}()")
    op.drop_index("ix_customer_scope_exits_exited_at", table_name="customer_scope_exits")
    op.drop_index("ix_customer_scope_exits_agent_exited", table_name="customer_scope_exits")
    op.drop_table("customer_scope_exits")
    for name, (table, _) in _INDEXES.items():
        op.drop_index(name, table_name=table)
