"""Orders to the ERP in Chromium (SPEC scenario 15): three drafts saved in a row, "Invia tutte",
each shows its ERP number without a reload; the one the ERP refuses shows why, is changed,
sent again and placed once."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import APIResponse, Page, Route, expect

from tests.e2e.conftest import ContextFactory
from tests.e2e.helpers import customers_of, erp_admin, eventually, make_draft, products
from tests.e2e.live_app import Agent, LiveApp
from tests.e2e.pages import OrderForm

pytestmark = pytest.mark.e2e

PLACED = re.compile(r"^Inviato · n\. OV\d{6}$")


def erp_orders_for(app: LiveApp, references: set[str]) -> list[dict[str, Any]]:
    with erp_admin(app) as erp:
        found: list[dict[str, Any]] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            page = erp.get("/api/v1/orders", params=params).raise_for_status().json()
            found += [o for o in page["items"] if o.get("client_reference") in references]
            cursor = page["next_cursor"]
            if cursor is None:
                return found


def card(page: Page, customer: str) -> Any:
    return page.locator("li.draft", has_text=customer)


def test_scenario_15_three_drafts_sent_at_once_one_refused_then_fixed(
    live: LiveApp, agent: Agent, contexts: ContextFactory
) -> None:
    customers = [c["code"] for c in customers_of(live, agent, 3)]
    product = products(live, agent)[0]["code"]
    page = contexts(live, agent).new_page()
    navigations: list[str] = []
    form = OrderForm(page, live.url).open()
    for n, customer in enumerate(customers, start=1):
        form.fill_order(customer, product)
        form.save()
        form.expect_saved(n)
    form.done()
    page.on("framenavigated", lambda f: navigations.append(f.url) if f == page.main_frame else None)

    refused = customers[2]
    with erp_admin(live) as erp:
        erp.put(f"/admin/blocked-customers/{refused}").raise_for_status()
    try:
        send_all = page.locator("#send-all")
        expect(send_all).to_have_text("Invia tutte (3)")
        send_all.click()
        sent = page.locator("#sent-list li.draft")
        expect(sent).to_have_count(2)
        for customer in customers[:2]:
            expect(card(page, customer).locator(".state")).to_have_text(PLACED)
        refusal = card(page, refused)
        expect(refusal.locator(".state")).to_have_text("Rifiutato dall'ERP")
        expect(refusal.locator(".reasons li")).to_contain_text("is blocked")
        expect(refusal.locator("[data-action='send']")).to_be_hidden()
        expect(send_all).to_be_hidden()
        assert navigations == [], "everything changed on the page, without a reload"
        page.screenshot(path="test-artifacts/drafts-sent-one-refused.png", full_page=True)
    finally:
        with erp_admin(live) as erp:
            erp.delete(f"/admin/blocked-customers/{refused}").raise_for_status()

    refusal.locator("[data-action='edit']").click()
    page.wait_for_url(re.compile(r"/orders/new\?draft="))
    edit = OrderForm(page, live.url)
    edit.expect_smart_sync("done")
    edit.line(0).set("qty", "2")
    edit.save()
    expect(page.locator("#banner")).to_be_visible()
    edit.done()
    again = card(page, refused)
    expect(again.locator("[data-action='send']")).to_be_visible()
    again.locator("[data-action='send']").click()
    expect(page.locator("#sent-list li.draft")).to_have_count(3)
    expect(card(page, refused).locator(".state")).to_have_text(PLACED)
    expect(page.locator("#drafts-empty")).to_be_visible()

    with live.client(agent) as api:
        drafts = api.get("/api/drafts").json()["drafts"]
    references = {d["id"] for d in drafts}
    orders = erp_orders_for(live, references)
    assert sorted(o["client_reference"] for o in orders) == sorted(references), (
        "the ERP holds exactly one order per draft"
    )
    numbers = {d["submission"]["erpNumber"] for d in drafts}
    assert numbers == {o["number"] for o in orders}


def server_state(live: LiveApp, agent: Agent, draft_id: str) -> str | None:
    with live.client(agent) as api:
        draft = api.get(f"/api/drafts/{draft_id}").raise_for_status().json()
    submission = draft["submission"]
    return submission["state"] if submission else None


def held(page: Page, pattern: str) -> list[Route]:
    """Requests to ``pattern`` that wait, unanswered, until the test lets them go."""
    routes: list[Route] = []
    page.route(pattern, lambda route: routes.append(route))
    return routes


def test_a_step_taken_before_the_page_listens_is_shown_once_it_does(
    live: LiveApp, agent: Agent, contexts: ContextFactory
) -> None:
    """The drafts page is drawn, then subscribes to the steps: a draft placed in between (from
    another device here, on a slow network) shows as placed once the stream is open. Nothing is
    on its way from this page, so it has no poll that could find it instead."""
    draft = make_draft(live, agent, "gap-before-listen")
    page = contexts(live, agent).new_page()
    streams = held(page, "**/api/sync/events")
    page.goto(f"{live.url}/drafts")
    expect(page.locator("#draft-list li.draft")).to_have_count(1)
    with live.client(agent) as api:
        api.post(f"/api/drafts/{draft['id']}/submit", json={}).raise_for_status()
    eventually(page, lambda: server_state(live, agent, draft["id"]) == "placed", "the order placed")
    assert len(streams) == 1
    streams[0].continue_()
    expect(page.locator("#sent-list li.draft .state")).to_have_text(PLACED)


def test_the_answer_to_a_send_does_not_undo_a_newer_step(
    live: LiveApp, agent: Agent, contexts: ContextFactory
) -> None:
    """The answer to "Invia" (queued) arrives after the page has heard, and shown, that the
    order was placed: the page looks again instead of leaving the draft queued. The page's
    clock moves only as the test says, and never as far as the next 5 s poll."""
    draft = make_draft(live, agent, "late-send-answer")
    page = contexts(live, agent).new_page()
    # The fake clock runs from its install until it is paused: pausing it at "now" as read
    # here may ask it to go back, by as long as the message takes to reach the browser.
    started = datetime.now(UTC)
    page.clock.install(time=started)
    page.clock.pause_at(started + timedelta(seconds=2))
    answers: list[tuple[Route, APIResponse]] = []
    page.route(f"**/api/drafts/{draft['id']}/submit", lambda r: answers.append((r, r.fetch())))
    with page.expect_response("**/api/sync/events"):
        page.goto(f"{live.url}/drafts")
    page.locator("[data-action='send']").click()
    eventually(page, lambda: answers, "the send's answer held")
    sent = page.locator("#sent-list li.draft")
    moved = 0  # ms of the page's clock
    while sent.count() == 0:  # the steps, then the short wait before a refresh
        assert moved < 4000, "the placed order shown before the page's first poll"
        page.clock.run_for(50)
        moved += 50
        page.wait_for_timeout(20)
    expect(sent.locator(".state")).to_have_text(PLACED)

    route, answer = answers[0]
    assert answer.json()["submission"]["state"] == "queued"
    route.fulfill(response=answer)
    expect(page.locator("#draft-list li.draft")).to_have_count(1)  # the answer drawn, stale
    page.clock.run_for(500)  # the short wait again; the poll is still 500 ms or more away
    expect(sent).to_have_count(1)
    expect(sent.locator(".state")).to_have_text(PLACED)
