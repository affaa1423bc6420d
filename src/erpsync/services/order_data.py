"""What the order form looks up: the agent's customers, products and their prices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from erpsync.domain.search import search_terms
from erpsync.domain.users import User
from erpsync.errors import RecordNotFoundError
from erpsync.ports import Clock, MirrorSearch

MAX_RESULTS = 50


@dataclass(frozen=True)
class ProductPrices:
    """A product's valid price-list rows and the one the form proposes."""

    product: dict[str, Any]
    prices: list[dict[str, Any]]
    proposed: dict[str, Any] | None


class OrderFormData:
    """Read-only lookups from the local mirror, scoped to the signed-in user."""

    def __init__(self, mirror: MirrorSearch, clock: Clock, *, price_list: str) -> None:
        self._mirror = mirror
        self._clock = clock
        self._price_list = price_list

    def customers(self, user: User, query: str, limit: int = 20) -> list[dict[str, Any]]:
        """Customers matching every word of ``query``: an agent's own, or all for an admin."""
        limit = max(1, min(limit, MAX_RESULTS))
        return self._mirror.customers(search_terms(query), user.agent_scope, limit)

    def customer(self, user: User, code: str) -> dict[str, Any]:
        """Raises ``RecordNotFoundError`` for a customer the user may not see."""
        found = self._mirror.customer(code, user.agent_scope)
        if found is None:
            raise RecordNotFoundError("customer", code)
        return found

    def products(self, query: str, limit: int = 20) -> list[dict[str, Any]]:
        limit = max(1, min(limit, MAX_RESULTS))
        return self._mirror.products(search_terms(query), limit)

    def products_by_code(self, codes: list[str]) -> dict[str, dict[str, Any]]:
        """The products still in the catalogue among ``codes``."""
        return self._mirror.products_by_code(codes)

    def prices(self, product_code: str) -> ProductPrices:
        """Prices valid today; the configured list is proposed, else the first valid one.

        Raises:
            RecordNotFoundError: no such product.
        """
        product = self._mirror.products_by_code([product_code]).get(product_code)
        if product is None:
            raise RecordNotFoundError("product", product_code)
        rows = self._mirror.prices(product_code, self._clock.now().date())
        preferred = [r for r in rows if r["list_code"] == self._price_list]
        candidates = preferred or rows
        return ProductPrices(product, rows, candidates[0] if candidates else None)
