"""Who may do what, in Chromium: sign-in, other agents' drafts, the schedule, cross-site."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ContextFactory
from tests.e2e.helpers import customers_of, make_draft, other_site_page, products
from tests.e2e.live_app import Agent, LiveApp
from tests.e2e.pages import OrderForm

pytestmark = pytest.mark.e2e

LOGIN = re.compile(r"/login\?next=")


def browser_fetch(page: Page, method: str, path: str, body: Any = None) -> int:
    """The status of a request made by the page's own JavaScript (cookie, Origin and all)."""
    status: int = page.evaluate(
        """async ([method, path, body]) => {
            const init = {method, headers: {"Content-Type": "application/json"}};
            if (body !== null) init.body = JSON.stringify(body);
            return (await fetch(path, init)).status;
        }""",
        [method, path, body],
    )
    return status


def test_sign_in_is_required_and_the_demo_agent_can_sign_in(
    live: LiveApp, contexts: ContextFactory
) -> None:
    context = contexts(live)
    page = context.new_page()
    for path in ("/orders/new", "/drafts", "/sync", "/"):
        page.goto(f"{live.url}{path}")
        expect(page).to_have_url(LOGIN)
    assert page.request.get(f"{live.url}/api/drafts").status == 401
    assert page.request.get(f"{live.url}/api/sync/status").status == 401
    assert page.request.get(f"{live.url}/healthz").status == 200

    page.goto(f"{live.url}/orders/new")
    page.locator("#username").fill("agente")
    page.locator("#password").fill("sbagliata")
    page.locator("button[type=submit]").click()
    expect(page.get_by_role("alert")).to_have_text("Nome utente o password errati.")

    page.locator("#password").fill("agente")
    page.locator("button[type=submit]").click()
    page.wait_for_url(f"{live.url}/orders/new")
    OrderForm(page, live.url).expect_smart_sync("done")
    expect(page.get_by_test_id("who")).to_contain_text("agente A01")
    (cookie,) = [c for c in context.cookies() if c["name"] == "erpsync_session"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert "erpsync_session" not in page.evaluate("document.cookie")
    live.wait_sessions(1, paused=True)

    page.get_by_role("button", name="Esci").click()
    page.wait_for_url(f"{live.url}/login")
    live.wait_sessions(0, paused=False, timeout=5)
    page.goto(f"{live.url}/sync")
    expect(page).to_have_url(LOGIN)


def test_an_agent_cannot_read_or_change_another_agents_drafts(
    live: LiveApp, contexts: ContextFactory
) -> None:
    owner, other = live.new_agent("A01"), live.new_agent("A02")
    draft = make_draft(live, owner, f"{owner.name}-private")
    page = contexts(live, other).new_page()

    page.goto(f"{live.url}/drafts")
    expect(page.locator("#drafts-empty")).to_be_visible()
    expect(page.locator("[data-draft-id]")).to_have_count(0)

    page.goto(f"{live.url}/orders/new?draft={draft['id']}")
    expect(page.locator("#form-error")).to_have_text("Bozza non trovata.")
    expect(page.locator("#line-rows tr")).to_have_count(0)
    path = f"/api/drafts/{draft['id']}"
    own_customer = customers_of(live, other, 1)[0]["code"]
    product = products(live, other)[0]["code"]
    change = {
        "customer_code": own_customer,
        "lines": [{"product_code": product, "qty": 1, "unit_price": "1.00"}],
    }
    assert browser_fetch(page, "GET", path) == 404
    assert browser_fetch(page, "PUT", path, change) == 404
    assert browser_fetch(page, "DELETE", path) == 404
    assert browser_fetch(page, "POST", "/api/drafts", {"id": draft["id"], **change}) == 409

    with live.client(owner) as api:
        assert api.get(path).json() == draft
        assert api.get("/api/drafts").json()["count"] == 1


def test_an_agent_cannot_change_the_schedule(
    live: LiveApp, agent: Agent, contexts: ContextFactory
) -> None:
    page = contexts(live, agent).new_page()
    page.goto(f"{live.url}/sync")
    expect(page.locator("#schedule-rows tr")).to_have_count(6)
    expect(page.locator("#schedule")).to_contain_text("Solo un amministratore")
    expect(page.locator("#schedule-rows input")).to_have_count(0)
    change = {"interval_minutes": 5, "offset_minutes": 0, "priority": 9}
    assert browser_fetch(page, "PUT", "/api/sync/schedule/products", change) == 403
    with live.client(agent) as api:
        assert api.put("/api/sync/schedule/products", json=change).status_code == 403
        products = next(
            t for t in api.get("/api/sync/schedule").json()["types"] if t["type"] == "products"
        )
    assert (products["intervalMinutes"], products["priority"]) == (90, 1)


def test_a_page_on_another_origin_cannot_act_for_the_signed_in_agent(
    live: LiveApp, agent: Agent, contexts: ContextFactory
) -> None:
    """A page on another port of the same host is another origin but the same *site*, so
    the SameSite cookie still goes along: the Origin check is what refuses its requests."""
    page = contexts(live, agent).new_page()
    mark = len(live.log_lines())
    attacks = {
        "/api/customers/smart-sync": json.dumps({"session_id": "evil-session-0001"}),
        "/api/sync/all": "{}",
    }
    with other_site_page() as elsewhere:
        page.goto(elsewhere)
        for path, body in attacks.items():
            with page.expect_response(f"{live.url}{path}") as refused:
                page.evaluate(
                    """async ([url, body]) => {
                        await fetch(url, {method: "POST", mode: "no-cors", credentials: "include",
                                          headers: {"Content-Type": "text/plain"}, body});
                    }""",
                    [f"{live.url}{path}", body],
                )
            assert refused.value.status == 403, path
        # Reads are allowed (their answers stay opaque to the page): the cookie did go along.
        with page.expect_response(f"{live.url}/api/me") as read:
            page.evaluate(
                "async (url) => { await fetch(url, {mode: 'no-cors', credentials: 'include'}); }",
                f"{live.url}/api/me",
            )
        assert read.value.status == 200
    assert live.smart()["activeSessions"] == 0
    assert not [line for line in live.log_lines()[mark:] if "evil-session" in line]
    assert not [line for line in live.log_lines()[mark:] if "action=sync_requested" in line]


def test_an_expired_sign_in_keeps_the_half_filled_order_on_screen(
    live: LiveApp, agent: Agent, contexts: ContextFactory
) -> None:
    context = contexts(live, agent)
    page = context.new_page()
    form = OrderForm(page, live.url).open()
    customer = customers_of(live, agent, 1)[0]
    form.pick_customer(customer["code"])
    context.clear_cookies()

    page.locator("#product-search").fill("P0000")
    banner = page.locator("#signed-out")
    expect(banner).to_contain_text("Sessione scaduta.")
    link = banner.get_by_role("link")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("href", "/login?next=%2Forders%2Fnew")
    assert page.url == f"{live.url}/orders/new"
    expect(page.locator("#customer-name")).to_have_text(customer["name"])

    context.add_cookies([live.session_cookie(agent)])  # signed in again in another tab
    page.locator("#product-search").fill("P00001")
    expect(page.locator("#product-results li[data-index]").first).to_contain_text("P00001")
