from __future__ import annotations

import pytest

from erpsync.demo_erp.errors import InvalidFieldsError
from erpsync.demo_erp.validation import merged_record, normalized_record
from erpsync.domain.catalog import CUSTOMERS, ORDERS, PRICES


def test_a_valid_record_gets_every_field_and_no_stamp() -> None:
    record = normalized_record(
        CUSTOMERS, {"code": " C1 ", "name": "Bar Sport", "updated_at": "whenever"}
    )

    assert record["code"] == "C1"
    assert set(record) == set(CUSTOMERS.field_names) - {"updated_at"}


def test_decimals_are_served_as_text_as_given() -> None:
    fields = {"id": "L01-P1", "product_code": "P1", "list_code": "L01"}

    assert normalized_record(PRICES, {**fields, "unit_price": "12.50"})["unit_price"] == "12.50"
    assert normalized_record(PRICES, {**fields, "unit_price": 12.5})["unit_price"] == "12.5"


def test_order_lines_are_checked_too() -> None:
    order = {"number": "OV1", "customer_code": "C1", "date": "2026-01-02", "state": "inserito"}
    line = {"line_no": 1, "product_code": "P1", "qty": "2", "unit_price": "3.10"}

    record = normalized_record(ORDERS, {**order, "lines": [line]})

    assert record["lines"] == [{**line, "discount": None}]
    with pytest.raises(InvalidFieldsError, match=r"lines\[0\]: unknown field"):
        normalized_record(ORDERS, {**order, "lines": [{**line, "colour": "red"}]})
    with pytest.raises(InvalidFieldsError, match="qty"):
        normalized_record(ORDERS, {**order, "lines": [{**line, "qty": "tanti"}]})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"code": "C1"}, "name: required"),
        ({"code": "C1", "name": "X", "colour": "red"}, "unknown field"),
        ({"code": "C/1", "name": "X"}, "cannot contain"),
        ({"code": "C1", "name": "X" * 201}, "longer than"),
    ],
)
def test_invalid_fields_are_refused(fields: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidFieldsError, match=message):
        normalized_record(CUSTOMERS, fields)


def test_a_merge_cannot_change_the_key() -> None:
    current = normalized_record(CUSTOMERS, {"code": "C1", "name": "X"})

    with pytest.raises(InvalidFieldsError, match="key"):
        merged_record(CUSTOMERS, current, {"code": "C2"})
    assert merged_record(CUSTOMERS, current, {"code": "C1", "city": "Roma"})["city"] == "Roma"
