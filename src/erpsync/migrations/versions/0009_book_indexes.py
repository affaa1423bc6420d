"""indexes the agent's book reads by: a customer's orders, DDT and invoices, an agent's orders

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 15:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_INDEXES = {
    "ix_orders_customer_date": ("orders", ["customer_code", "date", "number"]),
    "ix_orders_agent_date": ("orders", ["agent_code", "date", "number"]),
    "ix_ddt_order_number": ("ddt", ["order_number"]),
    "ix_ddt_customer_date": ("ddt", ["customer_code", "date", "number"]),
    "ix_invoices_order_number": ("invoices", ["order_number"]),
    "ix_invoices_customer_date": ("invoices", ["customer_code", "date", "number"]),
}


def upgrade() -> None:
    for name, (table, columns) in _INDEXES.items():
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, (table, _) in _INDEXES.items():
        op.drop_index(name, table_name=table)
