"""Generated sales documents: orders with their lines, delivery notes (DDT) and invoices.

Every document points at records that exist: an order at a customer and products, a DDT and
an invoice at an order (or, for the few without one, at a customer), and each carries the agent
of its customer. An order's state follows its documents: invoiced, shipped, open or cancelled.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from erpsync.demo_erp.masterdata import CENT
from erpsync.demo_erp.names import CARRIERS, ORDER_STATES_OPEN
from erpsync.demo_erp.timeline import at_most, days_before, iso, moment_on

Record = dict[str, Any]

_SHIPPED_SHARE = 0.92
_CANCELLED_SHARE = 0.02
_DISCOUNTS = ("0", "0", "0", "0", "5", "10", "15")
_FALLBACK_PRICE = Decimal("10.00")
_DAYS_TO_INVOICE = 5


@dataclass(frozen=True)
class Documents:
    orders: list[Record]
    ddt: list[Record]
    invoices: list[Record]


def _order_lines(
    rng: random.Random, products: Sequence[Record], list_prices: Mapping[str, Decimal]
) -> tuple[list[Record], Decimal, Decimal]:
    lines: list[Record] = []
    net_total = vat_total = Decimal(0)
    for line_no in range(1, rng.randint(1, 8) + 1):
        product = rng.choice(products)
        qty = max(product["min_qty"], product["multiple_qty"] * rng.randint(1, 10))
        unit_price = list_prices.get(product["code"], _FALLBACK_PRICE)
        discount = rng.choice(_DISCOUNTS)
        net = (qty * unit_price * (100 - Decimal(discount)) / 100).quantize(CENT)
        net_total += net
        vat_total += (net * Decimal(product["vat_rate"]) / 100).quantize(CENT)
        lines.append(
            {
                "line_no": line_no,
                "product_code": product["code"],
                "qty": str(qty),
                "unit_price": str(unit_price),
                "discount": discount,
            }
        )
    return lines, net_total, vat_total


def _orders(
    rng: random.Random,
    count: int,
    customers: Sequence[Record],
    products: Sequence[Record],
    list_prices: Mapping[str, Decimal],
    anchor: datetime,
) -> list[Record]:
    days = sorted(days_before(anchor, rng, 365) for _ in range(count))
    orders: list[Record] = []
    for n, day in enumerate(days, start=1):
        customer = rng.choice(customers)
        lines, net, vat = _order_lines(rng, products, list_prices)
        orders.append(
            {
                "number": f"OV{n:06d}",
                "customer_code": customer["code"],
                "date": day.isoformat(),
                "state": rng.choice(ORDER_STATES_OPEN),
                "total_net": str(net),
                "total_vat": str(vat),
                "total": str(net + vat),
                "agent_code": customer["agent_code"],
                "client_reference": None,  # entered in the ERP itself, not by a client
                "lines": lines,
                "updated_at": iso(moment_on(day, rng, anchor)),
            }
        )
    return orders


def _numbered(prefix: str, documents: list[Record], key: str) -> list[Record]:
    """Number documents in date order, as an ERP's progressive numbering does."""
    documents.sort(key=lambda d: d["date"])
    for n, document in enumerate(documents, start=1):
        document[key] = f"{prefix}{n:06d}"
    return [{key: d.pop(key), **d} for d in documents]


def _tracking(rng: random.Random, carrier: str) -> str | None:
    if carrier == "Mezzo proprio":
        return None
    return f"{carrier[:3].upper()}{rng.randrange(10**12):012d}"


def _ddt(
    rng: random.Random, count: int, shipped: Sequence[Record], anchor: datetime
) -> list[Record]:
    """The first DDT of each shipped order, then second (partial) deliveries."""
    if not shipped:
        return []
    notes: list[Record] = []
    for i in range(count):
        order = shipped[i] if i < len(shipped) else rng.choice(shipped)
        day = at_most(date.fromisoformat(order["date"]) + timedelta(days=rng.randint(1, 7)), anchor)
        carrier = rng.choice(CARRIERS)
        notes.append(
            {
                "date": day.isoformat(),
                "order_number": order["number"],
                "customer_code": order["customer_code"],
                "carrier": carrier,
                "tracking_number": _tracking(rng, carrier),
                "agent_code": order["agent_code"],
                "updated_at": iso(moment_on(day, rng, anchor)),
            }
        )
    return _numbered("DDT", notes, "number")


