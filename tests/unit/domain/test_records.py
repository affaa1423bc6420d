"""Validation and content hashing of ERP items against the catalog."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from erpsync.domain.catalog import SPECS, RecordSpec
from erpsync.domain.records import clean_record, content_hash, raw_key
from erpsync.domain.types import SyncType
from erpsync.errors import InvalidRecordError

INVOICES = SPECS[SyncType.INVOICES]
ORDERS = SPECS[SyncType.ORDERS]


def invoice(**changes: object) -> dict[str, object]:
    item: dict[str, object] = {
        "number": "F-1",
        "date": "2026-11-02",
        "customer_code": "C1",
        "taxable": "100.00",
        "vat": 22,
        "total": "122.0",
        "paid": False,
        "updated_at": "2026-11-02T09:00:00+01:00",
    }
    item.update(changes)
    return item


def test_fields_are_parsed_to_their_kinds() -> None:
    record = clean_record(INVOICES, invoice())
    assert record.key == "F-1"
    assert record.values["date"] == date(2026, 11, 2)
    assert record.values["taxable"] == "100"
    assert record.values["vat"] == "22"
    assert record.values["paid"] is False
    assert record.values["updated_at"] == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    assert record.values["due_date"] is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"customer_code": None}, "customer_code: required"),
        ({"total": "dodici"}, "total: expected a number"),
        ({"total": "NaN"}, "total: expected a finite number"),
        ({"date": "02/11/2026"}, "date: expected an ISO date"),
        ({"updated_at": "2026-11-02T09:00:00"}, "has no time zone"),
        ({"paid": "yes"}, "paid: expected true or false"),
        ({"customer_code": "C" * 40}, "longer than 32"),
    ],
)
def test_a_bad_field_is_named_in_the_reason(changes: dict[str, object], reason: str) -> None:
    with pytest.raises(InvalidRecordError, match=reason):
        clean_record(INVOICES, invoice(**changes))


def test_child_rows_are_validated_too() -> None:
    order = {
        "number": "O-1",
        "customer_code": "C1",
        "date": "2026-11-02",
        "state": "inserito",
        "updated_at": "2026-11-02T08:00:00+00:00",
        "lines": [{"line_no": 1, "product_code": "P1", "qty": "2", "unit_price": "x"}],
    }
    with pytest.raises(InvalidRecordError, match=r"lines\[0\]\.unit_price"):
        clean_record(ORDERS, order)
    order["lines"] = [
        {"line_no": 1, "product_code": "P1", "qty": "2", "unit_price": "1"},
        {"line_no": 1, "product_code": "P2", "qty": "2", "unit_price": "1"},
    ]
    with pytest.raises(InvalidRecordError, match="duplicate line_no"):
        clean_record(ORDERS, order)


def test_the_content_hash_ignores_a_mere_touch_but_not_a_change() -> None:
    base = content_hash(INVOICES, invoice())
    assert content_hash(INVOICES, invoice(updated_at="2026-12-01T00:00:00+00:00")) == base
    assert content_hash(INVOICES, invoice(paid=True)) != base


def reference_hash(spec: RecordSpec, item: dict[str, Any]) -> str:
    """The content hash as the mirror has always stored it: the hashed fields as text, then
    each child row's fields and a row separator, all joined by unit separators."""
    parts = [str(item.get(name)) for name in spec.hashed_fields]
    for child in spec.children:
        rows = item.get(child.name)
        if isinstance(rows, list):
            for row in rows:
                if isinstance(row, dict):
                    parts.extend(str(row.get(f.name)) for f in child.fields)
                parts.append("\x1e")
        else:
            parts.append(str(rows))
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


VALUES = st.none() | st.text(max_size=5) | st.integers() | st.booleans()


@st.composite
def items(draw: st.DrawFn, spec: RecordSpec) -> dict[str, Any]:
    """An item with any of the spec's fields left out, and child rows, or something else."""
    names = st.sampled_from([*spec.field_names, "other"])
    item = draw(st.dictionaries(names, VALUES, max_size=len(spec.fields) + 1))
    for child in spec.children:
        row = st.dictionaries(st.sampled_from([f.name for f in child.fields]), VALUES)
        item[child.name] = draw(st.lists(row | VALUES, max_size=3) | VALUES)
    return item


@given(data=st.data(), spec=st.sampled_from(list(SPECS.values())))
def test_the_content_hash_stays_what_the_mirror_stored(
    data: st.DataObject, spec: RecordSpec
) -> None:
    """A mirror written by an earlier version must not see every record as changed."""
    item = data.draw(items(spec))
    assert content_hash(spec, item) == reference_hash(spec, item)


def test_a_usable_key_is_found_even_on_a_malformed_item() -> None:
    assert raw_key(INVOICES, invoice(total="x")) == "F-1"
    assert raw_key(INVOICES, {"number": 42}) == "42"
    assert raw_key(INVOICES, {"number": True}) is None
    assert raw_key(INVOICES, ["not", "an", "object"]) is None
