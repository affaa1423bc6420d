"""The agent's book: customer cards and the orders, DDT and invoices of the mirror.

An agent sees only records carrying their agent code (an admin sees all); another agent's
customer or document is a 404, so its code does not leak. Lists are newest first, in keyset
pages: pass a page's ``next`` as ``after`` to get the one after it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from erpsync.domain.book import DEFAULT_PAGE, MAX_PAGE, DocumentKind
from erpsync.domain.types import SyncType
from erpsync.web.book_json import (
    card_json,
    cursor,
    ddt_json,
    freshness_json,
    invoice_json,
    order_json,
    parse_cursor,
)
from erpsync.web.deps import BookDep, CurrentUser, StatusDep
from erpsync.web.inputs import CODE_LENGTH, NO_NUL, CodePath, Day
from erpsync.web.openapi import errors

router = APIRouter(tags=["agent's book"])

After = Annotated[
    str | None,
    Query(
        max_length=200,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="the `next` of the previous page; absent for the first page",
    ),
]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
CodeQuery = Annotated[
    str | None, Query(min_length=1, max_length=CODE_LENGTH, pattern=NO_NUL, description="code")
]
StateQuery = Annotated[
    str | None, Query(min_length=1, max_length=32, pattern=NO_NUL, description="ERP state")
]

#: What a customer card is made of, for its freshness.
CARD_TYPES = (SyncType.CUSTOMERS, SyncType.ORDERS, SyncType.DDT, SyncType.INVOICES)
ORDER_TYPES = (SyncType.ORDERS, SyncType.DDT, SyncType.INVOICES)


@router.get("/api/customers/{code}", responses=errors(404))
async def customer_card(
    code: CodePath, user: CurrentUser, book: BookDep, status: StatusDep
) -> dict[str, Any]:
    """A customer's master data, what they owe (open and overdue invoices) and how fresh the
    mirror is."""
    card = await run_in_threadpool(book.card, user, code)
    return {
        **card_json(card, book.today()),
        "freshness": freshness_json(await status.freshness(CARD_TYPES)),
    }


@router.get("/api/customers/{code}/orders", responses=errors(404))
def customer_orders(
    code: CodePath,
    user: CurrentUser,
    book: BookDep,
    after: After = None,
    limit: Limit = DEFAULT_PAGE,
) -> dict[str, Any]:
    """The customer's orders newest first, each with its lines, DDT and invoices."""
    page = book.orders(user, book.scope(user, customer_code=code), parse_cursor(after), limit)
    today = book.today()
    return {"orders": [order_json(o, today) for o in page.orders], "next": cursor(page.next)}


@router.get("/api/customers/{code}/ddt", responses=errors(404))
def customer_ddt(
    code: CodePath,
    user: CurrentUser,
    book: BookDep,
    after: After = None,
    limit: Limit = DEFAULT_PAGE,
) -> dict[str, Any]:
    """The customer's delivery notes newest first, with carrier and tracking number."""
    page = book.documents(user, DocumentKind.DDT, code, parse_cursor(after), limit)
    return {"ddt": [ddt_json(d) for d in page.rows], "next": cursor(page.next)}


@router.get("/api/customers/{code}/invoices", responses=errors(404))
def customer_invoices(
    code: CodePath,
    user: CurrentUser,
    book: BookDep,
    after: After = None,
    limit: Limit = DEFAULT_PAGE,
) -> dict[str, Any]:
    """The customer's invoices newest first, each paid, open or overdue."""
    page = book.documents(user, DocumentKind.INVOICES, code, parse_cursor(after), limit)
    today = book.today()
    return {"invoices": [invoice_json(i, today) for i in page.rows], "next": cursor(page.next)}


@router.get("/api/orders", responses=errors(404))
def orders(
    user: CurrentUser,
    book: BookDep,
    customer: CodeQuery = None,
    date_from: Annotated[Day | None, Query(alias="from")] = None,
    date_to: Annotated[Day | None, Query(alias="to")] = None,
    state: StateQuery = None,
    after: After = None,
    limit: Limit = DEFAULT_PAGE,
) -> dict[str, Any]:
    """The agent's ERP orders newest first, filtered by customer, date range (inclusive) and
    state; each with its lines, DDT and invoices. 404 for a customer the agent may not see."""
    where = book.scope(
        user, customer_code=customer, date_from=date_from, date_to=date_to, state=state
    )
    page = book.orders(user, where, parse_cursor(after), limit)
    today = book.today()
    return {"orders": [order_json(o, today) for o in page.orders], "next": cursor(page.next)}


@router.get("/api/orders/{number}", responses=errors(404))
def order(number: CodePath, user: CurrentUser, book: BookDep) -> dict[str, Any]:
    return order_json(book.order(user, number), book.today())


@router.get("/api/ddt/{number}", responses=errors(404))
def ddt(number: CodePath, user: CurrentUser, book: BookDep) -> dict[str, Any]:
    return ddt_json(book.document(user, DocumentKind.DDT, number))


@router.get("/api/invoices/{number}", responses=errors(404))
def invoice(number: CodePath, user: CurrentUser, book: BookDep) -> dict[str, Any]:
    return invoice_json(book.document(user, DocumentKind.INVOICES, number), book.today())
