"""The agent's book read from a real mirror (SQLite and PostgreSQL): scoping, keyset pages,
filters, an order's documents, what a customer owes, and a past order repeated."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, update

from erpsync.adapters.db.book_queries import SqlMirrorBook
from erpsync.adapters.db.mirror_queries import SqlMirrorSearch
from erpsync.adapters.db.tables import mirror_tables
from erpsync.domain.book import DocumentFilter, DocumentKind, Mark, RepeatNote
from erpsync.domain.users import Role, User
from erpsync.errors import InvalidInputError, RecordNotFoundError
from erpsync.services.book import AgentBook
from erpsync.services.order_data import OrderFormData
from erpsync.testing import FakeClock
from tests.integration.web_seed import seed_book

ANNA = User(1, "anna", Role.AGENT, "A01")
BRUNO = User(2, "bruno", Role.AGENT, "A02")
ADMIN = User(3, "capo", Role.ADMIN)


@pytest.fixture
def book(sql_engine: Engine) -> AgentBook:
    seed_book(sql_engine)
    clock = FakeClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    data = OrderFormData(SqlMirrorSearch(sql_engine), clock, price_list="L01")
    return AgentBook(SqlMirrorBook(sql_engine), data, clock)


def numbers(book: AgentBook, user: User, limit: int = 20, **filters: object) -> list[str]:
    page = book.orders(user, book.scope(user, **filters), None, limit)
    return [o.order["number"] for o in page.orders]


def test_orders_are_newest_first_with_the_number_breaking_ties(book: AgentBook) -> None:
    assert numbers(book, ANNA) == ["OV3", "OV2", "OV1"]
    assert numbers(book, BRUNO) == ["OV4"]
    assert numbers(book, ADMIN) == ["OV3", "OV2", "OV4", "OV1"]


def test_keyset_pages_cover_every_order_once_even_across_a_shared_date(book: AgentBook) -> None:
    seen: list[str] = []
    after: Mark | None = None
    for _ in range(5):
        page = book.orders(ADMIN, book.scope(ADMIN), after, 1)
        seen += [o.order["number"] for o in page.orders]
        after = page.next
        if after is None:
            break
    assert seen == ["OV3", "OV2", "OV4", "OV1"]


def test_filters_by_customer_date_range_and_state(book: AgentBook) -> None:
    assert numbers(book, ADMIN, customer_code="C3") == ["OV4"]
    assert numbers(book, ADMIN, date_from=date(2026, 10, 5), date_to=date(2026, 10, 20)) == [
        "OV3",
        "OV2",
        "OV4",
    ]
    assert numbers(book, ADMIN, date_to=date(2026, 10, 1)) == ["OV1"]
    assert numbers(book, ANNA, state="evaso") == ["OV2"]
    with pytest.raises(InvalidInputError, match="after to"):
        book.scope(ANNA, date_from=date(2026, 10, 2), date_to=date(2026, 10, 1))


def test_another_agents_customer_or_document_is_not_found(book: AgentBook) -> None:
    for probe in (
        lambda: book.card(ANNA, "C3"),
        lambda: book.orders(ANNA, book.scope(ANNA, customer_code="C3")),
        lambda: book.documents(ANNA, DocumentKind.DDT, "C3"),
        lambda: book.documents(ANNA, DocumentKind.INVOICES, "C3"),
        lambda: book.order(ANNA, "OV4"),
        lambda: book.document(ANNA, DocumentKind.DDT, "DDT3"),
        lambda: book.document(ANNA, DocumentKind.INVOICES, "FT4"),
        lambda: book.repeat(ANNA, "OV4"),
    ):
        with pytest.raises(RecordNotFoundError):
            probe()
    assert book.order(ADMIN, "OV4").order["customer_code"] == "C3"


def test_an_order_carries_its_lines_ddt_and_invoices(book: AgentBook) -> None:
    view = book.order(ANNA, "OV1")
    assert [li["line_no"] for li in view.lines] == [1, 2, 3]
    assert [(d["number"], d["tracking_number"]) for d in view.ddt] == [
        ("DDT1", "BRT000000000001"),
        ("DDT2", None),
    ]
    assert [i["number"] for i in view.invoices] == ["FT1"]
    assert view.customer_name == "Ferramenta Rossi S.r.l."
    assert book.order(ANNA, "OV3").ddt == []


def test_what_a_customer_owes_counts_unpaid_invoices_and_those_past_due(book: AgentBook) -> None:
    card = book.card(ANNA, "C1")
    assert [i["number"] for i in card.unpaid] == ["FT1", "FT2"]  # soonest due first
    owed = card.receivables
    assert (owed.open_total, owed.open_count) == (Decimal("136.64"), 2)
    assert (owed.overdue_total, owed.overdue_count) == (Decimal("14.64"), 1)


def test_deleted_documents_never_show(book: AgentBook, sql_engine: Engine) -> None:
    gone = datetime(2026, 11, 1, tzinfo=UTC)
    with sql_engine.begin() as conn:
        table = mirror_tables["ddt"]
        conn.execute(update(table).where(table.c.number == "DDT2").values(deleted_at=gone))
        table = mirror_tables["orders"]
        conn.execute(update(table).where(table.c.number == "OV3").values(deleted_at=gone))
    assert [d["number"] for d in book.order(ANNA, "OV1").ddt] == ["DDT1"]
    assert numbers(book, ANNA) == ["OV2", "OV1"]
    with pytest.raises(RecordNotFoundError):
        book.order(ANNA, "OV3")


def test_a_customers_ddt_and_invoices_come_in_pages(book: AgentBook) -> None:
    first = book.documents(ANNA, DocumentKind.INVOICES, "C1", None, 2)
    assert [i["number"] for i in first.rows] == ["FT2", "FT1"]
    assert first.next is not None
    rest = book.documents(ANNA, DocumentKind.INVOICES, "C1", first.next, 2)
    assert ([i["number"] for i in rest.rows], rest.next) == (["FT3"], None)
    ddt = book.documents(ANNA, DocumentKind.DDT, "C1")
    assert [d["number"] for d in ddt.rows] == ["DDT2", "DDT1"]


def test_repeating_an_order_takes_todays_prices_and_the_products_rules(book: AgentBook) -> None:
    repeat = book.repeat(ANNA, "OV1")
    assert repeat.customer["code"] == "C1"
    by_code = {line.product["code"]: line for line in repeat.lines}
    assert list(by_code) == ["P1", "P2"]
    # 50 of P1 was below its minimum of 100 (and its multiple of 100)
    assert (by_code["P1"].qty, by_code["P1"].notes) == (100, (RepeatNote.QTY_RAISED,))
    assert by_code["P1"].price is not None and by_code["P1"].price["unit_price"] == "0.12"
    # P2 has no L01 price: the first valid list is proposed, as in the form
    assert by_code["P2"].qty == 3 and by_code["P2"].notes == ()
    assert by_code["P2"].price is not None and by_code["P2"].price["list_code"] == "L02"
    assert repeat.dropped == ["P9"]  # no longer in the catalogue


def test_an_agent_without_an_agent_code_sees_no_documents(book: AgentBook) -> None:
    nobody = User(4, "nobody", Role.AGENT, None)
    assert numbers(book, nobody) == []
    assert book.orders(nobody, DocumentFilter("")).orders == []
