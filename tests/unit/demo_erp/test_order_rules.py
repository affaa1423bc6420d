from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from erpsync.demo_erp.order_intake import ReasonCode, read_order
from erpsync.demo_erp.order_rules import (
    MasterData,
    next_order_number,
    order_number,
    order_reasons,
    price_floor,
    priced_order,
)

from .order_factory import body, line, master, price, product

Code = ReasonCode


def _reasons(given: dict[str, Any], erp: MasterData) -> list[tuple[Code, str | None, int | None]]:
    return [(r.code, r.field, r.line) for r in order_reasons(read_order(given), erp)]


def _priced(given: dict[str, Any], erp: MasterData) -> dict[str, Any]:
    reading = read_order(given)
    assert reading.order is not None and order_reasons(reading, erp) == []
    return priced_order(reading.order, "OV000042", erp)


def test_an_order_within_the_rules_has_no_reasons() -> None:
    assert _reasons(body(), master()) == []


def test_an_unknown_customer_is_refused() -> None:
    assert _reasons(body(), master(customer_found=False)) == [
        (Code.UNKNOWN_CUSTOMER, "customer_code", None)
    ]


def test_a_blocked_customer_is_refused() -> None:
    assert _reasons(body(), master(blocked=True)) == [
        (Code.CUSTOMER_BLOCKED, "customer_code", None)
    ]


def test_an_unknown_agent_is_refused_and_null_is_the_customers() -> None:
    assert _reasons(body(agent_code="A09"), master()) == [(Code.UNKNOWN_AGENT, "agent_code", None)]
    assert _reasons(body(agent_code="A01"), master()) == []


def test_an_unknown_product_is_refused_on_its_line() -> None:
    given = body(lines=[line(), line(product_code="P99999")])

    assert _reasons(given, master()) == [(Code.UNKNOWN_PRODUCT, "product_code", 2)]


@pytest.mark.parametrize(
    ("qty", "codes"),
    [
        ("0", [Code.BELOW_MINIMUM]),
        ("-6", [Code.BELOW_MINIMUM]),
        ("4", [Code.BELOW_MINIMUM]),
        ("6", [Code.BELOW_MINIMUM, Code.NOT_MULTIPLE]),
        ("14", [Code.NOT_MULTIPLE]),
        ("12", []),
        ("12.0", []),
        ("12.5", [Code.NOT_MULTIPLE]),
        ("120", []),
    ],
)
def test_quantities_follow_the_products_minimum_and_multiple(qty: str, codes: list[Code]) -> None:
    erp = master(products=[product(min_qty=12, multiple_qty=4)])

    assert [code for code, *_ in _reasons(body(lines=[line(qty=qty)]), erp)] == codes


def test_a_product_without_quantity_rules_takes_any_positive_quantity() -> None:
    erp = master(products=[product(min_qty=None, multiple_qty=None)])

    assert _reasons(body(lines=[line(qty="0.5")]), erp) == []
    assert _reasons(body(lines=[line(qty="0")]), erp) == [(Code.BELOW_MINIMUM, "qty", 1)]


def test_an_unknown_product_still_needs_a_positive_quantity() -> None:
    given = body(lines=[line(product_code="P99999", qty=0)])

    assert [code for code, *_ in _reasons(given, master())] == [
        Code.UNKNOWN_PRODUCT,
        Code.BELOW_MINIMUM,
    ]


@pytest.mark.parametrize(
    ("unit_price", "discount", "refused"),
    [
        ("6.00", "0", False),  # exactly 60 % of 10.00
        ("5.99", "0", True),
        ("7.50", "20", False),  # net 6.00
        ("7.49", "20", True),  # net 5.992
        ("100", "94", False),  # net 6.00
        ("100", "94.01", True),
        ("0", "0", True),
    ],
)
def test_the_net_unit_price_must_reach_60_percent_of_the_lowest_valid_price(
    unit_price: str, discount: str, refused: bool
) -> None:
    given = body(lines=[line(unit_price=unit_price, discount=discount)])

    reasons = _reasons(given, master())

    assert reasons == ([(Code.BELOW_FLOOR, "unit_price", 1)] if refused else [])


def test_the_floor_is_taken_from_the_rows_valid_on_the_order_date() -> None:
    rows = [
        price(unit_price="10.00", list_code="L01"),
        price(unit_price="8.00", list_code="L02", valid_from="2026-03-01"),
        price(unit_price="5.00", list_code="L03", valid_from="2026-11-01", valid_to="2026-11-30"),
        price(unit_price="1.00", list_code="L04", valid_from="2027-01-01"),
    ]

    assert price_floor(rows, date(2026, 11, 30)) == Decimal("3.000")
    assert price_floor(rows, date(2026, 12, 1)) == Decimal("4.800")
    assert price_floor(rows, date(2026, 2, 1)) == Decimal("6.000")
    assert price_floor(rows, date(2025, 12, 31)) is None
    assert price_floor([price(valid_from=None)], date(1999, 1, 1)) == Decimal("6.000")


