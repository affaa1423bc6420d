"""The agent's book as pages: ``/customers``, a customer's card and ``/orders``.

The pages are rendered on the server from the same service the API uses, so they work with
scripts off; a small script adds search as you type and local times.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from erpsync.domain.book import DEFAULT_PAGE, DocumentKind, Mark
from erpsync.domain.users import User
from erpsync.errors import InvalidInputError, NotFoundError
from erpsync.services.book import AgentBook
from erpsync.web.book_json import (
    card_json,
    cursor,
    ddt_json,
    freshness_json,
    invoice_json,
    order_json,
    parse_cursor,
)
from erpsync.web.deps import BookDep, CurrentUser, OrderDataDep, StatusDep, SubmissionsDep
from erpsync.web.inputs import CodePath, Day, SearchQuery
from erpsync.web.json_shapes import customer_json
from erpsync.web.pages import Pages, PagesDep
from erpsync.web.routers.book import CARD_TYPES, ORDER_TYPES, After, CodeQuery, StateQuery

router = APIRouter(include_in_schema=False)

#: Customers a page lists at once (the search narrows them down).
CUSTOMER_PAGE = 50


def _not_found(request: Request, pages: Pages, message: str) -> Response:
    context = {"message": message}
    return pages.render(request, "not_found.html", context, status_code=404)


@router.get("/customers")
async def customers_page(
    request: Request,
    user: CurrentUser,
    pages: PagesDep,
    data: OrderDataDep,
    status: StatusDep,
    q: SearchQuery = "",
) -> Response:
    found = [customer_json(c) for c in data.customers(user, q, CUSTOMER_PAGE)]
    context = {
        "q": q,
        "customers": found,
        "freshness": freshness_json(await status.freshness([CARD_TYPES[0]])),
    }
    return pages.render(request, "customers.html", context)


def _card(
    user: User,
    book: AgentBook,
    code: str,
    after: dict[DocumentKind, Mark | None],
) -> dict[str, Any]:
    today = book.today()
    card = book.card(user, code)
    orders = book.orders(user, book.scope(user, customer_code=code), after[DocumentKind.ORDERS])
    ddt = book.documents(user, DocumentKind.DDT, code, after[DocumentKind.DDT])
    invoices = book.documents(user, DocumentKind.INVOICES, code, after[DocumentKind.INVOICES])
    return {
        **card_json(card, today),
        "orders": [order_json(o, today) for o in orders.orders],
        "ordersNext": cursor(orders.next),
        "ddt": [ddt_json(d) for d in ddt.rows],
        "ddtNext": cursor(ddt.next),
        "invoices": [invoice_json(i, today) for i in invoices.rows],
        "invoicesNext": cursor(invoices.next),
    }


@router.get("/customers/{code}")
async def customer_page(
    request: Request,
    code: CodePath,
    user: CurrentUser,
    pages: PagesDep,
    book: BookDep,
    status: StatusDep,
    submissions: SubmissionsDep,
    orders_after: After = None,
    ddt_after: After = None,
    invoices_after: After = None,
) -> Response:
    try:
        marks = {
            DocumentKind.ORDERS: orders_after,
            DocumentKind.DDT: ddt_after,
            DocumentKind.INVOICES: invoices_after,
        }
        after = {k: parse_cursor(v) for k, v in marks.items()}
        card = await run_in_threadpool(_card, user, book, code, after)
    except NotFoundError:
        return _not_found(request, pages, pages.catalogue(request).t("book.customer.missing"))
    except InvalidInputError as error:
        return pages.render(request, "not_found.html", {"message": str(error)}, status_code=422)
    drafts = [
        {"id": d.id, "updatedAt": d.updated_at.isoformat(), "lines": len(d.lines)}
        for d, _ in (await run_in_threadpool(submissions.book, user)).unsent
        if d.customer_code == code
    ]
    context = {
        "card": card,
        "drafts": drafts,
        "freshness": freshness_json(await status.freshness(CARD_TYPES)),
    }
    return pages.render(request, "customer_card.html", context)


@router.get("/orders")
async def orders_page(
    request: Request,
    user: CurrentUser,
    pages: PagesDep,
    book: BookDep,
    status: StatusDep,
    customer: CodeQuery = None,
    date_from: Annotated[Day | None, Query(alias="from")] = None,
    date_to: Annotated[Day | None, Query(alias="to")] = None,
    state: StateQuery = None,
    after: After = None,
) -> Response:
    filters = {"customer": customer, "from": date_from, "to": date_to, "state": state}
    error = None
    code = 200
    shown: list[dict[str, Any]] = []
    next_mark = None
    try:
        where = book.scope(
            user, customer_code=customer, date_from=date_from, date_to=date_to, state=state
        )
        mark = parse_cursor(after)
        page = await run_in_threadpool(book.orders, user, where, mark, DEFAULT_PAGE)
        today = book.today()
        shown = [order_json(o, today) for o in page.orders]
        next_mark = cursor(page.next)
    except NotFoundError:
        error, code = pages.catalogue(request).t("book.customer.missing"), 404
    except InvalidInputError as invalid:
        error, code = str(invalid), 422
    context = {
        "filters": {k: ("" if v is None else str(v)) for k, v in filters.items()},
        "orders": shown,
        "next": next_mark,
        "error": error,
        "freshness": freshness_json(await status.freshness(ORDER_TYPES)),
    }
    return pages.render(request, "orders.html", context, status_code=code)
