"""The book's rules: quantities fitted to a product, invoice standing, freshness, pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from erpsync.domain.book import (
    Freshness,
    InvoiceStanding,
    Mark,
    fitting_qty,
    freshness,
    invoice_standing,
    page_of,
    receivables,
)
from erpsync.domain.drafts import QtyRule

small = st.integers(min_value=0, max_value=500)


@given(qty=small, minimum=st.none() | small, multiple=st.none() | small)
def test_a_fitted_quantity_is_the_least_one_the_product_may_be_ordered_in(
    qty: int, minimum: int | None, multiple: int | None
) -> None:
    rule = QtyRule(min_qty=minimum, multiple_qty=multiple)
    fitted = fitting_qty(qty, rule)
    assert fitted >= max(qty, 1)
    blocking = [i for i in rule.issues(fitted) if i.blocking]
    assert blocking == [], (fitted, blocking)
    # nothing smaller that is at least what was asked would do
    smaller = range(max(qty, 1), fitted)
    assert all(any(i.blocking for i in rule.issues(q)) for q in smaller)


def test_a_quantity_that_fits_is_kept() -> None:
    assert fitting_qty(300, QtyRule(min_qty=100, multiple_qty=100)) == 300
    assert fitting_qty(50, QtyRule(min_qty=100, multiple_qty=100)) == 100
    assert fitting_qty(7, QtyRule(multiple_qty=6)) == 12
    assert fitting_qty(0, QtyRule()) == 1


def test_an_invoice_is_paid_open_or_overdue() -> None:
    today = date(2026, 11, 2)
    due = {"due_date": date(2026, 11, 1), "paid": False}
    assert invoice_standing(due, today) is InvoiceStanding.OVERDUE
    assert invoice_standing({**due, "paid": True}, today) is InvoiceStanding.PAID
    assert invoice_standing({**due, "due_date": today}, today) is InvoiceStanding.OPEN
    assert invoice_standing({"due_date": None, "paid": None}, today) is InvoiceStanding.OPEN


def test_receivables_add_up_to_the_cent() -> None:
    today = date(2026, 11, 2)
    unpaid = [
        {"total": "0.10", "due_date": date(2026, 10, 1), "paid": False},
        {"total": "0.20", "due_date": date(2026, 12, 1), "paid": False},
    ]
    owed = receivables(unpaid, today)
    assert (owed.open_total, owed.overdue_total) == (Decimal("0.30"), Decimal("0.10"))
    assert (owed.open_count, owed.overdue_count) == (2, 1)


def test_a_type_is_stale_past_its_interval_or_when_never_synced() -> None:
    now = datetime(2026, 11, 2, 10, 42, tzinfo=UTC)
    interval = timedelta(minutes=30)
    assert freshness(now - interval, interval, now) == Freshness(now - interval, False)
    late = now - interval - timedelta(seconds=1)
    assert freshness(late, interval, now).stale
    assert freshness(None, interval, now) == Freshness(None, True)


def test_a_page_marks_where_the_next_one_starts_only_when_there_is_more() -> None:
    rows = [{"date": date(2026, 10, d), "number": f"N{d}"} for d in (3, 2, 1)]
    assert page_of(rows, 3).next is None
    page = page_of(rows, 2)
    assert [r["number"] for r in page.rows] == ["N3", "N2"]
    assert page.next == Mark(date(2026, 10, 2), "N2")
