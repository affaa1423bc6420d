"""What the order form reads from the mirror: customer and product search, prices.

These run on every keystroke of the form, so each query shape is built once (per number of
words, scoped or not) with bound parameters: SQLAlchemy then finds it compiled in its cache at
once, instead of building the statement and working out its cache key on every request.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Date,
    Engine,
    Select,
    Table,
    bindparam,
    or_,
    select,
)

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


def _matching(table: Table, words: int) -> list[ColumnElement[bool]]:
    return [table.c.search_text.like(bindparam(f"w{n}"), escape="\\") for n in range(words)]


def _words(terms: Sequence[str]) -> dict[str, str]:
    return {f"w{n}": _like(t) for n, t in enumerate(terms)}


def _scoped(table: Table, scoped: bool) -> list[ColumnElement[bool]]:
    return [table.c.agent_code == bindparam("agent")] if scoped else []


_CUSTOMERS = mirror_tables["customers"]
_PRODUCTS = mirror_tables["products"]
_PRICES = mirror_tables["prices"]


@cache
def _customer_search(words: int, scoped: bool) -> Select[Any]:
    table = _CUSTOMERS
    return (
        select(*(table.c[f] for f in CUSTOMER_FIELDS))
        .where(table.c.deleted_at.is_(None), *_scoped(table, scoped), *_matching(table, words))
        .order_by(table.c.name, table.c.code)
        .limit(bindparam("limit"))
    )


@cache
def _customer(scoped: bool) -> Select[Any]:
    table = _CUSTOMERS
    return select(*(table.c[f] for f in CUSTOMER_FIELDS)).where(
        table.c.code == bindparam("code"), table.c.deleted_at.is_(None), *_scoped(table, scoped)
    )


@cache
def _product_search(words: int) -> Select[Any]:
    table = _PRODUCTS
    return (
        select(*(table.c[f] for f in PRODUCT_FIELDS))
        .where(table.c.deleted_at.is_(None), *_matching(table, words))
        .order_by(table.c.code)
        .limit(bindparam("limit"))
    )


def _prices_on() -> Select[Any]:
    table = _PRICES
    on: BindParameter[date] = bindparam("on", type_=Date)
    return (
        select(*(table.c[f] for f in PRICE_FIELDS))
        .where(
            table.c.product_code == bindparam("code"),
            table.c.deleted_at.is_(None),
            or_(table.c.valid_from.is_(None), table.c.valid_from <= on),
            or_(table.c.valid_to.is_(None), table.c.valid_to >= on),
        )
        .order_by(table.c.list_code)
    )


_PRICES_ON = _prices_on()
_PRODUCTS_BY_CODE = select(*(_PRODUCTS.c[f] for f in PRODUCT_FIELDS)).where(
    _PRODUCTS.c.deleted_at.is_(None), _PRODUCTS.c.code.in_(bindparam("codes", expanding=True))
)


class SqlMirrorSearch:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _rows(self, query: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self._engine.connect() as conn:
            return [dict(row) for row in conn.execute(query, params).mappings()]

    def customers(
        self, terms: Sequence[str], agent_code: str | None, limit: int
    ) -> list[dict[str, Any]]:
        query = _customer_search(len(terms), agent_code is not None)
        return self._rows(query, {**_words(terms), "agent": agent_code, "limit": limit})

    def customer(self, code: str, agent_code: str | None) -> dict[str, Any] | None:
        rows = self._rows(_customer(agent_code is not None), {"code": code, "agent": agent_code})
        return rows[0] if rows else None

    def products(self, terms: Sequence[str], limit: int) -> list[dict[str, Any]]:
        return self._rows(_product_search(len(terms)), {**_words(terms), "limit": limit})

    def products_by_code(self, codes: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not codes:
            return {}
        rows = self._rows(_PRODUCTS_BY_CODE, {"codes": list(codes)})
        return {row["code"]: row for row in rows}

    def prices(self, product_code: str, on: date) -> list[dict[str, Any]]:
        return self._rows(_PRICES_ON, {"code": product_code, "on": on})