def _invoice(
    rng: random.Random,
    day: date,
    customer: Record,
    order_number: str | None,
    taxable: Decimal,
    vat: Decimal,
    anchor: datetime,
) -> Record:
    due = day + timedelta(days=rng.choice((30, 60, 90)))
    paid = due < anchor.date() and rng.random() < 0.85
    touched = moment_on(due, rng, anchor) if paid else moment_on(day, rng, anchor)
    return {
        "date": day.isoformat(),
        "customer_code": customer["code"],
        "order_number": order_number,
        "taxable": str(taxable),
        "vat": str(vat),
        "total": str(taxable + vat),
        "due_date": due.isoformat(),
        "paid": paid,
        "agent_code": customer["agent_code"],
        "updated_at": iso(touched),
    }


def _invoices(
    rng: random.Random,
    count: int,
    shipped: Sequence[Record],
    shipped_on: Mapping[str, date],
    customers: Sequence[Record],
    anchor: datetime,
) -> list[Record]:
    """One invoice per shipped order, then invoices without an order (services, fees)."""
    by_code = {c["code"]: c for c in customers}
    invoices: list[Record] = []
    for i in range(count):
        if i < len(shipped):
            order = shipped[i]
            day = at_most(shipped_on[order["number"]] + timedelta(days=rng.randint(0, 5)), anchor)
            customer = by_code[order["customer_code"]]
            taxable, vat = Decimal(order["total_net"]), Decimal(order["total_vat"])
            invoices.append(_invoice(rng, day, customer, order["number"], taxable, vat, anchor))
        else:
            taxable = Decimal(rng.randint(5000, 500000)) / 100
            vat = (taxable * Decimal("0.22")).quantize(CENT)
            day = days_before(anchor, rng, 365)
            invoices.append(_invoice(rng, day, rng.choice(customers), None, taxable, vat, anchor))
    return _numbered("FT", invoices, "number")


def _settle_orders(
    orders: Sequence[Record], ddt: Sequence[Record], invoices: Sequence[Record]
) -> None:
    """Move each order to the state its documents imply, touched when the last one was made."""
    by_number = {o["number"]: o for o in orders}
    for kind, documents in (("evaso", ddt), ("fatturato", invoices)):
        for document in documents:
            order = by_number.get(document["order_number"] or "")
            if order is not None:
                order["state"] = kind
                # Same format (UTC, whole seconds) on both sides, so text order is time order.
                order["updated_at"] = max(order["updated_at"], document["updated_at"])


def generate_documents(
    rng: random.Random,
    counts: tuple[int, int, int],
    customers: Sequence[Record],
    products: Sequence[Record],
    list_prices: Mapping[str, Decimal],
    anchor: datetime,
) -> Documents:
    """Orders, DDT and invoices, ``counts`` of each in that order."""
    order_count, ddt_count, invoice_count = counts
    if not customers:
        return Documents([], [], [])
    orders = _orders(rng, order_count, customers, products, list_prices, anchor) if products else []
    for order in orders:
        if rng.random() < _CANCELLED_SHARE:
            order["state"] = "annullato"
    candidates = orders[: int(len(orders) * _SHIPPED_SHARE)]
    shipped = [o for o in candidates if o["state"] != "annullato"]
    ddt = _ddt(rng, ddt_count, shipped, anchor)
    shipped_on: dict[str, date] = {}
    for note in ddt:
        number = note["order_number"]
        shipped_on[number] = max(shipped_on.get(number, date.min), date.fromisoformat(note["date"]))
    # Goods shipped in the last few days are not invoiced yet: those orders stay "evaso".
    invoicing_cutoff = anchor.date() - timedelta(days=_DAYS_TO_INVOICE)
    invoiced = [o for o in shipped if shipped_on.get(o["number"], date.max) <= invoicing_cutoff]
    invoices = _invoices(rng, invoice_count, invoiced, shipped_on, customers, anchor)
    _settle_orders(orders, ddt, invoices)
    return Documents(orders, ddt, invoices)
