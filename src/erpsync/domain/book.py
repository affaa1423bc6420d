"""The agent's book: a customer's orders, deliveries and invoices, as rules without I/O.

Documents are listed newest first, in keyset pages: a page ends at a (date, number) mark and
the next one starts strictly after it, so a page never repeats or skips a row when new
documents arrive between two requests (an offset would).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from erpsync.domain.drafts import QtyRule, money
from erpsync.errors import InvalidInputError

#: Rows of a document list a request may ask for.
MAX_PAGE = 100
DEFAULT_PAGE = 20


class DocumentKind(StrEnum):
    ORDERS = "orders"
    DDT = "ddt"
    INVOICES = "invoices"


@dataclass(frozen=True, order=True)
class Mark:
    """Where a page of documents ended: the last row's date and number (the API hands it
    out as an opaque cursor)."""

    date: date
    number: str


@dataclass(frozen=True)
class DocumentFilter:
    """Which documents a list shows. ``agent_code`` ``None`` sees every agent's (an admin)."""

    agent_code: str | None
    customer_code: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    state: str | None = None

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidInputError("from: after to; the range would be empty")


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    #: Where the next page starts; ``None`` on the last page.
    next: Mark | None


def page_of(rows: list[dict[str, Any]], limit: int) -> Page:
    """``rows`` fetched with ``limit + 1`` as one page and the mark of the next, if any."""
    if len(rows) <= limit:
        return Page(rows, None)
    shown = rows[:limit]
    return Page(shown, Mark(shown[-1]["date"], shown[-1]["number"]))


class InvoiceStanding(StrEnum):
    PAID = "paid"
    OPEN = "open"
    OVERDUE = "overdue"


def invoice_standing(invoice: Mapping[str, Any], today: date) -> InvoiceStanding:
    """Paid; overdue when its due date has passed unpaid; else open."""
    if invoice.get("paid"):
        return InvoiceStanding.PAID
    due = invoice.get("due_date")
    if due is not None and due < today:
        return InvoiceStanding.OVERDUE
    return InvoiceStanding.OPEN


@dataclass(frozen=True)
class Receivables:
    """What a customer owes: the unpaid invoices' totals, and the part past its due date."""

    open_total: Decimal = Decimal(0)
    overdue_total: Decimal = Decimal(0)
    open_count: int = 0
    overdue_count: int = 0


def receivables(unpaid: Sequence[Mapping[str, Any]], today: date) -> Receivables:
    open_total = overdue_total = Decimal(0)
    overdue = 0
    for invoice in unpaid:
        amount = Decimal(invoice["total"])
        open_total += amount
        if invoice_standing(invoice, today) is InvoiceStanding.OVERDUE:
            overdue_total += amount
            overdue += 1
    return Receivables(money(open_total), money(overdue_total), len(unpaid), overdue)


@dataclass(frozen=True)
class Freshness:
    """How current a type's mirror is: when its last sync completed, and whether that is
    longer ago than its interval."""

    synced_at: datetime | None
    stale: bool


def freshness(last_success: datetime | None, interval: timedelta, now: datetime) -> Freshness:
    return Freshness(last_success, last_success is None or now - last_success > interval)


def fitting_qty(qty: int, rule: QtyRule) -> int:
    """``qty`` raised, if it must be, to the least quantity the product may be ordered in:
    at least its minimum, and a whole number of its multiple."""
    fitted = max(qty, rule.min_qty or 1, 1)
    step = rule.multiple_qty or 1
    if step > 1 and fitted % step:
        fitted += step - fitted % step
    return fitted


class RepeatNote(StrEnum):
    """Why a line of a repeated order differs from the original."""

    QTY_RAISED = "qty_raised"
    NO_PRICE = "no_price"


@dataclass(frozen=True)
class RepeatLine:
    product: dict[str, Any]
    qty: int
    #: The price-list row the form proposes today, ``None`` when the product has none.
    price: dict[str, Any] | None
    discount: Decimal
    notes: tuple[RepeatNote, ...] = ()


@dataclass(frozen=True)
class Repeat:
    """A past order's lines as a new order would take them today."""

    order_number: str
    customer: dict[str, Any]
    lines: list[RepeatLine]
    #: Product codes of lines left out: the product is no longer in the catalogue.
    dropped: list[str] = field(default_factory=list)


def _whole(qty: Any) -> int:
    value = Decimal(qty)
    whole = int(value)
    return whole if whole == value else whole + 1


def repeat_lines(
    lines: Sequence[Mapping[str, Any]],
    products: Mapping[str, dict[str, Any]],
    proposed: Mapping[str, dict[str, Any] | None],
) -> tuple[list[RepeatLine], list[str]]:
    """The lines of a past order at today's prices and rules; products gone are dropped.

    ``proposed`` is the price the form would propose for each product code.
    """
    kept: list[RepeatLine] = []
    dropped: list[str] = []
    for line in sorted(lines, key=lambda li: li["line_no"]):
        code = line["product_code"]
        product = products.get(code)
        if product is None:
            dropped.append(code)
            continue
        rule = QtyRule(product["package_size"], product["min_qty"], product["multiple_qty"])
        wanted = _whole(line["qty"])
        qty = fitting_qty(wanted, rule)
        price = proposed.get(code)
        notes = [RepeatNote.QTY_RAISED] if qty != wanted else []
        if price is None:
            notes.append(RepeatNote.NO_PRICE)
        discount = Decimal(line.get("discount") or 0)
        kept.append(RepeatLine(product, qty, price, discount, tuple(notes)))
    return kept, dropped
