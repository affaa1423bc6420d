"""The first start on /sync in Chromium: the hydration's panel, type by type, in both languages.

The package's ``live`` app is a first start: its empty mirror was hydrated as it started."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ContextFactory
from tests.e2e.live_app import LiveApp

pytestmark = pytest.mark.e2e


def test_the_dashboard_shows_the_first_starts_hydration_type_by_type(
    live: LiveApp, contexts: ContextFactory
) -> None:
    hydration = live.status()["hydration"]
    assert (hydration["active"], hydration["done"], hydration["total"]) == (False, 6, 6)

    page = contexts(live, live.admin).new_page()
    page.goto(f"{live.url}/sync")
    expect(page.locator("#hydration")).to_be_visible()
    summary = page.locator("#hydration-summary")
    expect(summary).to_contain_text("Primo caricamento finito alle")
    expect(summary).to_contain_text("6 di 6 tipi")
    done = page.locator("#hydration-types li[data-state='done']")
    expect(done).to_have_count(6)
    expect(done.first).to_have_text("Ordini — caricato")

    english = contexts(live, live.admin).new_page()
    english.goto(f"{live.url}/sync?lang=en")
    expect(english.locator("#hydration-summary")).to_contain_text("First load finished at")
    expect(english.locator("#hydration-types li").last).to_have_text("Products — loaded")
