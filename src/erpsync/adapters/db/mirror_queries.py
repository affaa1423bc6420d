"""What the order form reads from the mirror: customer and product search, prices."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Engine, Table, or_, select

from erpsync.adapters.db.tables import mirror_tables

CUSTOMER_FIELDS = ("code", "name", "vat_number", "address", "city", "province", "agent_code")
PRODUCT_FIELDS = (
    "code",
    "description",
    "group",
    "package_size",
    "min_qty",
    "multiple_qty",
    "vat_rate",
)
PRICE_FIELDS = ("id", "list_code", "unit_price", "valid_from", "valid_to")


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matching(table: Table, terms: Sequence[str]) -> list[ColumnElement[bool]]:
    return [table.c.search_text.like(_like(t), escape="\\") for t in terms]


def _scoped(table: Table, agent_code: str | None) -> list[ColumnElement[bool]]:
    return [] if agent_code is None else [table.c.agent_code == agent_code]


class SqlMirrorSearch:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._customers = mirror_tables["customers"]
        self._products = mirror_tables["products"]
        self._prices = mirror_tables["prices"]

    def _rows(self, query: Any) -> list[dict[str, Any]]:
        with self._engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def customers(
        self, terms: Sequence[str], agent_code: str | None, limit: int
    ) -> list[dict[str, Any]]:
        table = self._customers
        query = (
            select(*(table.c[f] for f in CUSTOMER_FIELDS))
            .where(
                table.c.deleted_at.is_(None),
                *_scoped(table, agent_code),
                *_matching(table, terms),
            )
            .order_by(table.c.name, table.c.code)
            .limit(limit)
        )
        return self._rows(query)

    def customer(self, code: str, agent_code: str | None) -> dict[str, Any] | None:
        table = self._customers
        query = select(*(table.c[f] for f in CUSTOMER_FIELDS)).where(
            table.c.code == code, table.c.deleted_at.is_(None), *_scoped(table, agent_code)
        )
        rows = self._rows(query)
        return rows[0] if rows else None

    def products(self, terms: Sequence[str], limit: int) -> list[dict[str, Any]]:
        table = self._products
        query = (
            select(*(table.c[f] for f in PRODUCT_FIELDS))
            .where(table.c.deleted_at.is_(None), *_matching(table, terms))
            .order_by(table.c.code)
            .limit(limit)
        )
        return self._rows(query)

    def products_by_code(self, codes: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not codes:
            return {}
        table = self._products
        query = select(*(table.c[f] for f in PRODUCT_FIELDS)).where(
            table.c.deleted_at.is_(None), table.c.code.in_(list(codes))
        )
        return {row["code"]: row for row in self._rows(query)}

    def prices(self, product_code: str, on: date) -> list[dict[str, Any]]:
        table = self._prices
        query = (
            select(*(table.c[f] for f in PRICE_FIELDS))
            .where(
                table.c.product_code == product_code,
                table.c.deleted_at.is_(None),
                or_(table.c.valid_from.is_(None), table.c.valid_from <= on),
                or_(table.c.valid_to.is_(None), table.c.valid_to >= on),
            )
            .order_by(table.c.list_code)
        )
        return self._rows(query)
