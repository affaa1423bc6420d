"""How the agent's book leaves the API: camelCase keys, money as exact decimal text."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from erpsync.domain.book import Freshness, Mark, Receivables, Repeat, invoice_standing
from erpsync.domain.types import SyncType
from erpsync.errors import InvalidInputError
from erpsync.services.book import CustomerCard, OrderView
from erpsync.web.json_shapes import price_json, product_json


def _money(value: Any) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def cursor(mark: Mark | None) -> str | None:
    """A page's end as the opaque ``next`` the API hands out."""
    if mark is None:
        return None
    raw = f"{mark.date.isoformat()}|{mark.number}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def parse_cursor(text: str | None) -> Mark | None:
    """Raises ``InvalidInputError`` for a cursor this service did not hand out."""
    if text is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        day, number = raw.split("|", 1)
        mark = Mark(date.fromisoformat(day), number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidInputError("after: not a cursor from a previous page") from None
    if not number or "\x00" in number:
        raise InvalidInputError("after: not a cursor from a previous page")
    return mark


def customer_master_json(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "code": row["code"],
        "name": row["name"],
        "vatNumber": row["vat_number"],
        "fiscalCode": row["fiscal_code"],
        "address": row["address"],
        "postcode": row["postcode"],
        "city": row["city"],
        "province": row["province"],
        "phone": row["phone"],
        "email": row["email"],
        "pec": row["pec"],
        "agentCode": row["agent_code"],
    }


def receivables_json(owed: Receivables) -> dict[str, Any]:
    return {
        "openTotal": _money(owed.open_total),
        "overdueTotal": _money(owed.overdue_total),
        "openCount": owed.open_count,
        "overdueCount": owed.overdue_count,
    }


def ddt_json(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "number": row["number"],
        "date": _day(row["date"]),
        "orderNumber": row["order_number"],
        "customerCode": row["customer_code"],
        "carrier": row["carrier"],
        "trackingNumber": row["tracking_number"],
    }


def invoice_json(row: Mapping[str, Any], today: date) -> dict[str, Any]:
    return {
        "number": row["number"],
        "date": _day(row["date"]),
        "customerCode": row["customer_code"],
        "orderNumber": row["order_number"],
        "taxable": _money(row["taxable"]),
        "vat": _money(row["vat"]),
        "total": _money(row["total"]),
        "dueDate": _day(row["due_date"]),
        "paid": bool(row["paid"]),
        "standing": invoice_standing(row, today).value,
    }


def line_json(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "lineNo": row["line_no"],
        "productCode": row["product_code"],
        "qty": format(Decimal(row["qty"]).normalize(), "f"),
        "unitPrice": _money(row["unit_price"]),
        "discount": format(Decimal(row["discount"] or 0).normalize(), "f"),
    }


def order_json(view: OrderView, today: date) -> dict[str, Any]:
    order = view.order
    return {
        "number": order["number"],
        "customerCode": order["customer_code"],
        "customerName": view.customer_name,
        "date": _day(order["date"]),
        "state": order["state"],
        "totalNet": _money(order["total_net"]),
        "totalVat": _money(order["total_vat"]),
        "total": _money(order["total"]),
        "clientReference": order["client_reference"],
        "lines": [line_json(li) for li in view.lines],
        "ddt": [ddt_json(d) for d in view.ddt],
        "invoices": [invoice_json(i, today) for i in view.invoices],
    }


def card_json(card: CustomerCard, today: date) -> dict[str, Any]:
    return {
        "customer": customer_master_json(card.customer),
        "receivables": receivables_json(card.receivables),
        "unpaid": [invoice_json(i, today) for i in card.unpaid],
    }


def freshness_json(found: Mapping[SyncType, Freshness]) -> dict[str, Any]:
    return {
        t.value: {
            "syncedAt": None if f.synced_at is None else f.synced_at.isoformat(),
            "stale": f.stale,
        }
        for t, f in found.items()
    }


def repeat_json(repeat: Repeat) -> dict[str, Any]:
    """What the order form takes to start a new order from a past one."""
    return {
        "orderNumber": repeat.order_number,
        "customer": customer_master_json(repeat.customer),
        "lines": [
            {
                "product": product_json(line.product),
                "qty": line.qty,
                "price": None if line.price is None else price_json(line.price),
                "discount": format(line.discount.normalize(), "f"),
                "notes": [n.value for n in line.notes],
            }
            for line in repeat.lines
        ],
        "dropped": repeat.dropped,
    }
