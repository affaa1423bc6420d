from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from erpsync.demo_erp.order_intake import (
    MAX_LINES,
    LineRequest,
    OrderRequest,
    ReasonCode,
    read_order,
)

from .order_factory import body, line


def _faults(given: Any) -> list[tuple[str | None, int | None]]:
    reasons = read_order(given).reasons
    assert {r.code for r in reasons} <= {ReasonCode.INVALID}
    return [(r.field, r.line) for r in reasons]


def test_a_well_formed_body_reads_as_the_order_it_asks_for() -> None:
    given = body(
        agent_code="A03",
        notes="consegna al mattino",
        lines=[line(), line(product_code="P00002", qty=6, unit_price="4.5", discount="12.5")],
    )

    reading = read_order(given)

    assert reading.reasons == ()
    assert reading.order == OrderRequest(
        client_reference="draft-0001",
        customer_code="C000001",
        agent_code="A03",
        date=date(2026, 12, 1),
        notes="consegna al mattino",
        lines=(
            LineRequest(1, "P00001", Decimal("12"), Decimal("10.00"), Decimal("0")),
            LineRequest(2, "P00002", Decimal(6), Decimal("4.5"), Decimal("12.5")),
        ),
    )


def test_optional_fields_may_be_left_out() -> None:
    given = body(lines=[{"product_code": "P00001", "qty": "1", "unit_price": "1"}])
    del given["agent_code"], given["notes"]

    order = read_order(given).order

    assert order is not None
    assert (order.agent_code, order.notes, order.lines[0].discount) == (None, "", Decimal(0))


def test_a_null_discount_is_no_discount() -> None:
    order = read_order(body(lines=[line(discount=None)])).order

    assert order is not None
    assert order.lines[0].discount == 0


@pytest.mark.parametrize(
    ("changes", "fault"),
    [
        ({"client_reference": None}, ("client_reference", None)),
        ({"client_reference": ""}, ("client_reference", None)),
        ({"client_reference": "x" * 65}, ("client_reference", None)),
        ({"client_reference": " draft"}, ("client_reference", None)),
        ({"client_reference": 12}, ("client_reference", None)),
        ({"customer_code": None}, ("customer_code", None)),
        ({"customer_code": "C" * 33}, ("customer_code", None)),
        ({"agent_code": 1}, ("agent_code", None)),
        ({"date": None}, ("date", None)),
        ({"date": "2026-02-30"}, ("date", None)),
        ({"date": "20261201"}, ("date", None)),
        ({"date": "01/12/2026"}, ("date", None)),
        ({"notes": "x" * 2001}, ("notes", None)),
        ({"notes": None}, ("notes", None)),
        ({"lines": None}, ("lines", None)),
        ({"lines": []}, ("lines", None)),
        ({"lines": [line()] * (MAX_LINES + 1)}, ("lines", None)),
        ({"lines": {"product_code": "P00001"}}, ("lines", None)),
        ({"lines": ["P00001"]}, ("lines", 1)),
        ({"colour": "red"}, ("colour", None)),
        ({"lines": [line(product_code=None)]}, ("product_code", 1)),
        ({"lines": [line(qty=None)]}, ("qty", 1)),
        ({"lines": [line(qty=12.0)]}, ("qty", 1)),
        ({"lines": [line(qty=True)]}, ("qty", 1)),
        ({"lines": [line(qty="1e3")]}, ("qty", 1)),
        ({"lines": [line(qty="1,5")]}, ("qty", 1)),
        ({"lines": [line(qty=" 12")]}, ("qty", 1)),
        ({"lines": [line(qty=10**10)]}, ("qty", 1)),
        ({"lines": [line(unit_price=4.5)]}, ("unit_price", 1)),
        ({"lines": [line(unit_price=4)]}, ("unit_price", 1)),
        ({"lines": [line(unit_price="4.12345")]}, ("unit_price", 1)),
        ({"lines": [line(unit_price="-1")]}, ("unit_price", 1)),
        ({"lines": [line(unit_price="NaN")]}, ("unit_price", 1)),
        ({"lines": [line(discount=10)]}, ("discount", 1)),
        ({"lines": [line(discount="100.01")]}, ("discount", 1)),
        ({"lines": [line(discount="-5")]}, ("discount", 1)),
        ({"lines": [{**line(), "vat_rate": "22"}]}, ("vat_rate", 1)),
    ],
)
def test_each_malformation_is_named_by_its_field_and_line(
    changes: dict[str, Any], fault: tuple[str | None, int | None]
) -> None:
    reading = read_order(body(**changes))

    assert [(r.field, r.line) for r in reading.reasons] == [fault]
    assert reading.order is None
    assert all(r.message for r in reading.reasons)


@pytest.mark.parametrize("given", [[], "order", 3, None])
def test_a_body_that_is_not_an_object_is_one_reason(given: Any) -> None:
    assert _faults(given) == [(None, None)]


def test_every_malformation_comes_at_once_and_well_formed_parts_are_kept() -> None:
    given = body(
        client_reference="",
        date="tomorrow",
        lines=[line(), line(qty="dozen"), line(product_code="P00003"), 7],
        extra=True,
    )

    reading = read_order(given)

    assert [(r.field, r.line) for r in reading.reasons] == [
        ("extra", None),
        ("client_reference", None),
        ("date", None),
        ("qty", 2),
        ("lines", 4),
    ]
    assert reading.customer_code == "C000001"
    assert reading.date is None
    assert [(ln.line_no, ln.product_code) for ln in reading.lines] == [(1, "P00001"), (3, "P00003")]
    assert reading.order is None


def test_a_non_positive_quantity_is_well_formed_the_rules_refuse_it() -> None:
    order = read_order(body(lines=[line(qty="0"), line(qty=-3)])).order

    assert order is not None
    assert [ln.qty for ln in order.lines] == [0, -3]


def test_reasons_serialise_with_their_code() -> None:
    reason = read_order(body(lines=[line(qty=1.5)])).reasons[0]

    assert reason.as_json() == {
        "code": "invalid",
        "field": "qty",
        "line": 1,
        "message": reason.message,
    }
    assert "1.5" in reason.message