def test_a_product_without_a_valid_price_has_no_floor() -> None:
    given = body(lines=[line(unit_price="0.01")])

    assert _reasons(given, master(prices=[])) == []
    assert _reasons(given, master(prices=[price(valid_to="2026-06-30")])) == []


def test_every_reason_comes_at_once_order_first_then_line_by_line() -> None:
    erp = master(blocked=True, products=[product(min_qty=6, multiple_qty=6)])
    given = body(
        agent_code="A07",
        date="2026-12-01",
        lines=[
            line(qty="6"),
            line(qty="4", unit_price="1.00"),
            line(product_code="P77777"),
            line(qty="x"),
        ],
    )

    assert _reasons(given, erp) == [
        (Code.CUSTOMER_BLOCKED, "customer_code", None),
        (Code.UNKNOWN_AGENT, "agent_code", None),
        (Code.BELOW_MINIMUM, "qty", 2),
        (Code.NOT_MULTIPLE, "qty", 2),
        (Code.BELOW_FLOOR, "unit_price", 2),
        (Code.UNKNOWN_PRODUCT, "product_code", 3),
        (Code.INVALID, "qty", 4),
    ]


def test_a_priced_order_is_served_like_the_generated_ones() -> None:
    erp = master(products=[product(), product("P00002", vat_rate="10")], prices=[price()])
    given = body(
        client_reference="draft-abc",
        lines=[
            line(qty="3", unit_price="12.34", discount="10"),
            line(product_code="P00002", qty=2),
        ],
    )

    order = _priced(given, erp)

    assert order == {
        "number": "OV000042",
        "customer_code": "C000001",
        "date": "2026-12-01",
        "state": "inserito",
        # 3 × 12.34 × 0.9 = 33.318 → 33.32 (VAT 7.33); 2 × 10.00 = 20.00 (VAT 10 %: 2.00)
        "total_net": "53.32",
        "total_vat": "9.33",
        "total": "62.65",
        "agent_code": "A02",
        "client_reference": "draft-abc",
        "lines": [
            {
                "line_no": 1,
                "product_code": "P00001",
                "qty": "3",
                "unit_price": "12.34",
                "discount": "10",
            },
            {
                "line_no": 2,
                "product_code": "P00002",
                "qty": "2",
                "unit_price": "10.00",
                "discount": "0",
            },
        ],
    }


def test_an_agent_given_is_kept() -> None:
    assert _priced(body(agent_code="A03"), master())["agent_code"] == "A03"


def test_amounts_round_half_up_to_the_cent_line_by_line() -> None:
    # Each line nets 0.125: half up gives 0.13 (half even would give 0.12); VAT 22 % of 0.13
    # is 0.0286 → 0.03 per line, summed: 0.06 (0.26 × 22 % on the sum would be 0.0572 → 0.06).
    erp = master(prices=[])
    given = body(lines=[line(qty="1", unit_price="0.25", discount="50")] * 2)

    order = _priced(given, erp)

    assert (order["total_net"], order["total_vat"], order["total"]) == ("0.26", "0.06", "0.32")


def test_vat_is_rounded_per_line_not_on_the_sum() -> None:
    # 0.05 × 10 % = 0.005 → 0.01 on each line; on the sum 0.15 × 10 % = 0.015 → 0.02.
    erp = master(products=[product(vat_rate="10")], prices=[])
    given = body(lines=[line(qty="1", unit_price="0.05")] * 3)

    assert _priced(given, erp)["total_vat"] == "0.03"


def test_large_amounts_are_computed_exactly_before_rounding() -> None:
    # Exactly 49999849999995000.114999…: 28-digit arithmetic would round it up to …000.12.
    erp = master(products=[product(multiple_qty=None)], prices=[])
    given = body(lines=[line(qty="999999999.9999", unit_price="49999899.9999", discount="0.0001")])

    assert _priced(given, erp)["total_net"] == "49999849999995000.11"


def test_numbers_continue_after_the_highest_in_use_or_ever_issued() -> None:
    assert next_order_number([], 0) == 1
    assert next_order_number(["OV000001", "OV000040", "OV000007"], 0) == 41
    assert next_order_number(["OV000001"], 57) == 58
    assert next_order_number(["X-1", "OV12", "ov000099", "OV"], 0) == 13
    assert order_number(41) == "OV000041"
    assert order_number(1_234_567) == "OV1234567"
