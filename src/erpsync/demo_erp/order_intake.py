"""Reading the body of an order write: what was asked, and every way the body is malformed.

The ERP answers all its reasons at once, so reading does not stop at the first malformed
field: it notes each one as a :class:`Reason` (code ``invalid``) and keeps the parts that
were well formed, so the ERP can still check those against its records (see
:mod:`~erpsync.demo_erp.order_rules`). Money and quantities are exact decimals: a price or a
discount must come as a decimal string (``"4.50"``), never as a JSON number that a client's
float could have rounded; a quantity may also come as a JSON integer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

MAX_LINES = 200
MAX_NOTES = 2000
MAX_REFERENCE = 64
MAX_CODE = 32
HUNDRED = Decimal(100)

# No exponent, sign other than minus, spaces, comma or thousands separator: "12", "4.50".
_DECIMAL = re.compile(r"-?\d{1,9}(\.\d{1,4})?")
_MAX_INT_QTY = 999_999_999
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ORDER_FIELDS = ("client_reference", "customer_code", "agent_code", "date", "notes", "lines")
_LINE_FIELDS = ("product_code", "qty", "unit_price", "discount")


class ReasonCode(StrEnum):
    """Why the ERP refuses an order; the code is what a client acts on, never the message."""

    INVALID = "invalid"
    UNKNOWN_CUSTOMER = "unknown_customer"
    CUSTOMER_BLOCKED = "customer_blocked"
    UNKNOWN_AGENT = "unknown_agent"
    UNKNOWN_PRODUCT = "unknown_product"
    BELOW_MINIMUM = "below_minimum"
    NOT_MULTIPLE = "not_multiple"
    BELOW_FLOOR = "below_floor"
    REFUSED = "refused"


@dataclass(frozen=True)
class Reason:
    """One reason for refusing an order.

    Attributes:
        field: the field at fault (a line's own field name when ``line`` is set), or ``None``
            when the reason concerns the whole order.
        line: the 1-based position of the line at fault, or ``None``.
    """

    code: ReasonCode
    field: str | None
    line: int | None
    message: str

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code.value,
            "field": self.field,
            "line": self.line,
            "message": self.message,
        }


@dataclass(frozen=True)
class LineRequest:
    """One well-formed line: ``qty`` may still be zero or negative (a rule, not a format)."""

    line_no: int
    product_code: str
    qty: Decimal
    unit_price: Decimal
    discount: Decimal


@dataclass(frozen=True)
class OrderRequest:
    """A body with nothing malformed in it; ``agent_code`` ``None`` means the customer's."""

    client_reference: str
    customer_code: str
    agent_code: str | None
    date: date
    notes: str
    lines: tuple[LineRequest, ...]


@dataclass(frozen=True)
class Reading:
    """A body read as far as it could be.

    Attributes:
        reasons: every malformation found, in body order.
        customer_code, agent_code, date: the value when well formed, else ``None``.
        lines: the well-formed lines only.
        order: the whole request, set only when ``reasons`` is empty.
    """

    reasons: tuple[Reason, ...]
    customer_code: str | None
    agent_code: str | None
    date: date | None
    lines: tuple[LineRequest, ...]
    order: OrderRequest | None


class _Reader:
    """Collects the reasons while the fields are read one by one."""

    def __init__(self) -> None:
        self.reasons: list[Reason] = []

    def refuse(self, field: str | None, message: str, line: int | None = None) -> None:
        self.reasons.append(Reason(ReasonCode.INVALID, field, line, message))

    def unknown_fields(
        self, given: Mapping[str, Any], known: tuple[str, ...], line: int | None = None
    ) -> None:
        for name in sorted(set(given) - set(known)):
            where = f"line {line} has" if line else "the order has"
            self.refuse(name, f"{where} an unknown field {name!r}", line)

    def text(
        self,
        given: Mapping[str, Any],
        name: str,
        max_length: int,
        *,
        line: int | None = None,
        required: bool = True,
    ) -> str | None:
        """A text of 1 to ``max_length`` characters, without spaces around it (the mirror
        strips them, and the client would then not find what it sent)."""
        where = f"line {line}: " if line else ""
        value = given.get(name)
        if value is None:
            if required:
                self.refuse(name, f"{where}{name} is required", line)
            return None
        if (
            not isinstance(value, str)
            or not 1 <= len(value) <= max_length
            or value != value.strip()
        ):
            self.refuse(
                name,
                f"{where}{name} must be text of 1 to {max_length} characters "
                "without leading or trailing spaces",
                line,
            )
            return None
        return value

    def decimal(
        self, given: Mapping[str, Any], name: str, line: int, *, integers: bool = False
    ) -> Decimal | None:
        value = given.get(name)
        if value is None:
            self.refuse(name, f"line {line}: {name} is required", line)
            return None
        if integers and type(value) is int and abs(value) <= _MAX_INT_QTY:
            return Decimal(value)
        if isinstance(value, str) and _DECIMAL.fullmatch(value):
            return Decimal(value)
        kind = "an integer or a decimal string" if integers else "a decimal string"
        self.refuse(
            name,
            f'line {line}: {name} must be {kind} such as "12" or "4.50" '
            f"(up to 9 digits and 4 decimals), got {value!r}",
            line,
        )
        return None

    def day(self, given: Mapping[str, Any]) -> date | None:
        value = given.get("date")
        if value is None:
            self.refuse("date", "date is required")
            return None
        if isinstance(value, str) and _DATE.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.refuse("date", f"date must be a calendar day written YYYY-MM-DD, got {value!r}")
        return None

    def notes(self, given: Mapping[str, Any]) -> str | None:
        value = given.get("notes", "")
        if isinstance(value, str) and len(value) <= MAX_NOTES:
            return value
        self.refuse("notes", f"notes must be text of at most {MAX_NOTES} characters")
        return None

    def line(self, entry: Any, line_no: int) -> LineRequest | None:
        if not isinstance(entry, Mapping):
            self.refuse("lines", f"line {line_no} must be a JSON object", line_no)
            return None
        before = len(self.reasons)
        self.unknown_fields(entry, _LINE_FIELDS, line_no)
        product_code = self.text(entry, "product_code", MAX_CODE, line=line_no)
        qty = self.decimal(entry, "qty", line_no, integers=True)
        unit_price = self.decimal(entry, "unit_price", line_no)
        # No discount (absent or null) is a discount of 0.
        given_discount = entry.get("discount")
        discount = self.decimal(
            {"discount": "0" if given_discount is None else given_discount}, "discount", line_no
        )
        if unit_price is not None and unit_price < 0:
            self.refuse("unit_price", f"line {line_no}: unit_price must not be negative", line_no)
        if discount is not None and not 0 <= discount <= HUNDRED:
            self.refuse("discount", f"line {line_no}: discount must be between 0 and 100", line_no)
        if (
            len(self.reasons) > before
            or product_code is None
            or qty is None
            or unit_price is None
            or discount is None
        ):
            return None
        return LineRequest(line_no, product_code, qty, unit_price, discount)

    def lines(self, given: Mapping[str, Any]) -> tuple[LineRequest, ...]:
        entries = given.get("lines")
        if entries is None:
            self.refuse("lines", "lines is required")
            return ()
        if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_LINES:
            self.refuse("lines", f"lines must be a list of 1 to {MAX_LINES} lines")
            return ()
        read = (self.line(entry, n) for n, entry in enumerate(entries, start=1))
        return tuple(line for line in read if line is not None)


def read_order(body: Any) -> Reading:
    """Read a parsed JSON body; never raises, whatever the body is."""
    reader = _Reader()
    if not isinstance(body, Mapping):
        reader.refuse(None, "the order must be a JSON object")
        return Reading(tuple(reader.reasons), None, None, None, (), None)
    reader.unknown_fields(body, _ORDER_FIELDS)
    reference = reader.text(body, "client_reference", MAX_REFERENCE)
    customer_code = reader.text(body, "customer_code", MAX_CODE)
    agent_code = reader.text(body, "agent_code", MAX_CODE, required=False)
    day = reader.day(body)
    notes = reader.notes(body)
    lines = reader.lines(body)
    order = None
    if not reader.reasons and reference and customer_code and day and notes is not None:
        order = OrderRequest(reference, customer_code, agent_code, day, notes, lines)
    return Reading(tuple(reader.reasons), customer_code, agent_code, day, lines, order)
