"""The agent's book in Chromium: from the customer list to a card, an order's delivery and
an overdue invoice, then "Ripeti ordine" into the form and a saved draft."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ContextFactory
from tests.e2e.helpers import HeldScript, customers_of
from tests.e2e.live_app import Agent, LiveApp
from tests.e2e.pages import OrderForm, saved_banner

pytestmark = pytest.mark.e2e


def _priced(api: httpx.Client, order: dict[str, Any]) -> bool:
    """Every line's product is still sold and has a price the form proposes."""
    for line in order["lines"]:
        answer = api.get(f"/api/products/{line['productCode']}/prices")
        if answer.status_code != 200 or answer.json()["proposed"] is None:
            return False
    return True


def a_customer_worth_visiting(app: LiveApp, who: Agent) -> tuple[dict[str, Any], dict[str, Any]]:
    """One of the agent's customers with an overdue invoice and an order shipped with a
    tracking number (whose products all have prices), from the demo data."""
    with app.client(who) as api:
        after = None
        for _ in range(20):
            params = {"limit": 100, **({"after": after} if after else {})}
            page = api.get("/api/orders", params=params).json()
            for order in page["orders"]:
                tracked = [d for d in order["ddt"] if d["trackingNumber"]]
                if not tracked or len(order["lines"]) > 4:
                    continue
                card = api.get(f"/api/customers/{order['customerCode']}").json()
                if card["receivables"]["overdueCount"] and _priced(api, order):
                    return card, order
            after = page["next"]
            if after is None:
                break
    raise AssertionError("the demo data has no customer with an overdue invoice and a delivery")


def test_from_the_customer_list_to_a_repeated_order(
    live: LiveApp, agent: Agent, contexts: ContextFactory
) -> None:
    card, order = a_customer_worth_visiting(live, agent)
    customer = card["customer"]
    page = contexts(live, agent).new_page()

    page.goto(f"{live.url}/customers")
    expect(page.get_by_test_id("freshness-customers")).to_contain_text("aggiornato alle")
    page.locator("#customer-filter").fill(customer["vatNumber"] or customer["code"])
    link = page.locator("#customer-list a").filter(has_text=customer["name"])
    expect(link).to_have_count(1)  # found as the agent types, no button pressed
    link.click()

    page.wait_for_url(f"{live.url}/customers/{customer['code']}")
    expect(page.locator("h1")).to_contain_text(customer["name"])
    expect(page.get_by_test_id("freshness-orders")).to_contain_text("aggiornato alle")
    expect(page.locator(".badge.warn")).to_have_count(0)  # just synced: nothing stale
    shown = page.locator(f"li.erp-order[data-order='{order['number']}']")
    tracking = next(d["trackingNumber"] for d in order["ddt"] if d["trackingNumber"])
    expect(shown.locator(".tracking").first).to_have_text(tracking)
    overdue = page.locator("#unpaid-invoices tr.overdue")
    expect(overdue.first).to_be_visible()
    expect(overdue.first.locator("[data-standing]")).to_have_text("scaduta")
    expect(page.get_by_test_id("receivables")).to_contain_text("scaduto")

    shown.locator("[data-action='repeat']").click()
    page.wait_for_url(f"{live.url}/orders/new?repeat={order['number']}")
    form = OrderForm(page, live.url)
    form.expect_smart_sync("done")
    expect(page.locator("#customer-name")).to_have_text(customer["name"])
    rows = page.locator("#line-rows tr")
    expect(rows).to_have_count(len(order["lines"]))
    for index, line in enumerate(sorted(order["lines"], key=lambda li: li["lineNo"])):
        expect(rows.nth(index)).to_have_attribute("data-product", line["productCode"])
    expect(page.locator("#banner")).to_contain_text(order["number"])
    form.save()
    form.expect_saved(1)
    expect(page.locator("#banner")).to_have_text(saved_banner(1))
    with live.client(agent) as api:
        drafts = api.get("/api/drafts").json()["drafts"]
    assert [d["customerCode"] for d in drafts] == [customer["code"]]
    assert [li["productCode"] for li in drafts[0]["lines"]] == [
        li["productCode"] for li in sorted(order["lines"], key=lambda li: li["lineNo"])
    ]


def test_what_is_typed_before_the_list_is_ready_is_searched(
    live: LiveApp, agent: Agent, contexts: ContextFactory
) -> None:
    customer = customers_of(live, agent, 1)[0]
    page = contexts(live, agent).new_page()
    script = HeldScript(page, "book.js")
    page.goto(f"{live.url}/customers", wait_until="commit")
    page.locator("#customer-filter").fill(customer["code"])
    script.release()

    link = page.locator("#customer-list a").filter(has_text=customer["name"])
    expect(link).to_have_count(1)
    expect(page).to_have_url(f"{live.url}/customers?q={customer['code']}")
