"""Order-form sessions in Chromium: SPEC scenarios 12 (two tabs) and 13 (safety timeout)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import IDLE_TIMEOUT_S, LEASE_S, ContextFactory
from tests.e2e.live_app import Agent, LiveApp, fields
from tests.e2e.pages import OrderForm, close_tab

pytestmark = pytest.mark.e2e

#: Well inside the session lease: only the page's goodbye beacon can close a session so fast.
GOODBYE_S = LEASE_S / 2


def test_scenario_12_two_tabs_count_as_two_sessions(
    live: LiveApp, agent: Agent, contexts: ContextFactory
) -> None:
    context = contexts(live, agent)
    first = context.new_page()
    first_form = OrderForm(first, live.url).open()
    live.wait_sessions(1, paused=True)

    second = context.new_page()
    second_form = OrderForm(second, live.url).open()
    live.wait_sessions(2, paused=True)
    assert first_form.session_id != second_form.session_id

    close_tab(first)
    live.wait_sessions(1, paused=True, timeout=GOODBYE_S)
    close_tab(second)
    live.wait_sessions(0, paused=False, timeout=GOODBYE_S)


def test_a_reload_is_the_same_tab_not_a_second_session(
    live: LiveApp, agent: Agent, contexts: ContextFactory
) -> None:
    page = contexts(live, agent).new_page()
    form = OrderForm(page, live.url).open()
    session = form.session_id
    mark = len(live.log_lines())

    page.reload()
    form.expect_smart_sync("done")

    assert form.session_id == session
    live.wait_sessions(1, paused=True)
    lines = live.log_lines()[mark:]
    opened = [fields(line) for line in lines if "action=session_opened" in line]
    closed = [fields(line) for line in lines if "action=session_closed" in line]
    # The old page's goodbye may arrive before the new page registers (the session closes and
    # opens again) or after it (a goodbye of an older instance, ignored): never a second one.
    assert [(o["session"], o["sessions"]) for o in opened] == [(session, "1")] * len(opened)
    assert [c["session"] for c in closed] == [session] * len(opened)


def test_scenario_13_the_safety_timeout_resumes_syncs_while_the_form_stays_open(
    idle_app: LiveApp, contexts: ContextFactory
) -> None:
    agent = idle_app.new_agent()
    mark = len(idle_app.log_lines())
    page = contexts(idle_app, agent).new_page()
    form = OrderForm(page, idle_app.url).open()
    smart = idle_app.smart()
    assert (smart["activeSessions"], smart["syncsPaused"]) == (1, True)
    assert smart["safetyTimeoutActive"] is True
    assert idle_app.api.post("/api/sync/products").json()["outcome"] == "queued"
    assert idle_app.type_status("products")["status"] == "paused"

    fired = fields(idle_app.wait_log("safety_timeout", mark, timeout=IDLE_TIMEOUT_S + 10))
    assert fired["dropped"] == "1"
    idle_app.wait_sessions(0, paused=False)
    assert not page.is_closed()
    assert page.url == f"{idle_app.url}/orders/new"
    assert idle_app.smart()["safetyTimeoutActive"] is False
    idle_app.wait_log("sync_completed", mark, type="products")

    form.expect_smart_sync("dropped")  # the next heartbeat learned the session is gone
    expect(page.locator("#sync-notice")).to_contain_text("Modulo inattivo")
    page.locator("#customer-search").press_sequentially("ro")
    idle_app.wait_sessions(1, paused=True)
    form.expect_smart_sync("done")
