"""Every table, declared once. The mirror tables are built from the record catalog."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.types import TypeEngine

from erpsync.adapters.db.types import DecimalText, UtcDateTime
from erpsync.domain.catalog import SPECS, ChildSpec, FieldKind, FieldSpec, RecordSpec

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _column_type(spec: FieldSpec) -> TypeEngine[Any]:
    kinds: dict[FieldKind, TypeEngine[Any]] = {
        FieldKind.TEXT: String(spec.max_length),
        FieldKind.INT: Integer(),
        FieldKind.DECIMAL: DecimalText(),
        FieldKind.DATE: Date(),
        FieldKind.DATETIME: UtcDateTime(),
        FieldKind.BOOL: Boolean(),
    }
    return kinds[spec.kind]


def _column(spec: FieldSpec, key: str) -> Column[Any]:
    return Column(
        spec.name, _column_type(spec), primary_key=spec.name == key, nullable=not spec.required
    )


def _mirror_table(spec: RecordSpec) -> Table:
    columns = [_column(f, spec.key) for f in spec.fields]
    columns += [
        Column("row_hash", String(32), nullable=False),
        Column("seen_run", Integer, nullable=True),
        Column("synced_at", UtcDateTime, nullable=False),
        Column("deleted_at", UtcDateTime, nullable=True),
    ]
    if spec.search_fields:
        columns.append(Column("search_text", Text, nullable=False, server_default=""))
    table = Table(spec.table, metadata, *columns)
    if spec.agent_field:
        Index(f"ix_{spec.table}_{spec.agent_field}", table.c[spec.agent_field])
    return table


def _child_table(parent: RecordSpec, child: ChildSpec) -> Table:
    parent_key = parent.field(parent.key)
    return Table(
        child.table,
        metadata,
        Column(
            f"parent_{parent.key}",
            String(parent_key.max_length),
            ForeignKey(f"{parent.table}.{parent.key}", ondelete="CASCADE"),
            primary_key=True,
        ),
        *(
            Column(
                f.name, _column_type(f), primary_key=f.name == child.key, nullable=not f.required
            )
            for f in child.fields
        ),
    )


mirror_tables: dict[str, Table] = {spec.table: _mirror_table(spec) for spec in SPECS.values()}
child_tables: dict[str, Table] = {
    child.table: _child_table(spec, child) for spec in SPECS.values() for child in spec.children
}

# The order form lists customers in this order, an agent's own first by agent: a word that
# matches nearly everyone is answered by walking these (see mirror_queries).
Index("ix_customers_name_code", *(mirror_tables["customers"].c[n] for n in ("name", "code")))
Index(
    "ix_customers_agent_name_code",
    *(mirror_tables["customers"].c[n] for n in ("agent_code", "name", "code")),
)

Index("ix_prices_product_code", mirror_tables["prices"].c.product_code)
Index("ix_orders_client_reference", mirror_tables["orders"].c.client_reference)


def _by_date(name: str, table: str, lead: str) -> Index:
    """An index for one party's documents, newest first, in keyset order (date, number)."""
    columns = mirror_tables[table].c
    return Index(name, columns[lead], columns.date, columns.number)


# What the agent's book reads by: a customer's documents, an agent's orders, an order's DDT
# and invoices.
_by_date("ix_orders_customer_date", "orders", "customer_code")
_by_date("ix_orders_agent_date", "orders", "agent_code")
_by_date("ix_ddt_customer_date", "ddt", "customer_code")
_by_date("ix_invoices_customer_date", "invoices", "customer_code")
Index("ix_ddt_order_number", mirror_tables["ddt"].c.order_number)
Index("ix_invoices_order_number", mirror_tables["invoices"].c.order_number)

# What the device's offline slice reads a delta by: rows written or deleted since its cursor,
# prices that expired since.
for _name in ("customers", "products", "prices"):
    Index(f"ix_{_name}_synced_at", mirror_tables[_name].c.synced_at)
    Index(f"ix_{_name}_deleted_at", mirror_tables[_name].c.deleted_at)
Index("ix_prices_valid_to", mirror_tables["prices"].c.valid_to)

