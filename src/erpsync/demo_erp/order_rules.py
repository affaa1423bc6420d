"""What the ERP accepts in an order, what the order comes to, and the number it gets.

Pure functions over the records an order names (:class:`MasterData`), so each rule is tested
with a handful of dicts. The rules:

* the customer exists and is not blocked; an agent code, when given, is one the ERP knows;
* every product exists; its quantity is positive, at least ``min_qty`` and a multiple of
  ``multiple_qty`` (a missing value is no constraint);
* the net unit price ``unit_price × (100 − discount) / 100`` is not below the floor: 60 % of
  the product's lowest ``unit_price`` among the price rows valid on the order date (a row is
  valid from ``valid_from`` to ``valid_to``, both included, a missing end being open). A
  product with no valid row has no floor. Both sides are compared exactly, unrounded.

Totals: a line's net is ``qty × unit_price × (100 − discount) / 100`` rounded half up to the
cent, its VAT the net times the product's ``vat_rate`` / 100, rounded half up to the cent on
its own; the order's totals are the sums of those (as the generated orders are made).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from erpsync.demo_erp.order_intake import HUNDRED, LineRequest, OrderRequest, Reading, Reason
from erpsync.demo_erp.order_intake import ReasonCode as Code

Record = dict[str, Any]

CENT = Decimal("0.01")
FLOOR_SHARE = Decimal("0.6")
NEW_ORDER_STATE = "inserito"
_NUMBER = re.compile(r"OV(\d+)")
# Enough digits for the largest quantity × price × discount the intake lets through exactly.
_EXACT_DIGITS = 60


@dataclass(frozen=True)
class MasterData:
    """The ERP's records an order names, as they are when it is checked.

    Attributes:
        customer: the customer named, ``None`` when there is none by that code.
        customer_blocked: the ERP refuses orders for this customer.
        agent_codes: every agent the ERP knows.
        products: the products named that exist, by code.
        prices: the price rows of those products, by product code.
    """

    customer: Record | None
    customer_blocked: bool
    agent_codes: frozenset[str]
    products: Mapping[str, Record]
    prices: Mapping[str, Sequence[Record]]


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def net_unit_price(line: LineRequest) -> Decimal:
    with localcontext(prec=_EXACT_DIGITS):
        return line.unit_price * (HUNDRED - line.discount) / HUNDRED


def line_net(line: LineRequest) -> Decimal:
    with localcontext(prec=_EXACT_DIGITS):
        return money(line.qty * net_unit_price(line))


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _valid_on(row: Mapping[str, Any], day: date) -> bool:
    starts, ends = row.get("valid_from"), row.get("valid_to")
    return (starts is None or date.fromisoformat(starts) <= day) and (
        ends is None or day <= date.fromisoformat(ends)
    )


def price_floor(rows: Iterable[Mapping[str, Any]], day: date) -> Decimal | None:
    """60 % of the lowest price valid on ``day``, or ``None`` when no row is valid then."""
    valid = [Decimal(row["unit_price"]) for row in rows if _valid_on(row, day)]
    return min(valid) * FLOOR_SHARE if valid else None


def _customer_reasons(code: str, master: MasterData) -> list[Reason]:
    if master.customer is None:
        message = f"there is no customer {code!r}"
        return [Reason(Code.UNKNOWN_CUSTOMER, "customer_code", None, message)]
    if master.customer_blocked:
        message = f"customer {code!r} is blocked: the ERP takes no orders for it"
        return [Reason(Code.CUSTOMER_BLOCKED, "customer_code", None, message)]
    return []


def _qty_reasons(line: LineRequest, product: Record | None) -> list[Reason]:
    n, qty = line.line_no, line.qty
    if qty <= 0:
        return [Reason(Code.BELOW_MINIMUM, "qty", n, f"line {n}: the quantity must be positive")]
    if product is None:
        return []
    reasons = []
    minimum, multiple = product.get("min_qty"), product.get("multiple_qty")
    if minimum and qty < minimum:
        message = f"line {n}: quantity {qty} is below the minimum of {minimum}"
        reasons.append(Reason(Code.BELOW_MINIMUM, "qty", n, message))
    if multiple and qty % multiple:
        message = f"line {n}: quantity {qty} is not a multiple of {multiple}"
        reasons.append(Reason(Code.NOT_MULTIPLE, "qty", n, message))
    return reasons


def _floor_reasons(line: LineRequest, master: MasterData, day: date) -> list[Reason]:
    floor = price_floor(master.prices.get(line.product_code, ()), day)
    net = net_unit_price(line)
    if floor is None or net >= floor:
        return []
    message = (
        f"line {line.line_no}: the net unit price {_plain(net)} is below the floor of "
        f"{_plain(floor)} "
        f"(60 % of the lowest list price of {line.product_code} on {day.isoformat()})"
    )
    return [Reason(Code.BELOW_FLOOR, "unit_price", line.line_no, message)]


def _line_reasons(line: LineRequest, master: MasterData, day: date | None) -> list[Reason]:
    product = master.products.get(line.product_code)
    reasons = []
    if product is None:
        message = f"line {line.line_no}: there is no product {line.product_code!r}"
        reasons.append(Reason(Code.UNKNOWN_PRODUCT, "product_code", line.line_no, message))
    reasons += _qty_reasons(line, product)
    if product is not None and day is not None:
        reasons += _floor_reasons(line, master, day)
    return reasons


def order_reasons(reading: Reading, master: MasterData) -> list[Reason]:
    """Every reason to refuse the order: its malformations and every rule the well-formed
    parts break, the order's own first, then line by line."""
    reasons = list(reading.reasons)
    if reading.customer_code is not None:
        reasons += _customer_reasons(reading.customer_code, master)
    if reading.agent_code is not None and reading.agent_code not in master.agent_codes:
        message = f"there is no agent {reading.agent_code!r}"
        reasons.append(Reason(Code.UNKNOWN_AGENT, "agent_code", None, message))
    for line in reading.lines:
        reasons += _line_reasons(line, master, reading.date)
    return sorted(reasons, key=lambda reason: reason.line or 0)


def next_order_number(existing: Iterable[str], last_issued: int) -> int:
    """The number after the highest ``OV…`` number in use or ever issued: a number is never
    given twice, even after its order was deleted."""
    in_use = (int(m[1]) for key in existing if (m := _NUMBER.fullmatch(key)))
    return max(max(in_use, default=0), last_issued) + 1


def order_number(n: int) -> str:
    return f"OV{n:06d}"


def priced_order(order: OrderRequest, number: str, master: MasterData) -> Record:
    """The order as the ERP stores and serves it, ``updated_at`` aside (the store stamps it).

    ``master`` must be the one the order passed :func:`order_reasons` with.
    """
    lines: list[Record] = []
    total_net = total_vat = Decimal(0)
    for line in order.lines:
        net = line_net(line)
        total_net += net
        total_vat += money(net * Decimal(master.products[line.product_code]["vat_rate"]) / HUNDRED)
        lines.append(
            {
                "line_no": line.line_no,
                "product_code": line.product_code,
                "qty": str(line.qty),
                "unit_price": str(line.unit_price),
                "discount": str(line.discount),
            }
        )
    return {
        "number": number,
        "customer_code": order.customer_code,
        "date": order.date.isoformat(),
        "state": NEW_ORDER_STATE,
        "total_net": str(total_net),
        "total_vat": str(total_vat),
        "total": str(total_net + total_vat),
        "agent_code": order.agent_code or (master.customer or {}).get("agent_code"),
        "client_reference": order.client_reference,
        "lines": lines,
    }
