"""What the tests do on the pages, named as a user would say it."""

from __future__ import annotations

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

SAVED_ONE = "✅ Bozza salvata! (1 bozza totale)"


def close_tab(page: Page) -> None:
    """Close the tab as a user does: through the page's own close (``beforeunload``, then
    ``pagehide``, where the form says goodbye). Playwright's default close ends the tab from
    outside, and a goodbye beacon sent then may not leave before the browser context closes
    (seen on a busy machine: the last tab's session stayed open). It does not wait for the tab
    to be gone: what the goodbye changes is for the caller to wait for (a tab closed so may still
    be listed among its context's pages, and closing it again does nothing)."""
    if page.is_closed():
        return
    try:
        page.close(run_before_unload=True)
    except PlaywrightError:
        if not page.is_closed():
            raise


def saved_banner(count: int) -> str:
    return SAVED_ONE if count == 1 else f"✅ Bozza salvata! ({count} bozze totali)"


def done_button(count: int) -> str:
    return "✅ Fatto (1 bozza)" if count == 1 else f"✅ Fatto ({count} bozze)"


class OrderForm:
    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url

    def open(self, query: str = "") -> OrderForm:
        self.page.goto(f"{self.base_url}/orders/new{query}")
        self.expect_smart_sync("done")
        return self

    def expect_smart_sync(self, state: str) -> None:
        expect(self.page.locator("body")).to_have_attribute("data-smart-sync", state)

    @property
    def session_id(self) -> str:
        value: str = self.page.evaluate("sessionStorage.getItem('erpsync.formSession')")
        return value

    def pick_customer(self, query: str) -> None:
        self.page.locator("#customer-search").fill(query)
        # what matches the query, not a list still showing an earlier search (the empty one of
        # the focus after a save lists other customers first)
        self.page.locator("#customer-results li[data-index]", has_text=query).first.click()
        expect(self.page.locator("#customer-selected")).to_be_visible()

    def add_product(self, query: str) -> None:
        rows = self.page.locator("#line-rows tr")
        before = rows.count()
        self.page.locator("#product-search").fill(query)
        self.page.locator("#product-results li[data-index]", has_text=query).first.click()
        expect(rows).to_have_count(before + 1)

    def line(self, index: int) -> LineRow:
        return LineRow(self.page, index)

    def save(self) -> None:
        self.page.locator("#save-draft").click()

    def fill_order(self, customer: str, *products: str) -> None:
        self.pick_customer(customer)
        for product in products:
            self.add_product(product)

    def expect_saved(self, count: int) -> None:
        expect(self.page.locator("#banner")).to_have_text(saved_banner(count))
        expect(self.page.locator("#done")).to_have_text(done_button(count))
        expect(self.page.locator("#line-rows tr")).to_have_count(0)
        expect(self.page.locator("#customer-selected")).to_be_hidden()

    def done(self) -> None:
        self.page.locator("#done").click()
        self.page.wait_for_url(f"{self.base_url}/drafts")


class LineRow:
    def __init__(self, page: Page, index: int) -> None:
        self.row = page.locator("#line-rows tr").nth(index)

    def set(self, name: str, value: str) -> None:
        self.row.locator(f"input[name='{name}']").fill(value)

    @property
    def message(self) -> str:
        return self.row.locator(".line-error").inner_text()
