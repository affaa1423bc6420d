"""Order bodies and the few ERP records they name, built field by field for the write tests."""

from __future__ import annotations

from typing import Any

from erpsync.demo_erp.order_rules import MasterData
from erpsync.domain.types import SyncType

Record = dict[str, Any]
STAMP = "2026-10-01T09:00:00+00:00"
AGENTS = ("A01", "A02", "A03")


def line(**fields: Any) -> Record:
    return {"product_code": "P00001", "qty": "12", "unit_price": "10.00", "discount": "0", **fields}


def body(**fields: Any) -> Record:
    return {
        "client_reference": "draft-0001",
        "customer_code": "C000001",
        "agent_code": None,
        "date": "2026-12-01",
        "notes": "",
        "lines": [line()],
        **fields,
    }


def customer(code: str = "C000001", agent_code: str = "A02") -> Record:
    return {"code": code, "name": f"Cliente {code}", "agent_code": agent_code, "updated_at": STAMP}


def product(
    code: str = "P00001",
    *,
    min_qty: int | None = 1,
    multiple_qty: int | None = 1,
    vat_rate: str = "22",
) -> Record:
    return {
        "code": code,
        "description": f"Articolo {code}",
        "min_qty": min_qty,
        "multiple_qty": multiple_qty,
        "vat_rate": vat_rate,
        "updated_at": STAMP,
    }


def price(
    product_code: str = "P00001",
    unit_price: str = "10.00",
    *,
    list_code: str = "L01",
    valid_from: str | None = "2026-01-01",
    valid_to: str | None = None,
) -> Record:
    return {
        "id": f"{list_code}-{product_code}",
        "product_code": product_code,
        "list_code": list_code,
        "unit_price": unit_price,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "updated_at": STAMP,
    }


def records(
    customers: list[Record] | None = None,
    products: list[Record] | None = None,
    prices: list[Record] | None = None,
    orders: list[Record] | None = None,
) -> dict[SyncType, list[Record]]:
    """A tiny ERP: by default one customer, one product and its one price."""
    return {
        SyncType.CUSTOMERS: [customer()] if customers is None else customers,
        SyncType.PRODUCTS: [product()] if products is None else products,
        SyncType.PRICES: [price()] if prices is None else prices,
        SyncType.ORDERS: orders or [],
    }


def master(
    *,
    customer_found: bool = True,
    blocked: bool = False,
    products: list[Record] | None = None,
    prices: list[Record] | None = None,
) -> MasterData:
    """What the default body names, as the ERP would look it up."""
    found = [product()] if products is None else products
    rows = [price()] if prices is None else prices
    by_product: dict[str, list[Record]] = {}
    for row in rows:
        by_product.setdefault(row["product_code"], []).append(row)
    return MasterData(
        customer=customer() if customer_found else None,
        customer_blocked=blocked,
        agent_codes=frozenset(AGENTS),
        products={p["code"]: p for p in found},
        prices=by_product,
    )
