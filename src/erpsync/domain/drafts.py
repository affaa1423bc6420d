"""Order drafts: their lines, the quantity rules of a product, and totals with VAT.

Money is exact: prices and amounts are :class:`~decimal.Decimal` rounded half up to the cent.
A line's net amount is rounded on its own; VAT is computed per rate on the sum of the nets at
that rate (the Italian "riepilogo IVA"), then rounded. The order form's JavaScript does the same
arithmetic in integer cents, so the totals it shows are the totals saved.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from erpsync.errors import InvalidDraftError

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
DRAFT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_LINES = 200
MAX_QTY = 1_000_000
MAX_NOTES = 2000


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class QtyIssue(StrEnum):
    NOT_POSITIVE = "not_positive"
    BELOW_MINIMUM = "below_minimum"
    NOT_MULTIPLE = "not_multiple"
    PARTIAL_PACKAGE = "partial_package"

    @property
    def blocking(self) -> bool:
        """A partial package is allowed (loose pieces), only worth a warning."""
        return self != QtyIssue.PARTIAL_PACKAGE


@dataclass(frozen=True)
class QtyRule:
    """How a product may be ordered: at least ``min_qty``, in steps of ``multiple_qty``,
    packed ``package_size`` to a package. Missing values mean no constraint."""

    package_size: int | None = None
    min_qty: int | None = None
    multiple_qty: int | None = None

    def issues(self, qty: int) -> list[QtyIssue]:
        """What is wrong with ordering ``qty``, blocking issues first."""
        if qty <= 0:
            return [QtyIssue.NOT_POSITIVE]
        found = []
        if self.min_qty and qty < self.min_qty:
            found.append(QtyIssue.BELOW_MINIMUM)
        if self.multiple_qty and self.multiple_qty > 1 and qty % self.multiple_qty:
            found.append(QtyIssue.NOT_MULTIPLE)
        if self.package_size and self.package_size > 1 and qty % self.package_size:
            found.append(QtyIssue.PARTIAL_PACKAGE)
        return found

    def describe(self, qty: int) -> str | None:
        """The first blocking issue in words, or ``None`` when ``qty`` may be ordered."""
        blocking = [i for i in self.issues(qty) if i.blocking]
        if not blocking:
            return None
        return {
            QtyIssue.NOT_POSITIVE: "quantity must be at least 1",
            QtyIssue.BELOW_MINIMUM: f"quantity {qty} is below the minimum of {self.min_qty}",
            QtyIssue.NOT_MULTIPLE: f"quantity {qty} is not a multiple of {self.multiple_qty}",
        }[blocking[0]]


@dataclass(frozen=True)
class DraftLine:
    """One product line; ``discount`` and ``vat_rate`` are percentages."""

    product_code: str
    description: str
    qty: int
    unit_price: Decimal
    discount: Decimal = Decimal(0)
    vat_rate: Decimal = Decimal(22)

    @property
    def net(self) -> Decimal:
        return money(self.qty * self.unit_price * (HUNDRED - self.discount) / HUNDRED)


@dataclass(frozen=True)
class VatLine:
    rate: Decimal
    taxable: Decimal
    vat: Decimal


@dataclass(frozen=True)
class Totals:
    net: Decimal
    vat: Decimal
    total: Decimal
    by_rate: tuple[VatLine, ...]


def totals(lines: Iterable[DraftLine]) -> Totals:
    taxable: dict[Decimal, Decimal] = {}
    for line in lines:
        taxable[line.vat_rate] = taxable.get(line.vat_rate, Decimal(0)) + line.net
    by_rate = tuple(
        VatLine(rate, net, money(net * rate / HUNDRED)) for rate, net in sorted(taxable.items())
    )
    net = sum((v.taxable for v in by_rate), Decimal(0))
    vat = sum((v.vat for v in by_rate), Decimal(0))
    return Totals(money(net), money(vat), money(net + vat), by_rate)


@dataclass(frozen=True)
class Draft:
    """An order an agent is preparing, before it goes to the ERP.

    The id is chosen by the browser (so a retry or a double click never makes two drafts, and
    a draft made offline keeps its id); the customer's name is kept as shown when saved.
    ``revision`` counts its versions: 1 when created, one more at every change.
    """

    id: str
    owner_id: int
    customer_code: str
    customer_name: str
    lines: tuple[DraftLine, ...]
    created_at: datetime
    updated_at: datetime
    notes: str = ""
    revision: int = 1

    @property
    def totals(self) -> Totals:
        return totals(self.lines)


def check_draft_id(draft_id: str) -> str:
    if not DRAFT_ID.match(draft_id):
        raise InvalidDraftError("draft id must be 8-64 letters, digits, '-' or '_'")
    return draft_id


def check_line(line: DraftLine, rule: QtyRule, position: int) -> None:
    """Raises :class:`InvalidDraftError` naming the line when it cannot be ordered."""
    where = f"line {position} ({line.product_code})"
    if line.qty > MAX_QTY:
        raise InvalidDraftError(f"{where}: quantity {line.qty} is too large")
    problem = rule.describe(line.qty)
    if problem:
        raise InvalidDraftError(f"{where}: {problem}")
    if line.unit_price < 0:
        raise InvalidDraftError(f"{where}: the unit price must not be negative")
    if not Decimal(0) <= line.discount <= HUNDRED:
        raise InvalidDraftError(f"{where}: the discount must be between 0 and 100 %")
