"""Browser-like clients of a live app: signed in through ``POST /login``, and the helpers the
HTTP tests share to build valid requests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.live_app import Agent, LiveApp


def signed_in(app: LiveApp, who: Agent) -> httpx.Client:
    """A client holding ``who``'s session cookie and sending the ``Origin`` a browser sends."""
    client = app.client(Origin=app.url)
    answer = client.post("/login", data={"username": who.name, "password": who.password})
    assert answer.status_code == 303, answer.text
    return client


def draft_body(api: httpx.Client, draft_id: str, notes: str = "") -> dict[str, Any]:
    """A valid new draft for the client's agent: their first customer, one simple product at
    its list price."""
    customer = api.get("/api/customers", params={"limit": 1}).json()["customers"][0]
    products = api.get("/api/products", params={"limit": 50}).json()["products"]
    product = next(p for p in products if p["minQty"] == 1 and p["multipleQty"] == 1)
    proposed = api.get(f"/api/products/{product['code']}/prices").json()["proposed"]
    price = proposed["unitPrice"] if proposed else "12.50"  # the list's: the ERP takes it
    return {
        "id": draft_id,
        "customer_code": customer["code"],
        "notes": notes,
        "lines": [{"product_code": product["code"], "qty": 2, "unit_price": price}],
    }