#: A customer leaving an agent (its agent code changed), written by a trigger of migration
#: 0011 in the transaction that moved it: the agent's device must drop it, and the mirror row
#: no longer says whose it was.
customer_scope_exits = Table(
    "customer_scope_exits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(32), nullable=False),
    Column("agent_code", String(32), nullable=False),
    Column("exited_at", UtcDateTime, nullable=False),
    Index("ix_customer_scope_exits_agent_exited", "agent_code", "exited_at"),
    Index("ix_customer_scope_exits_exited_at", "exited_at"),
)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("type", String(16), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("trigger", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("since", UtcDateTime, nullable=True),
    Column("cursor", Text, nullable=True),
    Column("pages", Integer, nullable=False, default=0),
    Column("high_water_mark", UtcDateTime, nullable=True),
    Column("fetched", Integer, nullable=False, default=0),
    Column("inserted", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("deleted", Integer, nullable=False, default=0),
    Column("quarantined", Integer, nullable=False, default=0),
    Column("duration_s", Float, nullable=True),
    Column("error", Text, nullable=True),
    Column("error_kind", String(32), nullable=True),
    Column("segments", Text, nullable=True),
    Column("running_since", UtcDateTime, nullable=True),
    Column("last_page_at", UtcDateTime, nullable=True),
    # A type's latest runs, and its unfinished one, read without a sort of all its runs
    # (migration 0014): the customers' runs grow by one a smart sync.
    Index("ix_sync_runs_type_id", "type", "id"),
    Index("ix_sync_runs_type_status_id", "type", "status", "id"),
    Index("ix_sync_runs_started_at", "started_at"),  # the history's pruning, oldest first
    Index("ix_sync_runs_status", "status"),
)

sync_state = Table(
    "sync_state",
    metadata,
    Column("type", String(16), primary_key=True),
    Column("watermark", UtcDateTime, nullable=True),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("sync_runs.id", ondelete="CASCADE"), nullable=False),
    Column("type", String(16), nullable=False),
    Column("record_key", String(64), nullable=True),
    Column("reason", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_quarantine_type_created", "type", "created_at"),
    # A run's quarantined items, and the cascade as a run is pruned (migration 0014).
    Index("ix_quarantine_run_id", "run_id"),
)

schedule_entries = Table(
    "schedule_entries",
    metadata,
    Column("type", String(16), primary_key=True),
    Column("priority", Integer, nullable=False),
    Column("interval_s", Integer, nullable=False),
    Column("offset_s", Integer, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("agent_code", String(32), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("label", String(100), nullable=False, default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_api_tokens_user_id", "user_id"),
)

sign_ins = Table(
    "sign_ins",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index("ix_sign_ins_user_id", "user_id"),
    Index("ix_sign_ins_expires_at", "expires_at"),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_login_failures_key_at", "key", "at"),
)

drafts = Table(
    "drafts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("customer_code", String(32), nullable=False),
    Column("customer_name", String(200), nullable=False),
    Column("notes", Text, nullable=False, default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("revision", Integer, nullable=False, server_default=text("1")),
    Index("ix_drafts_owner_updated", "owner_id", "updated_at"),
)

draft_lines = Table(
    "draft_lines",
    metadata,
    Column("draft_id", String(64), ForeignKey("drafts.id", ondelete="CASCADE"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("product_code", String(32), nullable=False),
    Column("description", String(200), nullable=False),
    Column("qty", Integer, nullable=False),
    Column("unit_price", DecimalText, nullable=False),
    Column("discount", DecimalText, nullable=False),
    Column("vat_rate", DecimalText, nullable=False),
)

#: The outbox of orders sent to the ERP: one row a submission, recorded before any ERP call.
#: A draft has at most one submission that is not rejected (the partial unique index), so a
#: second press of "Invia", on any replica, finds the first.
submissions = Table(
    "submissions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("draft_id", String(64), nullable=False),
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("content", Text, nullable=False),
    Column("content_digest", String(64), nullable=False),
    Column("draft_version", UtcDateTime, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("erp_number", String(32), nullable=True),
    Column("erp_state", String(32), nullable=True),
    Column("reasons", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("decided_at", UtcDateTime, nullable=True),
    Index("ix_submissions_state_created", "state", "created_at"),
    Index("ix_submissions_owner_draft", "owner_id", "draft_id"),
    # The status's orders of the day, without reading every order ever sent (migration 0014).
    Index("ix_submissions_decided_at", "decided_at"),
    Index(
        "ux_submissions_live_draft",
        "draft_id",
        unique=True,
        sqlite_where=text("state != 'rejected'"),
        postgresql_where=text("state != 'rejected'"),
    ),
)

leases = Table(
    "leases",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("holder", String(128), nullable=False),
    Column("epoch", Integer, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("anchor", UtcDateTime, nullable=False),
)

commands = Table(
    "commands",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("payload", Text, nullable=False),
    Column("result", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("answered_at", UtcDateTime, nullable=True),
    Index("ix_commands_answered_id", "answered_at", "id"),
)

live_state = Table(
    "live_state",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("holder", String(128), nullable=False),
    Column("epoch", Integer, nullable=False),
    Column("state", Text, nullable=False),
    Column("published_at", UtcDateTime, nullable=False),
)
