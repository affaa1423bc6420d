"""The order form without signal, in Chromium: the app shell from the service worker, the
agent's slice on the device, drafts kept there and uploaded exactly once when the signal
returns, a conflict between two devices shown rather than lost, another agent on the same
browser never seeing the first one's drafts, and a new version of the app replacing the old
cache with the pending drafts kept."""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from erpsync.domain.search import normalise
from erpsync.web.routers import app_shell
from tests.e2e.conftest import ContextFactory
from tests.e2e.helpers import customers_of, eventually, make_draft, new_erp_customer
from tests.e2e.live_app import Agent, LiveApp
from tests.e2e.pages import OrderForm, saved_banner

pytestmark = pytest.mark.e2e


def plain_products(app: LiveApp, who: Agent, count: int = 3) -> list[dict[str, Any]]:
    """Products that take a quantity of 1 and have a proposed price."""
    found = []
    with app.client(who) as api:
        for product in api.get("/api/products", params={"limit": 50}).json()["products"]:
            if (product["minQty"] or 1) == 1 and (product["multipleQty"] or 1) == 1:
                prices = api.get(f"/api/products/{product['code']}/prices").json()
                if prices["proposed"] is not None:
                    found.append(product)
            if len(found) == count:
                break
    return found


def server_drafts(app: LiveApp, who: Agent) -> list[dict[str, Any]]:
    with app.client(who) as api:
        drafts: list[dict[str, Any]] = api.get("/api/drafts").json()["drafts"]
    return drafts


def visit_online(page: Page, app: LiveApp) -> None:
    """One visit online: the form and the drafts page kept by the service worker, and the
    agent's slice downloaded to the device."""
    page.goto(f"{app.url}/orders/new")
    OrderForm(page, app.url).expect_smart_sync("done")
    expect(page.locator("#device-data")).to_contain_text("aggiornati alle")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.goto(f"{app.url}/drafts")
    page.goto(f"{app.url}/orders/new")
    OrderForm(page, app.url).expect_smart_sync("done")


def save_offline(page: Page, customer: dict[str, Any], product: dict[str, Any], count: int) -> None:
    form = OrderForm(page, "")
    form.pick_customer(customer["code"])  # names repeat (two branches of one firm)
    form.add_product(product["code"])
    form.save()
    expect(page.locator("#banner")).to_have_text(saved_banner(count))


def pending_on_device(page: Page, user_id: int | None = None) -> int:
    """How many drafts wait in the IndexedDB of ``user_id`` (the page's user by default)."""
    count: int = page.evaluate(
        """async (userId) => {
            const db = await new Promise((ok, no) => {
                const open = indexedDB.open(`erpsync-user-${userId}`);
                open.onsuccess = () => ok(open.result);
                open.onerror = () => no(open.error);
            });
            if (!db.objectStoreNames.contains("pending")) return 0;
            return await new Promise((ok) => {
                const req = db.transaction("pending").objectStore("pending").count();
                req.onsuccess = () => ok(req.result);
            });
        }""",
        user_id if user_id is not None else page.evaluate("document.body.dataset.user"),
    )
    return count


