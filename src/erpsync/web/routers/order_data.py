"""``/api/customers`` and ``/api/products``: what the order form searches, from the mirror."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from erpsync.web.deps import CurrentUser, OrderDataDep
from erpsync.web.inputs import CodePath, SearchQuery
from erpsync.web.json_shapes import customer_json, price_json, product_json
from erpsync.web.openapi import errors

router = APIRouter(tags=["order form data"])

Limit = Annotated[int, Query(ge=1, le=50)]


@router.get("/api/customers")
def search_customers(
    user: CurrentUser, data: OrderDataDep, q: SearchQuery = "", limit: Limit = 20
) -> dict[str, Any]:
    """The signed-in agent's customers (an admin's: all) matching every word of ``q``."""
    return {"customers": [customer_json(c) for c in data.customers(user, q, limit)]}


@router.get("/api/products")
def search_products(
    user: CurrentUser, data: OrderDataDep, q: SearchQuery = "", limit: Limit = 20
) -> dict[str, Any]:
    return {"products": [product_json(p) for p in data.products(q, limit)]}


@router.get("/api/products/{code}/prices", responses=errors(404))
def product_prices(code: CodePath, user: CurrentUser, data: OrderDataDep) -> dict[str, Any]:
    """The product's price-list rows valid today and the price the form proposes."""
    found = data.prices(code)
    return {
        "product": product_json(found.product),
        "prices": [price_json(p) for p in found.prices],
        "proposed": price_json(found.proposed) if found.proposed else None,
    }
