"""The /sync dashboard in Chromium: live over the event stream, schedule edits by an admin."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ContextFactory
from tests.e2e.helpers import erp_admin, make_draft
from tests.e2e.live_app import Agent, LiveApp
from tests.e2e.pages import OrderForm, close_tab

pytestmark = pytest.mark.e2e


def test_the_dashboard_follows_the_order_form_and_the_queue_live(
    live: LiveApp, agent: Agent, contexts: ContextFactory
) -> None:
    dashboard = contexts(live, live.admin).new_page()
    dashboard.goto(f"{live.url}/sync")
    expect(dashboard.locator("#type-rows tr")).to_have_count(6)
    expect(dashboard.locator("#live")).to_have_attribute("data-state", "live")
    expect(dashboard.locator("#timeline-chart svg rect.run").first).to_be_attached()
    expect(dashboard.locator("#smart-sessions")).to_have_text("0")

    form_page = contexts(live, agent).new_page()
    OrderForm(form_page, live.url).open()
    expect(dashboard.locator("#smart-sessions")).to_have_text("1")
    expect(dashboard.locator("#smart-paused")).to_have_text("sì")
    expect(dashboard.locator("#smart-timeout")).to_contain_text("scatta alle")

    dashboard.locator("tr[data-type='ddt'] button[data-mode='incremental']").click()
    expect(dashboard.locator("#dashboard-message")).to_contain_text("DDT: in coda")
    ddt_status = dashboard.locator("tr[data-type='ddt'] [data-status]")
    expect(ddt_status).to_have_attribute("data-status", "paused")
    waiting = dashboard.locator("#queue-list li[data-type='ddt'] .reason")
    expect(waiting).to_have_text("in pausa: un modulo ordine è aperto")
    runs_before = dashboard.locator("#timeline-chart rect.run[data-type='ddt']").count()

    close_tab(form_page)
    expect(dashboard.locator("#smart-sessions")).to_have_text("0")
    expect(dashboard.locator("#smart-paused")).to_have_text("no")
    expect(ddt_status).to_have_attribute("data-status", "completed")
    expect(dashboard.locator("#queue-empty")).to_be_visible()
    expect(dashboard.locator("#timeline-chart rect.run[data-type='ddt']")).to_have_count(
        runs_before + 1
    )
    expect(dashboard.locator("#smart-last")).to_contain_text("letti")


#: How long each ERP page takes while a sync is made to give way.
SLOW_PAGE_S = 5


def test_why_a_sync_gives_way_and_why_it_waits_read_in_the_pages_language(
    live: LiveApp, agent: Agent, contexts: ContextFactory
) -> None:
    italian = contexts(live, live.admin).new_page()
    italian.goto(f"{live.url}/sync")
    english = contexts(live, live.admin).new_page()
    english.goto(f"{live.url}/sync?lang=en")
    for page in (italian, english):
        expect(page.locator("#live")).to_have_attribute("data-state", "live")
    form = contexts(live, agent).new_page()
    with erp_admin(live) as erp:
        # Each page takes this long: products is "stopping" from the form's opening to the end
        # of its page in flight, which must outlast the form page's own loading on a busy machine.
        erp.patch("/admin/faults", json={"slow_page_seconds": SLOW_PAGE_S}).raise_for_status()
        try:
            live.api.post("/api/sync/products", json={"mode": "full"}).raise_for_status()
            expect(italian.locator("#current-detail")).to_contain_text("Prodotti")
            form.goto(f"{live.url}/orders/new")  # products gives way after its page in flight

            expect(italian.locator("#current-detail")).to_contain_text(
                "in arresto: un modulo ordine è aperto"
            )
            expect(english.locator("#current-detail")).to_contain_text(
                "stopping: an order form is open"
            )
            italian_wait = italian.locator("#queue-list li[data-type='products'] .reason")
            english_wait = english.locator("#queue-list li[data-type='products'] .reason")
            # in line once its page in flight has ended: up to a whole page after "stopping"
            waited = (SLOW_PAGE_S + 5) * 1000
            expect(italian_wait).to_have_text("in pausa: un modulo ordine è aperto", timeout=waited)
            expect(english_wait).to_have_text("paused: an order form is open", timeout=waited)
        finally:
            erp.patch("/admin/faults", json={"slow_page_seconds": 0}).raise_for_status()
    close_tab(form)
    live.wait_sessions(0, paused=False)
    live.wait_idle()


def test_an_admin_edits_the_schedule_on_the_dashboard(
    live: LiveApp, contexts: ContextFactory
) -> None:
    page = contexts(live, live.admin).new_page()
    page.goto(f"{live.url}/sync")
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    row = page.locator("#schedule-rows tr[data-type='products']")
    interval = row.locator("input[name='interval']")
    expect(interval).to_have_value("90")
    try:
        interval.fill("120")
        row.locator("button[data-save]").click()
        expect(page.locator("#dashboard-message")).to_have_text(
            "Pianificazione di Prodotti salvata"
        )
        schedule = live.api.get("/api/sync/schedule").json()["types"]
        products = next(t for t in schedule if t["type"] == "products")
        assert products["intervalMinutes"] == 120
        expect(interval).to_have_value("120")
    finally:
        live.api.put(
            "/api/sync/schedule/products",
            json={"interval_minutes": 90, "offset_minutes": 30, "priority": 1},
        ).raise_for_status()


def test_a_live_refresh_leaves_the_admin_typing_in_the_schedule(
    live: LiveApp, contexts: ContextFactory
) -> None:
    """Another admin's change (one that moves a row to the top) arrives while this one types:
    the input keeps its focus and what was typed, the keys after the refresh land in it, and
    the rows take their new order once this admin has saved."""
    page = contexts(live, live.admin).new_page()
    page.goto(f"{live.url}/sync")
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    interval = page.locator("#schedule-rows tr[data-type='products'] input[name='interval']")
    expect(interval).to_have_value("90")
    before = {t["type"]: t for t in live.api.get("/api/sync/schedule").json()["types"]}
    prices = before["prices"]
    moved = prices["offsetMinutes"] + 1
    try:
        interval.click()
        page.keyboard.press("Control+A")
        page.keyboard.type("12")
        live.api.put(
            "/api/sync/schedule/prices",
            json={
                "interval_minutes": prices["intervalMinutes"],
                "offset_minutes": moved,
                "priority": 99,
            },
        ).raise_for_status()
        offset = page.locator("#schedule-rows tr[data-type='prices'] input[name='offset']")
        expect(offset).to_have_value(f"{moved:g}")
        expect(interval).to_be_focused()
        page.keyboard.type("0")
        expect(interval).to_have_value("120")
        page.locator("#schedule-rows tr[data-type='products'] button[data-save]").click()
        expect(page.locator("#dashboard-message")).to_have_text(
            "Pianificazione di Prodotti salvata"
        )
        after = {t["type"]: t for t in live.api.get("/api/sync/schedule").json()["types"]}
        assert after["products"]["intervalMinutes"] == 120
        first = page.locator("#schedule-rows tr").first
        expect(first).to_have_attribute("data-type", "prices")
        expect(first.locator("input[name='priority']")).to_have_value("99")
    finally:
        for entry in (before["products"], prices):
            live.api.put(
                f"/api/sync/schedule/{entry['type']}",
                json={
                    "interval_minutes": entry["intervalMinutes"],
                    "offset_minutes": entry["offsetMinutes"],
                    "priority": entry["priority"],
                },
            ).raise_for_status()


def test_the_pages_speak_english_when_asked(
    live: LiveApp, agent: Agent, contexts: ContextFactory
) -> None:
    page = contexts(live, agent).new_page()
    page.goto(f"{live.url}/sync?lang=en")
    expect(page.locator("h1")).to_have_text("Sync")
    page.goto(f"{live.url}/drafts")
    expect(page.locator("h1")).to_contain_text("Drafts")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(f"{live.url}/drafts?lang=it")
    expect(page.locator("h1")).to_contain_text("Bozze")
    assert re.search(r"lang=it", page.url)


def test_the_dashboard_shows_the_orders_on_their_way_and_those_sent_today(
    live: LiveApp, agent: Agent, contexts: ContextFactory
) -> None:
    """An order the ERP keeps failing waits in line with its next attempt and its cause,
    seen by the admin with whose it is; it leaves the line once placed."""
    dashboard = contexts(live, live.admin).new_page()
    dashboard.goto(f"{live.url}/sync")
    expect(dashboard.locator("#orders-empty")).to_be_visible()
    expect(dashboard.locator("#orders-today")).to_contain_text("inviati")  # drawn by the page
    placed_before = int(
        re.search(r"(\d+) inviati", dashboard.locator("#orders-today").inner_text()).group(1)  # type: ignore[union-attr]
    )
    draft = make_draft(live, agent, f"{agent.name}-dashboard")
    with erp_admin(live) as erp:
        erp.put("/admin/faults", json={"fail_before_commit_next": 1}).raise_for_status()
    try:
        with live.client(agent) as api:
            api.post(f"/api/drafts/{draft['id']}/submit").raise_for_status()
        waiting = dashboard.locator("#orders-list li")
        expect(waiting).to_have_count(1)
        expect(waiting).to_contain_text(f"{draft['customerCode']} · A01")
        expect(waiting).to_contain_text("nuovo tentativo alle")
        expect(waiting).to_contain_text("503")
        dashboard.screenshot(path="test-artifacts/dashboard-order-waiting.png", full_page=True)
    finally:
        with erp_admin(live) as erp:
            erp.put("/admin/faults", json={}).raise_for_status()
    expect(dashboard.locator("#orders-empty")).to_be_visible(timeout=15_000)
    expect(dashboard.locator("#orders-today")).to_contain_text(f"{placed_before + 1} inviati")