def test_three_orders_taken_offline_reach_the_server_once_the_signal_returns(
    live: LiveApp, agent: Agent, contexts: ContextFactory
) -> None:
    with live.client(agent) as api:
        customers = api.get("/api/customers", params={"limit": 3}).json()["customers"]
    products = plain_products(live, agent)
    context = contexts(live, agent)
    page = context.new_page()
    visit_online(page, live)

    context.set_offline(True)
    page.reload()
    expect(page.locator("#net-status")).to_have_text("Senza rete")
    expect(page.locator("#sync-notice")).to_contain_text(
        "l'elenco clienti è quello del dispositivo"
    )
    # Counted from here: as the emulated network goes down, the online page's last smart-sync
    # POST now and then reaches the server a second time (same page instance; the page's code
    # did not send it again, Playwright saw one request), before the reload.
    mark = len(live.log_lines())
    for n in range(3):
        save_offline(page, customers[n], products[n], n + 1)
    expect(page.locator("#pending-count")).to_have_text("3 bozze in attesa di invio")
    assert server_drafts(live, agent) == [], "nothing reached the server while offline"
    requested = [line for line in live.log_lines()[mark:] if "smart_sync_requested" in line]
    assert requested == [], "no Smart Customer Sync without signal"

    page.goto(f"{live.url}/drafts")
    pending = page.locator("#pending-list li")
    expect(pending).to_have_count(3)
    expect(pending.first).to_contain_text("in attesa di rete")
    to_send = pending.first.get_attribute("data-pending-id")
    pending.first.get_by_role("button", name="Invia").click()  # "Invia" without signal
    expect(pending.first).to_contain_text("Sarà inviata all'ERP appena c'è rete")

    page.goto(f"{live.url}/orders/new")
    expect(page.locator("#done")).to_have_text("✅ Fatto (3 bozze)")
    context.set_offline(False)  # with the form open: its session, the smart sync, the upload
    OrderForm(page, live.url).expect_smart_sync("done")
    live.wait_sessions(1, paused=True)
    expect(page.locator("#pending-count")).to_be_hidden()
    drafts = server_drafts(live, agent)
    assert sorted(d["customerCode"] for d in drafts) == sorted(c["code"] for c in customers)
    assert len({d["id"] for d in drafts}) == 3
    sent = {d["id"] for d in drafts if d["submission"] is not None}
    assert sent == {to_send}, "the one pressed 'Invia' offline went to the ERP, the others not"


def test_with_a_signal_that_answers_nothing_the_form_opens_from_the_device(
    live: LiveApp, agent: Agent, contexts: ContextFactory
) -> None:
    """Bad signal rather than none: the browser believes it is online, but the request for the
    page never gets an answer. The service worker asks the network first, gives it 4 s, then
    opens the form as it kept it, and the agent can take orders on it."""
    customer = customers_of(live, agent, 1)[0]
    product = plain_products(live, agent, 1)[0]
    context = contexts(live, agent)
    page = context.new_page()
    visit_online(page, live)

    asked: list[Route] = []
    context.route("**/orders/new", lambda route: asked.append(route))  # never answered
    context.route("**/api/**", lambda route: route.abort("timedout"))
    started = time.monotonic()
    page.goto(f"{live.url}/orders/new", timeout=15_000)
    waited = time.monotonic() - started
    expect(page.locator("#form-title")).to_have_text("Nuovo ordine")
    assert len(asked) == 1, "the service worker asked the network first"
    assert waited >= 3.5, f"it gave the network its 4 s, not {waited:.1f} s"
    save_offline(page, customer, product, 1)
    expect(page.locator("#pending-count")).to_have_text("1 bozza in attesa di invio")


def test_a_sign_in_that_lapsed_offline_keeps_the_drafts_until_the_agent_signs_in_again(
    live: LiveApp, agent: Agent, contexts: ContextFactory
) -> None:
    with live.client(agent) as api:
        customer = api.get("/api/customers", params={"limit": 1}).json()["customers"][0]
    [product] = plain_products(live, agent, 1)
    context = contexts(live, agent)
    page = context.new_page()
    visit_online(page, live)
    context.set_offline(True)
    save_offline(page, customer, product, 1)
    page.goto(f"{live.url}/drafts")
    live.services.accounts.sign_out_everywhere(agent.name)  # the sign-in lapses meanwhile

    context.set_offline(False)
    page.reload()  # the page's sign-in is gone: it leads to the login page
    assert "/login" in page.url
    assert server_drafts(live, agent) == []
    context.add_cookies([live.session_cookie(agent)])  # type: ignore[list-item]
    page.goto(f"{live.url}/drafts")
    expect(page.locator("#pending-list li")).to_have_count(0)
    assert len(server_drafts(live, agent)) == 1


