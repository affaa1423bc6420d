"""Mirror rows for the web tests, written straight into the mirror tables."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, insert

from erpsync.adapters.db.tables import mirror_tables
from erpsync.domain.catalog import SPECS
from erpsync.domain.search import search_text
from erpsync.domain.types import SyncType

AT = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
TODAY = date(2026, 11, 2)

CUSTOMERS = [
    {
        "code": "C1",
        "name": "Ferramenta Rossi S.r.l.",
        "city": "Città di Castello",
        "agent_code": "A01",
    },
    {"code": "C2", "name": "Edilizia Bianchi", "city": "Bologna", "agent_code": "A01"},
    {"code": "C3", "name": "Ferramenta Verdi", "city": "Bologna", "agent_code": "A02"},
    {"code": "C4", "name": "Colorificio Neri", "city": "Parma", "agent_code": None},
]
PRODUCTS = [
    {
        "code": "P1",
        "description": "Vite inox 4x40",
        "group": "VITERIA",
        "package_size": 100,
        "min_qty": 100,
        "multiple_qty": 100,
        "vat_rate": "22",
    },
    {
        "code": "P2",
        "description": "Martello 500 g",
        "group": "UTENSILI",
        "package_size": 1,
        "min_qty": 1,
        "multiple_qty": 1,
        "vat_rate": "22",
    },
    {
        "code": "P3",
        "description": "Libro tecnico",
        "group": "EDITORIA",
        "package_size": 1,
        "min_qty": 1,
        "multiple_qty": 1,
        "vat_rate": "4",
    },
]
PRICES = [
    {"id": "L01-P1", "product_code": "P1", "list_code": "L01", "unit_price": "0.12"},
    {"id": "L02-P1", "product_code": "P1", "list_code": "L02", "unit_price": "0.10"},
    {
        "id": "L03-P1",
        "product_code": "P1",
        "list_code": "L03",
        "unit_price": "0.08",
        "valid_from": date(2026, 10, 1),
        "valid_to": date(2026, 10, 31),
    },
    {"id": "L02-P2", "product_code": "P2", "list_code": "L02", "unit_price": "9.90"},
    {
        "id": "L01-P3",
        "product_code": "P3",
        "list_code": "L01",
        "unit_price": "25.00",
        "valid_from": date(2026, 12, 1),
    },
]


def _rows(type: SyncType, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    spec = SPECS[type]
    rows = []
    for record in records:
        row = {name: record.get(name) for name in spec.field_names}
        row.update(updated_at=AT, row_hash="x", seen_run=None, synced_at=AT, deleted_at=None)
        if spec.search_fields:
            row["search_text"] = search_text(spec, row)
        rows.append(row)
    return rows


def seed_mirror(engine: Engine, *, deleted: tuple[str, ...] = ()) -> None:
    """The customers, products and prices above; keys in ``deleted`` are marked deleted."""
    with engine.begin() as conn:
        for type, records in (
            (SyncType.CUSTOMERS, CUSTOMERS),
            (SyncType.PRODUCTS, PRODUCTS),
            (SyncType.PRICES, PRICES),
        ):
            rows = _rows(type, records)
            for row in rows:
                if row[SPECS[type].key] in deleted:
                    row["deleted_at"] = AT
            conn.execute(insert(mirror_tables[SPECS[type].table]), rows)


def _order(number: str, customer: str, day: date, agent: str | None, state: str) -> dict[str, Any]:
    return {
        "number": number,
        "customer_code": customer,
        "date": day,
        "state": state,
        "total_net": "12.00",
        "total_vat": "2.64",
        "total": "14.64",
        "agent_code": agent,
    }


#: Anna's (A01) customer C1 has three orders, one shipped twice and invoiced; Bruno's (A02)
#: customer C3 has one. Two orders share a date, so the keyset's tie-break on number counts.
ORDERS = [
    _order("OV1", "C1", date(2026, 10, 1), "A01", "fatturato"),
    _order("OV2", "C1", date(2026, 10, 20), "A01", "evaso"),
    _order("OV3", "C1", date(2026, 10, 20), "A01", "inserito"),
    _order("OV4", "C3", date(2026, 10, 5), "A02", "fatturato"),
]
ORDER_LINES = [
    {"parent_number": "OV1", "line_no": 1, "product_code": "P1", "qty": "50", "unit_price": "0.12"},
    {"parent_number": "OV1", "line_no": 2, "product_code": "P2", "qty": "3", "unit_price": "9.00"},
    {"parent_number": "OV1", "line_no": 3, "product_code": "P9", "qty": "1", "unit_price": "5.00"},
    {"parent_number": "OV2", "line_no": 1, "product_code": "P2", "qty": "1", "unit_price": "9.90"},
]
DDT = [
    {
        "number": "DDT1",
        "date": date(2026, 10, 3),
        "order_number": "OV1",
        "customer_code": "C1",
        "carrier": "BRT",
        "tracking_number": "BRT000000000001",
        "agent_code": "A01",
    },
    {
        "number": "DDT2",
        "date": date(2026, 10, 6),
        "order_number": "OV1",
        "customer_code": "C1",
        "carrier": "Mezzo proprio",
        "tracking_number": None,
        "agent_code": "A01",
    },
    {
        "number": "DDT3",
        "date": date(2026, 10, 7),
        "order_number": "OV4",
        "customer_code": "C3",
        "carrier": "GLS",
        "tracking_number": "GLS000000000003",
        "agent_code": "A02",
    },
]
INVOICES = [
    # overdue: due before TODAY, unpaid
    {
        "number": "FT1",
        "date": date(2026, 10, 8),
        "customer_code": "C1",
        "order_number": "OV1",
        "taxable": "12.00",
        "vat": "2.64",
        "total": "14.64",
        "due_date": date(2026, 10, 31),
        "paid": False,
        "agent_code": "A01",
    },
    # open: not due yet
    {
        "number": "FT2",
        "date": date(2026, 10, 9),
        "customer_code": "C1",
        "order_number": None,
        "taxable": "100.00",
        "vat": "22.00",
        "total": "122.00",
        "due_date": date(2026, 12, 9),
        "paid": False,
        "agent_code": "A01",
    },
    {
        "number": "FT3",
        "date": date(2026, 9, 1),
        "customer_code": "C1",
        "order_number": None,
        "taxable": "10.00",
        "vat": "2.20",
        "total": "12.20",
        "due_date": date(2026, 10, 1),
        "paid": True,
        "agent_code": "A01",
    },
    {
        "number": "FT4",
        "date": date(2026, 10, 9),
        "customer_code": "C3",
        "order_number": "OV4",
        "taxable": "12.00",
        "vat": "2.64",
        "total": "14.64",
        "due_date": date(2026, 10, 10),
        "paid": False,
        "agent_code": "A02",
    },
]


def seed_book(engine: Engine) -> None:
    """The mirror of :func:`seed_mirror` and the orders, DDT and invoices above."""
    from erpsync.adapters.db.tables import child_tables

    seed_mirror(engine)
    with engine.begin() as conn:
        for type, records in (
            (SyncType.ORDERS, ORDERS),
            (SyncType.DDT, DDT),
            (SyncType.INVOICES, INVOICES),
        ):
            conn.execute(insert(mirror_tables[SPECS[type].table]), _rows(type, records))
        conn.execute(
            insert(child_tables["order_lines"]), [dict(r, discount=None) for r in ORDER_LINES]
        )
