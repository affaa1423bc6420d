"""The agent's book: their customers' cards and their orders, DDT and invoices from the mirror.

Every read is scoped to the signed-in user: an agent sees only records carrying their agent
code, an admin all. What the user may not see is "not found", never "forbidden", so codes and
numbers of other agents' records do not leak.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from erpsync.domain.book import (
    DEFAULT_PAGE,
    MAX_PAGE,
    DocumentFilter,
    DocumentKind,
    Mark,
    Page,
    Receivables,
    Repeat,
    page_of,
    receivables,
    repeat_lines,
)
from erpsync.domain.users import User
from erpsync.errors import RecordNotFoundError
from erpsync.ports import Clock, MirrorBook
from erpsync.services.order_data import OrderFormData

_SINGULAR = {
    DocumentKind.ORDERS: "order",
    DocumentKind.DDT: "DDT",
    DocumentKind.INVOICES: "invoice",
}


@dataclass(frozen=True)
class OrderView:
    """An ERP order with its lines, and the DDT and invoices made for it."""

    order: dict[str, Any]
    lines: list[dict[str, Any]]
    ddt: list[dict[str, Any]]
    invoices: list[dict[str, Any]]
    #: ``None`` when the customer is no longer in the mirror.
    customer_name: str | None = None


@dataclass(frozen=True)
class CustomerCard:
    customer: dict[str, Any]
    receivables: Receivables
    #: The unpaid invoices, soonest due first.
    unpaid: list[dict[str, Any]]


@dataclass(frozen=True)
class OrderPage:
    orders: list[OrderView]
    next: Mark | None


class AgentBook:
    def __init__(self, mirror: MirrorBook, order_data: OrderFormData, clock: Clock) -> None:
        self._mirror = mirror
        self._order_data = order_data
        self._clock = clock

    def today(self) -> date:
        return self._clock.now().date()

    def card(self, user: User, code: str) -> CustomerCard:
        """Raises ``RecordNotFoundError`` for a customer the user may not see."""
        customer = self.customer(user, code)
        unpaid = self._mirror.unpaid_invoices(code, user.agent_scope)
        return CustomerCard(customer, receivables(unpaid, self.today()), unpaid)

    def orders(
        self, user: User, where: DocumentFilter, after: Mark | None = None, limit: int = 20
    ) -> OrderPage:
        """A page of orders; ``where`` must already carry the user's scope (see
        :meth:`scope`). Naming a customer the user may not see raises ``RecordNotFoundError``.
        """
        if where.customer_code is not None:
            self.customer(user, where.customer_code)
        page = self._page(DocumentKind.ORDERS, where, after, limit)
        return OrderPage(self._with_documents(user, page.rows), page.next)

    def documents(
        self,
        user: User,
        kind: DocumentKind,
        customer_code: str,
        after: Mark | None = None,
        limit: int = DEFAULT_PAGE,
    ) -> Page:
        """A page of a customer's DDT or invoices (orders: see :meth:`orders`)."""
        self.customer(user, customer_code)
        where = DocumentFilter(user.agent_scope, customer_code=customer_code)
        return self._page(kind, where, after, limit)

    def order(self, user: User, number: str) -> OrderView:
        return self._with_documents(user, [self.document(user, DocumentKind.ORDERS, number)])[0]

    def document(self, user: User, kind: DocumentKind, number: str) -> dict[str, Any]:
        found = self._mirror.document(kind, number, user.agent_scope)
        if found is None:
            raise RecordNotFoundError(_SINGULAR[kind], number)
        return found

    def repeat(self, user: User, number: str) -> Repeat:
        """A past order's lines as the form would take them today: the prices proposed now,
        quantities raised to the product's minimum and multiple, products gone left out."""
        view = self.order(user, number)
        customer = self.customer(user, view.order["customer_code"])
        codes = [line["product_code"] for line in view.lines]
        products = self._order_data.products_by_code(codes)
        proposed = {code: self._order_data.prices(code).proposed for code in products}
        kept, dropped = repeat_lines(view.lines, products, proposed)
        return Repeat(number, customer, kept, dropped)

    @staticmethod
    def scope(user: User, **filters: Any) -> DocumentFilter:
        """A filter for what ``user`` may see.

        Raises:
            InvalidInputError: an empty date range.
        """
        return DocumentFilter(user.agent_scope, **filters)

    def customer(self, user: User, code: str) -> dict[str, Any]:
        """A customer's master data; ``RecordNotFoundError`` when the user may not see it."""
        found = self._mirror.customer_card(code, user.agent_scope)
        if found is None:
            raise RecordNotFoundError("customer", code)
        return found

    def _page(
        self, kind: DocumentKind, where: DocumentFilter, after: Mark | None, limit: int
    ) -> Page:
        limit = max(1, min(limit, MAX_PAGE))
        return page_of(self._mirror.documents(kind, where, after, limit + 1), limit)

    def _with_documents(self, user: User, orders: list[dict[str, Any]]) -> list[OrderView]:
        numbers = [o["number"] for o in orders]
        lines = self._mirror.order_lines(numbers)
        ddt = self._mirror.linked(DocumentKind.DDT, numbers, user.agent_scope)
        invoices = self._mirror.linked(DocumentKind.INVOICES, numbers, user.agent_scope)
        names = self._mirror.customer_names({o["customer_code"] for o in orders})
        return [
            OrderView(
                o,
                lines[o["number"]],
                ddt[o["number"]],
                invoices[o["number"]],
                names.get(o["customer_code"]),
            )
            for o in orders
        ]