def test_an_upload_cut_off_half_way_is_retried_and_makes_no_second_draft(
    live: LiveApp, agent: Agent, contexts: ContextFactory
) -> None:
    """The second upload reaches the server but its answer is lost; the retry is answered
    with the draft already there."""
    with live.client(agent) as api:
        customer = api.get("/api/customers", params={"limit": 1}).json()["customers"][0]
    products = plain_products(live, agent, 2)
    # requests through a service worker escape Playwright's routing: this test does without
    context = contexts(live, agent, service_workers="block")
    page = context.new_page()
    page.goto(f"{live.url}/orders/new")
    OrderForm(page, live.url).expect_smart_sync("done")
    expect(page.locator("#device-data")).to_contain_text("aggiornati alle")
    context.set_offline(True)
    for n in range(2):
        save_offline(page, customer, products[n], n + 1)

    uploads: list[str] = []

    def lose_the_second_answer(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        uploads.append(route.request.post_data_json["id"])
        if len(uploads) == 2:
            route.fetch()  # the server creates it...
            route.abort("connectionreset")  # ...and the answer never arrives
        else:
            route.continue_()

    page.route("**/api/drafts", lose_the_second_answer)
    context.set_offline(False)
    eventually(page, lambda: len(uploads) >= 2, "the second upload")
    eventually(page, lambda: pending_on_device(page) == 1, "the first one off the device")
    page.goto(f"{live.url}/drafts")  # the next visit tries again
    expect(page.locator("#pending-list li")).to_have_count(0)
    assert uploads[1] == uploads[2], "the lost one is sent again with its id"
    drafts = server_drafts(live, agent)
    assert len(drafts) == 2
    assert len({d["id"] for d in drafts}) == 2


def open_draft(page: Page, app: LiveApp, draft_id: str) -> None:
    page.goto(f"{app.url}/orders/new?draft={draft_id}")
    expect(page.locator("#form-title")).to_have_text("Modifica bozza")
    OrderForm(page, app.url).expect_smart_sync("done")


def test_a_draft_changed_on_two_devices_is_a_conflict_the_agent_settles(
    live: LiveApp, agent: Agent, contexts: ContextFactory
) -> None:
    draft = make_draft(live, agent, f"{agent.name}-two-devices")
    phone, tablet = contexts(live, agent), contexts(live, agent)
    on_phone, on_tablet = phone.new_page(), tablet.new_page()
    open_draft(on_phone, live, draft["id"])
    open_draft(on_tablet, live, draft["id"])

    phone.set_offline(True)
    on_phone.locator("#notes").fill("dal telefono")
    on_phone.locator("#save-draft").click()
    expect(on_phone.locator("#pending-count")).to_have_text("1 bozza in attesa di invio")
    on_tablet.locator("#notes").fill("dal tablet")
    on_tablet.locator("#save-draft").click()
    expect(on_tablet.locator("#banner")).to_contain_text("Bozza salvata")

    on_phone.goto(f"{live.url}/drafts")
    phone.set_offline(False)
    card = on_phone.locator("#pending-list li")
    expect(card).to_have_attribute("data-state", "conflict")
    expect(card).to_contain_text("Modificata anche su un altro dispositivo")
    assert server_drafts(live, agent)[0]["notes"] == "dal tablet", "nothing overwritten"

    card.get_by_role("button", name="Tieni questa").click()
    expect(on_phone.locator("#pending-list li")).to_have_count(0)
    assert server_drafts(live, agent)[0]["notes"] == "dal telefono"


def one_draft_waiting_offline(
    live: LiveApp, agent: Agent, contexts: ContextFactory
) -> tuple[BrowserContext, Page]:
    """A browser of ``agent``'s that visited online, went offline and saved one draft there."""
    with live.client(agent) as api:
        customer = api.get("/api/customers", params={"limit": 1}).json()["customers"][0]
    [product] = plain_products(live, agent, 1)
    context = contexts(live, agent)
    page = context.new_page()
    visit_online(page, live)
    context.set_offline(True)
    save_offline(page, customer, product, 1)
    return context, page


def test_another_agent_on_the_same_browser_sees_none_of_the_first_ones_drafts(
    live: LiveApp, agent: Agent, contexts: ContextFactory
) -> None:
    other = live.new_agent("A02")
    context, page = one_draft_waiting_offline(live, agent, contexts)
    page.close()

    context.set_offline(False)
    context.clear_cookies()
    context.add_cookies([live.session_cookie(other)])  # type: ignore[list-item]
    theirs = context.new_page()
    theirs.goto(f"{live.url}/drafts")
    expect(theirs.locator("[data-testid='who']")).to_contain_text(other.name)
    expect(theirs.locator("#pending-section")).to_be_hidden()
    expect(theirs.locator("#pending-count")).to_be_hidden()
    theirs.goto(f"{live.url}/orders/new")
    OrderForm(theirs, live.url).expect_smart_sync("done")
    expect(theirs.locator("#done")).to_have_text("✅ Fatto (0 bozze)")
    assert server_drafts(live, other) == [], "the first agent's draft was not sent as theirs"
    assert server_drafts(live, agent) == []
    assert pending_on_device(theirs, agent_id(live, agent)) == 1, "still waiting for its agent"


def test_a_page_left_open_never_sends_its_drafts_as_the_agent_signed_in_since(
    live: LiveApp, agent: Agent, contexts: ContextFactory
) -> None:
    """The first agent's drafts page stays open offline with a draft waiting; the browser's
    sign-in becomes another agent's; the signal returns: the page uploads nothing as them."""
    other = live.new_agent("A02")
    context, page = one_draft_waiting_offline(live, agent, contexts)
    page.goto(f"{live.url}/drafts")  # the first agent's page, from the device
    expect(page.locator("#pending-list li")).to_have_count(1)
    context.clear_cookies()
    context.add_cookies([live.session_cookie(other)])  # type: ignore[list-item]

    uploads: list[str] = []
    page.on("request", lambda r: r.method == "POST" and uploads.append(r.url))
    with page.expect_response("**/api/me"):  # the page asks who is signed in before sending
        context.set_offline(False)
    # a bounded look for a request that must not come (it would follow /api/me at once)
    page.wait_for_timeout(300)  # a refresh due now would be on its way within this
    assert uploads == [], "nothing sent as the agent signed in now"
    assert server_drafts(live, other) == []
    assert server_drafts(live, agent) == []
    assert pending_on_device(page) == 1, "still waiting on the device for its own agent"


def agent_id(app: LiveApp, who: Agent) -> int:
    return next(u.id for u in app.services.accounts.all() if u.name == who.name)


def shell_caches(page: Page) -> list[str]:
    names: list[str] = page.evaluate("caches.keys()")
    return sorted(n for n in names if n.startswith("erpsync-shell-"))


def test_a_new_version_replaces_the_cached_shell_and_keeps_the_pending_drafts(
    live: LiveApp,
    agent: Agent,
    contexts: ContextFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with live.client(agent) as api:
        customer = api.get("/api/customers", params={"limit": 1}).json()["customers"][0]
    [product] = plain_products(live, agent, 1)
    context: BrowserContext = contexts(live, agent)
    page = context.new_page()
    visit_online(page, live)
    version, assets = app_shell.shell()
    assert shell_caches(page) == [f"erpsync-shell-{version}"]
    context.set_offline(True)
    save_offline(page, customer, product, 1)
    page.close()  # the form would upload the draft as soon as the signal returns

    monkeypatch.setattr(app_shell, "shell", lambda: ("next-release", assets))
    context.set_offline(False)
    elsewhere = context.new_page()
    elsewhere.goto(f"{live.url}/customers")  # a page that uploads nothing
    elsewhere.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
    eventually(
        elsewhere,
        lambda: shell_caches(elsewhere) == ["erpsync-shell-next-release"],
        "the new version's cache, the old one gone",
    )
    assert pending_on_device(elsewhere) == 1, "the upgrade kept the draft waiting on the device"

    context.set_offline(True)
    form = context.new_page()
    form.goto(f"{live.url}/orders/new")  # from the new version's cache
    expect(form.locator("#net-status")).to_have_text("Senza rete")
    expect(form.locator("#pending-count")).to_have_text("1 bozza in attesa di invio")
    expect(form.locator("#done")).to_contain_text("(1 bozza)")


QUERIES = [
    "",
    "ferr",
    "FERRAMENTA",
    "s.r.l.",
    "d'angelo",
    "citta",
    "Città",
    "bo",
    "ve",
    "agraria padova",
    "a b c d e f",
    "zzzz",
    "  spazi   doppi  ",
]


def test_the_device_finds_what_the_server_finds_in_the_same_order(
    live: LiveApp, agent: Agent, contexts: ContextFactory
) -> None:
    page = contexts(live, agent).new_page()
    visit_online(page, live)
    with live.client(agent) as api:
        customer = api.get("/api/customers", params={"limit": 1}).json()["customers"][0]
        product = plain_products(live, agent, 1)[0]
        queries = [*QUERIES, customer["code"], customer["vatNumber"] or "", product["code"]]
        server = {
            q: {
                "customers": [
                    c["code"]
                    for c in api.get("/api/customers", params={"q": q}).json()["customers"]
                ],
                "products": [
                    p["code"] for p in api.get("/api/products", params={"q": q}).json()["products"]
                ],
            }
            for q in queries
        }
        codes = [
            p["code"] for p in api.get("/api/products", params={"limit": 50}).json()["products"]
        ]
        proposed = {
            code: api.get(f"/api/products/{code}/prices").json()["proposed"] for code in codes
        }
    device = page.evaluate(
        """async ({ queries, codes }) => {
            const { Device } = await import("/static/device.js");
            const device = await Device.open();
            const found = {};
            for (const q of queries) {
                found[q] = {
                    customers: (await device.slice.customers(q)).map((c) => c.code),
                    products: (await device.slice.products(q)).map((p) => p.code),
                };
            }
            const prices = {};
            for (const code of codes) {
                prices[code] = (await device.slice.productPrices(code)).proposed;
            }
            return { found, prices };
        }""",
        {"queries": queries, "codes": codes},
    )
    assert device["found"] == server
    tricky = [
        "Città  Sant'Angelo",
        "ÉCOLE",
        "Ñandú",
        "Straße",
        "ﬁliale",
        "Ａｂｃ",
        "tab\tand\nline",
        "İzmir",
    ]
    normalised = page.evaluate(
        """async (texts) => {
            const { normalise } = await import("/static/text_match.js");
            return texts.map(normalise);
        }""",
        tricky,
    )
    assert normalised == [normalise(text) for text in tricky]
    assert any(server[q]["customers"] for q in queries), "the queries find something"
    for code in codes:
        mine, theirs = device["prices"][code], proposed[code]
        assert (mine and (mine["listCode"], mine["unitPrice"])) == (
            theirs and (theirs["listCode"], theirs["unitPrice"])
        ), code


def test_the_open_form_brings_the_device_up_to_date_every_five_minutes(
    live: LiveApp, agent: Agent, contexts: ContextFactory
) -> None:
    """A customer that reaches the mirror while the form stays open comes to the device with
    the background refresh (the page's clock moved on five minutes), and is found offline."""
    context = contexts(live, agent)
    page = context.new_page()
    page.clock.install()
    OrderForm(page, live.url).open()
    expect(page.locator("body")).to_have_attribute("data-device-data", "current")
    code = new_erp_customer(live, agent, "CBKG", "Ornitorinco", "Cuneo")
    # another form's smart sync brings it into the mirror; this device has not fetched it
    OrderForm(contexts(live, agent).new_page(), live.url).open()
    asked: list[str] = []
    page.on("request", lambda r: "/api/offline/customers?since=" in r.url and asked.append(r.url))

    page.clock.fast_forward("04:50")
    page.wait_for_timeout(300)  # a refresh due now would be on its way within this
    assert asked == [], "not before five minutes"
    with page.expect_response("**/api/offline/prices?since=*"):  # the last kind of a refresh
        page.clock.fast_forward("00:15")
    assert len(asked) == 1

    context.set_offline(True)
    page.locator("#customer-search").fill(f"ornitorinco {agent.name}")
    found = page.locator("#customer-results li[data-index]", has_text=code)
    expect(found).to_have_count(1)
