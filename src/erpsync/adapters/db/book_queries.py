"""What the agent's book reads from the mirror: customer cards, and orders, DDT and invoices in
keyset pages, newest first.

As in :mod:`mirror_queries`, each statement is built once per shape (which filters are set)
with bound parameters, so SQLAlchemy finds it compiled in its cache.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Engine,
    Select,
    Table,
    and_,
    bindparam,
    func,
    or_,
    select,
)

from erpsync.adapters.db.tables import child_tables, mirror_tables
from erpsync.domain.book import DocumentFilter, DocumentKind, Mark
from erpsync.domain.catalog import CUSTOMERS, DDT, INVOICES, ORDER_LINES, ORDERS, RecordSpec

_SPECS: dict[DocumentKind, RecordSpec] = {
    DocumentKind.ORDERS: ORDERS,
    DocumentKind.DDT: DDT,
    DocumentKind.INVOICES: INVOICES,
}
_CUSTOMERS = mirror_tables[CUSTOMERS.table]
_LINES = child_tables[ORDER_LINES.table]
_HIDDEN = {"updated_at"}


def _columns(spec: RecordSpec) -> list[Any]:
    table = mirror_tables[spec.table]
    return [table.c[name] for name in spec.field_names if name not in _HIDDEN]


def _scoped_by_agent(table: Table) -> ColumnElement[bool]:
    """The agent's scope as a filter only, for a query a more selective key leads (a customer,
    an order's numbers): SQLite keeps no statistics unless analysed, and given
    ``agent_code = ?`` it walks the agent's index (a third of the table, three agents) instead
    of the customer's or the order's. No index covers the ``coalesce``, on either database;
    the row it keeps is the same (the bound agent is never null)."""
    return func.coalesce(table.c.agent_code, "") == bindparam("agent")


@cache
def _documents(
    kind: DocumentKind,
    scoped: bool,
    customer: bool,
    date_from: bool,
    date_to: bool,
    state: bool,
    after: bool,
) -> Select[Any]:
    table = mirror_tables[_SPECS[kind].table]
    where: list[ColumnElement[bool]] = [table.c.deleted_at.is_(None)]
    if scoped:
        where.append(
            _scoped_by_agent(table) if customer else table.c.agent_code == bindparam("agent")
        )
    if customer:
        where.append(table.c.customer_code == bindparam("customer"))
    if date_from:
        where.append(table.c.date >= bindparam("date_from", type_=Date))
    if date_to:
        where.append(table.c.date <= bindparam("date_to", type_=Date))
    if state:
        where.append(table.c.state == bindparam("state"))
    if after:
        mark_date = bindparam("mark_date", type_=Date)
        # Implied by the OR below, but an index range only through this: without it the walk
        # starts from the newest row and filters its way down to the mark.
        where.append(table.c.date <= mark_date)
        where.append(
            or_(
                table.c.date < mark_date,
                and_(table.c.date == mark_date, table.c.number < bindparam("mark_number")),
            )
        )
    return (
        select(*_columns(_SPECS[kind]))
        .where(*where)
        .order_by(table.c.date.desc(), table.c.number.desc())
        .limit(bindparam("limit"))
    )


@cache
def _document(kind: DocumentKind, scoped: bool) -> Select[Any]:
    table = mirror_tables[_SPECS[kind].table]
    where: list[ColumnElement[bool]] = [
        table.c.number == bindparam("number"),
        table.c.deleted_at.is_(None),
    ]
    if scoped:
        where.append(table.c.agent_code == bindparam("agent"))
    return select(*_columns(_SPECS[kind])).where(*where)


@cache
def _linked(kind: DocumentKind, scoped: bool) -> Select[Any]:
    table = mirror_tables[_SPECS[kind].table]
    where: list[ColumnElement[bool]] = [
        table.c.order_number.in_(bindparam("numbers", expanding=True)),
        table.c.deleted_at.is_(None),
    ]
    if scoped:
        where.append(_scoped_by_agent(table))
    return select(*_columns(_SPECS[kind])).where(*where).order_by(table.c.date, table.c.number)


@cache
def _customer(scoped: bool) -> Select[Any]:
    where: list[ColumnElement[bool]] = [
        _CUSTOMERS.c.code == bindparam("code"),
        _CUSTOMERS.c.deleted_at.is_(None),
    ]
    if scoped:
        where.append(_CUSTOMERS.c.agent_code == bindparam("agent"))
    return select(*_columns(CUSTOMERS)).where(*where)


@cache
def _unpaid(scoped: bool) -> Select[Any]:
    table = mirror_tables[INVOICES.table]
    where: list[ColumnElement[bool]] = [
        table.c.customer_code == bindparam("customer"),
        table.c.deleted_at.is_(None),
        or_(table.c.paid.is_(None), table.c.paid.is_(False)),
    ]
    if scoped:
        where.append(_scoped_by_agent(table))
    return select(*_columns(INVOICES)).where(*where).order_by(table.c.due_date, table.c.number)


_CUSTOMER_NAMES = select(_CUSTOMERS.c.code, _CUSTOMERS.c.name).where(
    _CUSTOMERS.c.code.in_(bindparam("codes", expanding=True)), _CUSTOMERS.c.deleted_at.is_(None)
)
_ORDER_LINES = (
    select(_LINES)
    .where(_LINES.c.parent_number.in_(bindparam("numbers", expanding=True)))
    .order_by(_LINES.c.parent_number, _LINES.c.line_no)
)


class SqlMirrorBook:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _rows(self, query: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self._engine.connect() as conn:
            return [dict(row) for row in conn.execute(query, params).mappings()]

    def customer_card(self, code: str, agent_code: str | None) -> dict[str, Any] | None:
        rows = self._rows(_customer(agent_code is not None), {"code": code, "agent": agent_code})
        return rows[0] if rows else None

    def documents(
        self, kind: DocumentKind, where: DocumentFilter, after: Mark | None, limit: int
    ) -> list[dict[str, Any]]:
        state = where.state is not None and kind is DocumentKind.ORDERS
        query = _documents(
            kind,
            where.agent_code is not None,
            where.customer_code is not None,
            where.date_from is not None,
            where.date_to is not None,
            state,
            after is not None,
        )
        params: dict[str, Any] = {
            "agent": where.agent_code,
            "customer": where.customer_code,
            "date_from": where.date_from,
            "date_to": where.date_to,
            "state": where.state,
            "limit": limit,
        }
        if after is not None:
            params |= {"mark_date": after.date, "mark_number": after.number}
        return self._rows(query, params)

    def document(
        self, kind: DocumentKind, number: str, agent_code: str | None
    ) -> dict[str, Any] | None:
        rows = self._rows(
            _document(kind, agent_code is not None), {"number": number, "agent": agent_code}
        )
        return rows[0] if rows else None

    def order_lines(self, numbers: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {n: [] for n in numbers}
        if numbers:
            for row in self._rows(_ORDER_LINES, {"numbers": list(numbers)}):
                found[row.pop("parent_number")].append(row)
        return found

    def linked(
        self, kind: DocumentKind, order_numbers: Sequence[str], agent_code: str | None
    ) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {n: [] for n in order_numbers}
        if order_numbers:
            params = {"numbers": list(order_numbers), "agent": agent_code}
            for row in self._rows(_linked(kind, agent_code is not None), params):
                found[row["order_number"]].append(row)
        return found

    def customer_names(self, codes: Collection[str]) -> dict[str, str]:
        if not codes:
            return {}
        rows = self._rows(_CUSTOMER_NAMES, {"codes": sorted(codes)})
        return {row["code"]: row["name"] for row in rows}

    def unpaid_invoices(self, customer_code: str, agent_code: str | None) -> list[dict[str, Any]]:
        params = {"customer": customer_code, "agent": agent_code}
        return self._rows(_unpaid(agent_code is not None), params)
