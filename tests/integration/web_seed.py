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
