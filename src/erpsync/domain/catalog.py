"""What each sync type mirrors, declared as data.

The sync engine is one piece of code for all six types; everything that differs between them
(the key, the fields and their kinds, child rows, page size, whether the ERP can filter by
update time, which fields feed the search) lives in the :class:`RecordSpec` entries below.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

from erpsync.domain.types import SyncType


class FieldKind(StrEnum):
    TEXT = "text"
    INT = "int"
    DECIMAL = "decimal"
    DATE = "date"
    DATETIME = "datetime"
    BOOL = "bool"


Getter = Callable[[Mapping[str, Any]], tuple[Any, ...]]


def values_of(names: tuple[str, ...]) -> Getter:
    """A getter of the values of ``names`` as a tuple, at C speed: it is on every record."""
    if len(names) > 1:
        return operator.itemgetter(*names)
    return lambda item: tuple(item[name] for name in names)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: FieldKind = FieldKind.TEXT
    required: bool = False
    max_length: int = 200


@dataclass(frozen=True)
class ChildSpec:
    """Rows nested in a record (``items[i][name]``), mirrored in their own table."""

    name: str
    table: str
    key: str
    fields: tuple[FieldSpec, ...]


@dataclass(frozen=True)
class RecordSpec:
    type: SyncType
    table: str
    key: str
    fields: tuple[FieldSpec, ...]
    children: tuple[ChildSpec, ...] = ()
    page_size: int = 500
    supports_updated_since: bool = True
    search_fields: tuple[str, ...] = ()
    agent_field: str | None = None

    @cached_property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @cached_property
    def hashed_fields(self) -> tuple[str, ...]:
        """The fields whose change is a change: all but ``updated_at``."""
        return tuple(name for name in self.field_names if name != "updated_at")

    @cached_property
    def hashed_values(self) -> Getter:
        """The hashed fields' values of an item, in order (``KeyError`` if one is missing)."""
        return values_of(self.hashed_fields)

    @cached_property
    def field_values(self) -> Getter:
        """The values of all the fields of a row, in order (``KeyError`` if one is missing)."""
        return values_of(self.field_names)

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


T, INT, D, DAY, TS, B = (
    FieldKind.TEXT,
    FieldKind.INT,
    FieldKind.DECIMAL,
    FieldKind.DATE,
    FieldKind.DATETIME,
    FieldKind.BOOL,
)


def _f(name: str, kind: FieldKind = T, required: bool = False, max_length: int = 200) -> FieldSpec:
    return FieldSpec(name, kind, required, max_length)


UPDATED_AT = _f("updated_at", TS, required=True)

CUSTOMERS = RecordSpec(
    type=SyncType.CUSTOMERS,
    table="customers",
    key="code",
    fields=(
        _f("code", required=True, max_length=32),
        _f("name", required=True),
        _f("vat_number", max_length=32),
        _f("fiscal_code", max_length=32),
        _f("address"),
        _f("postcode", max_length=16),
        _f("city", max_length=100),
        _f("province", max_length=8),
        _f("phone", max_length=40),
        _f("email"),
        _f("pec"),
        _f("agent_code", max_length=32),
        UPDATED_AT,
    ),
    page_size=100,
    search_fields=("code", "name", "vat_number", "city"),
    agent_field="agent_code",
)

PRODUCTS = RecordSpec(
    type=SyncType.PRODUCTS,
    table="products",
    key="code",
    fields=(
        _f("code", required=True, max_length=32),
        _f("description", required=True),
        _f("group", max_length=64),
        _f("package_size", INT),
        _f("min_qty", INT),
        _f("multiple_qty", INT),
        _f("vat_rate", D, required=True),
        UPDATED_AT,
    ),
    page_size=250,
    search_fields=("code", "description", "group"),
)

PRICES = RecordSpec(
    type=SyncType.PRICES,
    table="prices",
    key="id",
    fields=(
        _f("id", required=True, max_length=64),
        _f("product_code", required=True, max_length=32),
        _f("list_code", required=True, max_length=32),
        _f("unit_price", D, required=True),
        _f("valid_from", DAY),
        _f("valid_to", DAY),
        UPDATED_AT,
    ),
    page_size=500,
)

ORDER_LINES = ChildSpec(
    name="lines",
    table="order_lines",
    key="line_no",
    fields=(
        _f("line_no", INT, required=True),
        _f("product_code", required=True, max_length=32),
        _f("qty", D, required=True),
        _f("unit_price", D, required=True),
        _f("discount", D),
    ),
)

ORDERS = RecordSpec(
    type=SyncType.ORDERS,
    table="orders",
    key="number",
    fields=(
        _f("number", required=True, max_length=32),
        _f("customer_code", required=True, max_length=32),
        _f("date", DAY, required=True),
        _f("state", required=True, max_length=32),
        _f("total_net", D),
        _f("total_vat", D),
        _f("total", D),
        _f("agent_code", max_length=32),
        # the client's own id of an order it placed (erpsync sends the draft's id)
        _f("client_reference", max_length=64),
        UPDATED_AT,
    ),
    children=(ORDER_LINES,),
    page_size=200,
    agent_field="agent_code",
)

DDT = RecordSpec(
    type=SyncType.DDT,
    table="ddt",
    key="number",
    fields=(
        _f("number", required=True, max_length=32),
        _f("date", DAY, required=True),
        _f("order_number", max_length=32),
        _f("customer_code", required=True, max_length=32),
        _f("carrier", max_length=100),
        _f("tracking_number", max_length=64),
        _f("agent_code", max_length=32),
        UPDATED_AT,
    ),
    page_size=300,
    agent_field="agent_code",
)

INVOICES = RecordSpec(
    type=SyncType.INVOICES,
    table="invoices",
    key="number",
    fields=(
        _f("number", required=True, max_length=32),
        _f("date", DAY, required=True),
        _f("customer_code", required=True, max_length=32),
        _f("order_number", max_length=32),
        _f("taxable", D, required=True),
        _f("vat", D, required=True),
        _f("total", D, required=True),
        _f("due_date", DAY),
        _f("paid", B),
        _f("agent_code", max_length=32),
        UPDATED_AT,
    ),
    page_size=300,
    agent_field="agent_code",
)

SPECS: dict[SyncType, RecordSpec] = {
    s.type: s for s in (ORDERS, CUSTOMERS, DDT, INVOICES, PRICES, PRODUCTS)
}
