"""One agent never reaches another's data. Every route of the app, listed from the app itself
(its OpenAPI document and the routes it keeps out of it), has a row in ``ROUTES`` saying how it
is probed and what counts as isolated; a route without a row fails the suite.

Anna (agent A01) owns a draft and an open order-form session; Bruno (agent A02) probes every
route against them, once with an API token and once with a browser sign-in."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastapi.routing
import httpx
import pytest
from fastapi import FastAPI
from starlette.routing import Mount

from erpsync.settings import load_settings
from erpsync.web.app import create_app
from tests.e2e.live_app import Agent, LiveApp, coordination_log, live_app
from tests.integration.sign_in import draft_body, signed_in

#: Anna's things, named so that any answer carrying one is caught.
DRAFT_ID = "anna-isolation-draft-01"
NOTES = "anna-riservato-7f3a9c"
SESSION_ID = "anna-isolation-tab-01"
#: How long a probe waits for a live event before it gives up.
STREAM_WAIT_S = 5.0
#: The path parameters the probes know how to fill (see ``World.path_values``).
PATH_PARAMETERS = ("draft_id", "code", "type", "number")


@dataclass
class World:
    app: LiveApp
    anna: Agent
    bruno: Agent
    owner: httpx.Client
    draft: dict[str, Any]
    product_code: str

    def anna_draft(self) -> dict[str, Any]:
        answer = self.owner.get(f"/api/drafts/{DRAFT_ID}")
        assert answer.status_code == 200, answer.text
        draft: dict[str, Any] = answer.json()
        return draft

    def open_sessions(self) -> int:
        count: int = self.app.smart()["activeSessions"]
        return count

    def annas(self, kind: str) -> dict[str, Any]:
        """One of Anna's ERP orders, DDT or invoices (the newest with her agent code)."""
        path = {"orders": "/api/orders", "ddt": "/ddt", "invoices": "/invoices"}[kind]
        if kind != "orders":
            path = f"/api/customers/{self.annas_customer['code']}{path}"
        found: list[dict[str, Any]] = self.owner.get(path).json()[kind]
        assert found, f"Anna has no {kind} in the demo data"
        return found[0]

    @property
    def annas_customer(self) -> dict[str, Any]:
        """Anna's customer with the most documents: the one of her newest invoice."""
        invoices = self.owner.get("/api/orders", params={"limit": 100}).json()["orders"]
        code = next(o["customerCode"] for o in invoices if o["ddt"] and o["invoices"])
        card: dict[str, Any] = self.owner.get(f"/api/customers/{code}").json()["customer"]
        assert card["agentCode"] == "A01"
        return card

    def path_values(self) -> dict[str, str]:
        """What each path parameter is filled with: Anna's ids where a parameter names one."""
        values = {
            "draft_id": DRAFT_ID,
            "code": self.product_code,
            "type": "orders",
            "number": self.annas("orders")["number"],
        }
        assert set(values) == set(PATH_PARAMETERS)
        return values


Probe = Callable[[World, httpx.Client], None]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir: Path = tmp_path_factory.mktemp("isolation")
    # Anna's form stays open for the whole module: a lease and a safety timeout far away.
    with (
        coordination_log() as log,
        live_app(
            "isolation",
            data_dir,
            log,
            demo_users=False,
            session_lease_s=900,
            safety_timeout_s=1800,
        ) as app,
    ):
        app.api.post("/api/sync/all", json={"mode": "full"}).raise_for_status()
        app.wait_idle()
        anna, bruno = app.new_agent("A01"), app.new_agent("A02")
        owner = app.client(anna)
        body = draft_body(owner, DRAFT_ID, notes=NOTES)
        created = owner.post("/api/drafts", json=body)
        assert created.status_code == 201, created.text
        opened = owner.post("/api/customers/smart-sync", json={"session_id": SESSION_ID})
        assert opened.status_code == 200, opened.text
        yield World(
            app, anna, bruno, owner, created.json()["draft"], body["lines"][0]["product_code"]
        )


@pytest.fixture(params=["token", "cookie"])
def other(request: pytest.FixtureRequest, world: World) -> Iterator[httpx.Client]:
    """Bruno, with an API token or signed in like a browser."""
    if request.param == "token":
        client = world.app.client(world.bruno)
    else:
        client = signed_in(world.app, world.bruno)
    with closing(client):
        yield client


# -- what every probe checks ------------------------------------------------------------------


def assert_shows_nothing_of_annas(answer: httpx.Response, *, named: str = "") -> None:
    """No trace of Anna's draft or form session (the draft id only counts when the request did
    not name it itself)."""
    secrets = [NOTES, SESSION_ID] + ([] if DRAFT_ID in named else [DRAFT_ID])
    leaked = [s for s in secrets if s in answer.text]
    assert not leaked, f"{answer.request.method} {answer.request.url}: shows {leaked}"


def assert_draft_unchanged(w: World) -> None:
    assert w.anna_draft() == w.draft


def assert_session_still_open(w: World, sessions: int) -> None:
    ping = w.owner.post("/api/customers/heartbeat", json={"session_id": SESSION_ID})
    assert ping.status_code == 200, ping.text
    assert ping.json()["known"] is True, "Anna's form session was ended by someone else"
    assert w.open_sessions() == sessions


def bruno_change(b: httpx.Client) -> dict[str, Any]:
    body = draft_body(b, "bruno-unused-id")
    del body["id"]
    return body


# -- probes: drafts ---------------------------------------------------------------------------


def read_draft(w: World, b: httpx.Client) -> None:
    answer = b.get(f"/api/drafts/{DRAFT_ID}")
    assert answer.status_code == 404, answer.text
    assert_shows_nothing_of_annas(answer, named=DRAFT_ID)


def update_draft(w: World, b: httpx.Client) -> None:
    answer = b.put(f"/api/drafts/{DRAFT_ID}", json=bruno_change(b))
    assert answer.status_code == 404, answer.text
    assert_shows_nothing_of_annas(answer, named=DRAFT_ID)
    assert_draft_unchanged(w)


def delete_draft(w: World, b: httpx.Client) -> None:
    answer = b.delete(f"/api/drafts/{DRAFT_ID}")
    assert answer.status_code == 404, answer.text
    assert_draft_unchanged(w)


def list_drafts(w: World, b: httpx.Client) -> None:
    answer = b.get("/api/drafts")
    assert answer.status_code == 200
    assert DRAFT_ID not in [d["id"] for d in answer.json()["drafts"]]
    assert_shows_nothing_of_annas(answer)


def create_draft(w: World, b: httpx.Client) -> None:
    change = bruno_change(b)
    taken = b.post("/api/drafts", json={**change, "id": DRAFT_ID})
    assert taken.status_code == 409, taken.text
    assert_shows_nothing_of_annas(taken, named=DRAFT_ID)
    assert_draft_unchanged(w)
    own_id = f"bruno-{uuid.uuid4().hex[:12]}"
    annas_customer = {**change, "id": own_id, "customer_code": w.draft["customerCode"]}
    refused = b.post("/api/drafts", json=annas_customer)
    assert refused.status_code == 422, refused.text
    assert "not found" in refused.json()["error"]
    assert b.get(f"/api/drafts/{own_id}").status_code == 404


def assert_never_sent(w: World) -> None:
    assert w.owner.get(f"/api/drafts/{DRAFT_ID}").json()["submission"] is None


def send_draft(w: World, b: httpx.Client) -> None:
    answer = b.post(f"/api/drafts/{DRAFT_ID}/submit")
    assert answer.status_code == 404, answer.text
    assert_shows_nothing_of_annas(answer, named=DRAFT_ID)
    assert_never_sent(w)


def send_drafts(w: World, b: httpx.Client) -> None:
    own_id = f"bruno-{uuid.uuid4().hex[:12]}"
    assert b.post("/api/drafts", json=draft_body(b, own_id)).status_code == 201
    answer = b.post("/api/drafts/submit", json={"ids": [own_id, DRAFT_ID]})
    assert answer.status_code == 404, answer.text
    assert_shows_nothing_of_annas(answer, named=DRAFT_ID)
    assert_never_sent(w)
    assert b.get(f"/api/drafts/{own_id}").json()["submission"] is None, "all or nothing"


def not_a_draft(method: str) -> Probe:
    def probe(w: World, b: httpx.Client) -> None:
        answer = b.request(method, "/api/drafts/submit")
        assert answer.status_code == 405, answer.text
        assert answer.headers["allow"] == "POST"

    return probe


# -- probes: the order form's data ------------------------------------------------------------


def search_customers(w: World, b: httpx.Client) -> None:
    theirs = b.get("/api/customers", params={"limit": 50}).json()["customers"]
    assert theirs and {c["agentCode"] for c in theirs} == {"A02"}
    annas_code = w.draft["customerCode"]
    found = b.get("/api/customers", params={"q": annas_code}).json()["customers"]
    assert [c for c in found if c["agentCode"] != "A02"] == []
    assert annas_code not in [c["code"] for c in found]


def search_products(w: World, b: httpx.Client) -> None:
    params = {"limit": 50}
    assert b.get("/api/products", params=params).json() == (
        w.owner.get("/api/products", params=params).json()
    )


def product_prices(w: World, b: httpx.Client) -> None:
    path = f"/api/products/{w.product_code}/prices"
    answer = b.get(path)
    assert answer.status_code == 200
    assert answer.json() == w.owner.get(path).json()


def offline_customers(w: World, b: httpx.Client) -> None:
    annas = w.owner.get("/api/offline/customers").json()
    theirs = b.get("/api/offline/customers").json()
    agent = theirs["fields"].index("agent_code")
    assert theirs["rows"] and {row[agent] for row in theirs["rows"]} == {"A02"}
    assert w.draft["customerCode"] not in [row[0] for row in theirs["rows"]]
    # Anna's cursor is not Bruno's slice: he gets his own, whole.
    with_annas = b.get("/api/offline/customers", params={"since": annas["cursor"]}).json()
    assert with_annas["full"] is True and with_annas["rows"] == theirs["rows"]
    delta = b.get("/api/offline/customers", params={"since": theirs["cursor"]}).json()
    assert delta["full"] is False
    assert {row[agent] for row in delta["rows"]} <= {"A02"}
    annas_codes = {row[0] for row in annas["rows"]}
    assert not annas_codes & {*delta["deleted"], *(row[0] for row in delta["rows"])}


def offline_shared(kind: str) -> Probe:
    """Not per agent: Bruno's slice is Anna's, byte for byte but the time it was read."""

    def probe(w: World, b: httpx.Client) -> None:
        path = f"/api/offline/{kind}"
        answer = b.get(path)
        assert answer.status_code == 200, answer.text
        assert_shows_nothing_of_annas(answer)
        annas = w.owner.get(path)
        assert answer.headers["etag"] == annas.headers["etag"]
        assert answer.json()["rows"] == annas.json()["rows"]

    return probe


# -- probes: the agent's book ----------------------------------------------------------------


def assert_not_found_and_silent(answer: httpx.Response, *secrets: str) -> None:
    """404, as for a code that does not exist, and nothing of the record in the answer."""
    assert answer.status_code == 404, f"{answer.request.url}: {answer.status_code} {answer.text}"
    leaked = [s for s in secrets if s and s in answer.text]
    assert not leaked, f"{answer.request.url}: shows {leaked}"


def annas_card(part: str) -> Probe:
    def probe(w: World, b: httpx.Client) -> None:
        customer = w.annas_customer
        answer = b.get(f"/api/customers/{customer['code']}{part}")
        assert_not_found_and_silent(answer, customer["name"], customer["vatNumber"])
        theirs = b.get("/api/customers", params={"limit": 1}).json()["customers"][0]
        assert b.get(f"/api/customers/{theirs['code']}{part}").status_code == 200

    return probe


def annas_document(kind: str, path: str) -> Probe:
    def probe(w: World, b: httpx.Client) -> None:
        document = w.annas(kind)
        answer = b.get(path.format(number=document["number"]))
        assert_not_found_and_silent(answer, w.annas_customer["name"])
        assert w.owner.get(path.format(number=document["number"])).status_code == 200

    return probe


def list_orders(w: World, b: httpx.Client) -> None:
    theirs = b.get("/api/orders", params={"limit": 100}).json()["orders"]
    assert theirs, "Bruno has orders of his own in the demo data"
    annas = {
        o["number"] for o in w.owner.get("/api/orders", params={"limit": 100}).json()["orders"]
    }
    assert not annas & {o["number"] for o in theirs}
    own_customers = {
        c["code"] for c in b.get("/api/customers", params={"limit": 50}).json()["customers"]
    }
    assert {o["customerCode"] for o in theirs} & own_customers
    customer = w.annas_customer
    named = b.get("/api/orders", params={"customer": customer["code"]})
    assert_not_found_and_silent(named, customer["name"])


def book_page(path: str) -> Probe:
    """Bruno's page names none of Anna's customers; Anna's customer card is a 404 page."""

    def probe(w: World, b: httpx.Client) -> None:
        customer = w.annas_customer
        if "{code}" in path:
            answer = b.get(path.format(code=customer["code"]))
            assert_not_found_and_silent(answer, customer["name"], customer["vatNumber"])
            return
        answer = b.get(path, params={"q": customer["name"]} if path == "/customers" else {})
        assert answer.status_code == 200, answer.text
        # the list itself: the search box above it echoes q
        listed = answer.text.split('id="customer-list"' if path == "/customers" else 'id="orders"')[
            1
        ]
        assert customer["name"] not in listed
        assert customer["code"] not in listed
        assert_shows_nothing_of_annas(answer)

    return probe


def repeat_annas_order(w: World, b: httpx.Client) -> None:
    number = w.annas("orders")["number"]
    answer = b.get("/orders/new", params={"repeat": number})
    assert answer.status_code == 200
    assert '"prefillMissing": "order"' in answer.text
    assert w.annas_customer["name"] not in answer.text
    chosen = b.get("/orders/new", params={"customer": w.annas_customer["code"]})
    assert '"prefillMissing": "customer"' in chosen.text


def order_form_and_prefill(w: World, b: httpx.Client) -> None:
    order_form_page(w, b)
    repeat_annas_order(w, b)


# -- probes: order-form sessions --------------------------------------------------------------


def foreign_session(path: str, body: dict[str, Any]) -> Probe:
    """Bruno naming Anna's session id is refused and her session stays open."""

    def probe(w: World, b: httpx.Client) -> None:
        sessions = w.open_sessions()
        answer = b.post(path, json=body)
        assert answer.status_code == 403, answer.text
        assert "another user" in answer.json()["error"]
        assert_shows_nothing_of_annas(answer, named=SESSION_ID)
        assert_session_still_open(w, sessions)

    return probe


def resume_by_beacon(w: World, b: httpx.Client) -> None:
    foreign_session("/api/customers/resume-syncs", {"session_id": SESSION_ID})(w, b)
    sessions = w.open_sessions()
    beacon = b.post(
        "/api/customers/resume-syncs",
        content=f"session_id={SESSION_ID}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert beacon.status_code == 403, beacon.text
    assert_session_still_open(w, sessions)


class EventReader:
    """The events of one ``/api/sync/events`` stream, read as they come."""

    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.iter_lines()
        self.seen: list[tuple[str, str]] = []

    def next(self, action: str) -> dict[str, Any]:
        name, data = "", ""
        for line in self._lines:
            if line.startswith("event:"):
                name = line.removeprefix("event:").strip()
            elif line.startswith("data:"):
                data += line.removeprefix("data:").strip()
            elif not line and name:
                self.seen.append((name, data))
                if name == action:
                    parsed: dict[str, Any] = json.loads(data)
                    return parsed
                name, data = "", ""
        raise AssertionError(f"the stream ended before {action}")


def event_stream(w: World, b: httpx.Client) -> None:
    tab = f"anna-live-{uuid.uuid4().hex[:8]}"
    wait = httpx.Timeout(STREAM_WAIT_S)
    with (
        w.app.client(w.anna) as anna_stream,
        b.stream("GET", "/api/sync/events", timeout=wait) as theirs,
        anna_stream.stream("GET", "/api/sync/events", timeout=wait) as mine,
    ):
        bruno_sees, anna_sees = EventReader(theirs), EventReader(mine)
        bruno_sees.next("hello")
        anna_sees.next("hello")
        opened = w.owner.post("/api/customers/smart-sync", json={"session_id": tab})
        assert opened.status_code == 200, opened.text
        count = opened.json()["activeSessions"]
        theirs_opened = bruno_sees.next("session_opened")
        mine_opened = anna_sees.next("session_opened")
        closed = w.owner.post("/api/customers/resume-syncs", json={"session_id": tab})
        assert closed.json()["closed"] is True
        theirs_closed = bruno_sees.next("session_closed")
        mine_closed = anna_sees.next("session_closed")
    assert theirs_opened["sessions"] == count
    assert "session" not in theirs_opened and "owner" not in theirs_opened
    assert "session" not in theirs_closed
    assert mine_opened["session"] == tab and mine_closed["session"] == tab
    assert "owner" not in mine_opened
    leaked = [(n, d) for n, d in bruno_sees.seen if tab in d or SESSION_ID in d]
    assert not leaked, f"Bruno's stream names Anna's sessions: {leaked}"


# -- probes: admin tasks ----------------------------------------------------------------------


def change_schedule(w: World, b: httpx.Client) -> None:
    before = b.get("/api/sync/schedule").json()
    change = {"interval_minutes": 11, "offset_minutes": 1, "priority": 2}
    refused = b.put("/api/sync/schedule/orders", json=change)
    assert refused.status_code == 403, refused.text
    assert refused.json() == {"error": "only an admin may do this"}
    assert b.get("/api/sync/schedule").json()["types"] == before["types"]


def metrics(w: World, b: httpx.Client) -> None:
    refused = b.get("/metrics")
    assert refused.status_code == 403, refused.text
    assert "erpsync_" not in refused.text
    with w.app.client() as anonymous:
        assert anonymous.get("/metrics").status_code == 401
    with closing(signed_in(w.app, w.app.admin)) as admin_browser:
        for admin in (w.app.api, admin_browser):
            read = admin.get("/metrics")
            assert read.status_code == 200
            assert read.headers["content-type"].startswith("text/plain")
            assert "erpsync_form_sessions" in read.text


# -- probes: who is signed in, and the pages --------------------------------------------------


def me(w: World, b: httpx.Client) -> None:
    assert b.get("/api/me").json() == {
        "name": w.bruno.name,
        "role": "agent",
        "agentCode": "A02",
    }


def status(w: World, b: httpx.Client) -> None:
    answer = b.get("/api/sync/status")
    assert answer.status_code == 200
    assert answer.json()["smartSync"]["activeSessions"] == w.open_sessions() >= 1
    assert_shows_nothing_of_annas(answer)


def login_page(w: World, b: httpx.Client) -> None:
    answer = b.get("/login")
    assert answer.status_code == 303, "a signed-in user is sent on"
    assert_shows_nothing_of_annas(answer)


def login(w: World, b: httpx.Client) -> None:
    with closing(signed_in(w.app, w.anna)) as anna_browser:
        wrong = b.post("/login", data={"username": w.anna.name, "password": "not-hers"})
        assert wrong.status_code == 401
        assert b.get("/api/me").json()["name"] == w.bruno.name
        assert anna_browser.get("/api/me").json()["name"] == w.anna.name


def logout(w: World, b: httpx.Client) -> None:
    with closing(signed_in(w.app, w.anna)) as anna_browser:
        assert b.post("/logout").status_code == 303
        assert anna_browser.get("/api/me").json()["name"] == w.anna.name


def home(w: World, b: httpx.Client) -> None:
    answer = b.get("/")
    assert (answer.status_code, answer.headers["location"]) == (303, "/orders/new")


def order_form_page(w: World, b: httpx.Client) -> None:
    answer = b.get("/orders/new", params={"draft": DRAFT_ID})
    assert answer.status_code == 200
    assert_shows_nothing_of_annas(answer, named=DRAFT_ID)
    count = b.get("/api/drafts").json()["count"]
    assert f'"draftCount": {count}' in answer.text


def drafts_page(w: World, b: httpx.Client) -> None:
    answer = b.get("/drafts")
    assert answer.status_code == 200
    assert_shows_nothing_of_annas(answer)


def shared_read(path: str) -> Probe:
    """The same for every user: Bruno reads it, and it carries nothing of Anna's."""

    def probe(w: World, b: httpx.Client) -> None:
        answer = b.get(path)
        assert answer.status_code == 200, answer.text
        assert_shows_nothing_of_annas(answer)

    return probe


def shared_request(path: str) -> Probe:
    """Any signed-in user may ask for a sync; nothing in it names an agent."""

    def probe(w: World, b: httpx.Client) -> None:
        answer = b.post(path)
        assert answer.status_code == 202, answer.text
        assert_shows_nothing_of_annas(answer)

    return probe


@dataclass(frozen=True)
class Rule:
    """What another agent gets from a route (or why the route holds nothing per agent), and the
    probe that checks it."""

    isolated: str
    probe: Probe


SYNC_TYPES = ("orders", "customers", "ddt", "invoices", "prices", "products")
SESSION = {"session_id": SESSION_ID}

ROUTES: dict[tuple[str, str], Rule] = {
    # drafts: per agent
    ("GET", "/api/drafts/{draft_id}"): Rule("A's draft as B: 404", read_draft),
    ("PUT", "/api/drafts/{draft_id}"): Rule("404, A's draft unchanged", update_draft),
    ("DELETE", "/api/drafts/{draft_id}"): Rule("404, A's draft still there", delete_draft),
    ("GET", "/api/drafts"): Rule("B's list has none of A's drafts", list_drafts),
    ("POST", "/api/drafts"): Rule(
        "A's draft id: 409 and A's draft unchanged; A's customer: 422 not found", create_draft
    ),
    ("POST", "/api/drafts/{draft_id}/submit"): Rule("404, A's draft never sent", send_draft),
    ("POST", "/api/drafts/submit"): Rule(
        "with A's draft among B's: 404 and nothing sent", send_drafts
    ),
    **{
        (method, "/api/drafts/submit"): Rule("no draft is called submit: 405", not_a_draft(method))
        for method in ("GET", "PUT", "PATCH", "DELETE")
    },
    # the order form's data
    ("GET", "/api/customers"): Rule(
        "only B's agent code, also when searching A's customer code", search_customers
    ),
    ("GET", "/api/products"): Rule("not per agent: the same catalogue for all", search_products),
    ("GET", "/api/products/{code}/prices"): Rule(
        "not per agent: the same prices for all", product_prices
    ),
    # the device's offline slice
    ("GET", "/api/offline/customers"): Rule(
        "only B's customers, whole or as a delta (rows and deletions); A's cursor gets B's "
        "own whole slice",
        offline_customers,
    ),
    ("GET", "/api/offline/products"): Rule(
        "not per agent: the same slice (and ETag) for all", offline_shared("products")
    ),
    ("GET", "/api/offline/prices"): Rule(
        "not per agent: the same slice (and ETag) for all", offline_shared("prices")
    ),
    # the agent's book: another agent's customer or document is a 404, as if there were none
    ("GET", "/api/customers/{code}"): Rule("A's customer as B: 404", annas_card("")),
    ("GET", "/api/customers/{code}/orders"): Rule(
        "A's customer's orders as B: 404", annas_card("/orders")
    ),
    ("GET", "/api/customers/{code}/ddt"): Rule("A's customer's DDT as B: 404", annas_card("/ddt")),
    ("GET", "/api/customers/{code}/invoices"): Rule(
        "A's customer's invoices as B: 404", annas_card("/invoices")
    ),
    ("GET", "/api/orders"): Rule("only B's orders; filtering by A's customer: 404", list_orders),
    ("GET", "/api/orders/{number}"): Rule(
        "A's order as B: 404", annas_document("orders", "/api/orders/{number}")
    ),
    ("GET", "/api/ddt/{number}"): Rule(
        "A's DDT as B: 404", annas_document("ddt", "/api/ddt/{number}")
    ),
    ("GET", "/api/invoices/{number}"): Rule(
        "A's invoice as B: 404", annas_document("invoices", "/api/invoices/{number}")
    ),
    ("GET", "/customers"): Rule("B's list names none of A's customers", book_page("/customers")),
    ("GET", "/customers/{code}"): Rule(
        "A's customer's card as B: 404", book_page("/customers/{code}")
    ),
    ("GET", "/orders"): Rule("B's orders page names none of A's", book_page("/orders")),
    # order-form sessions: each belongs to the user who opened it
    ("POST", "/api/customers/smart-sync"): Rule(
        "A's session id as B: 403, A's session still open",
        foreign_session("/api/customers/smart-sync", SESSION),
    ),
    ("POST", "/api/customers/heartbeat"): Rule(
        "A's session id as B: 403, A's session still open",
        foreign_session("/api/customers/heartbeat", {**SESSION, "active": True}),
    ),
    ("POST", "/api/customers/resume-syncs"): Rule(
        "A's session id as B (JSON or beacon form): 403, A's session still open",
        resume_by_beacon,
    ),
    ("GET", "/api/sync/events"): Rule(
        "B sees A's form as a count, never its id; A's own stream names it", event_stream
    ),
    # admin tasks
    ("PUT", "/api/sync/schedule/{type}"): Rule(
        "an agent: 403, the schedule unchanged", change_schedule
    ),
    ("GET", "/metrics"): Rule("an agent: 403; nobody: 401; the admin: 200 text", metrics),
    # shared state of the deployment, with counts only
    ("GET", "/api/me"): Rule("B is told B, never anyone else", me),
    ("GET", "/api/sync/status"): Rule("not per agent: open forms as a count only", status),
    ("GET", "/api/sync/runs"): Rule("not per agent: the sync runs", shared_read("/api/sync/runs")),
    ("GET", "/api/sync/schedule"): Rule(
        "not per agent: the schedule", shared_read("/api/sync/schedule")
    ),
    ("POST", "/api/sync/all"): Rule(
        "not per agent: any user may ask for syncs", shared_request("/api/sync/all")
    ),
    **{
        ("POST", f"/api/sync/{t}"): Rule(
            "not per agent: any user may ask for a sync", shared_request(f"/api/sync/{t}")
        )
        for t in SYNC_TYPES
    },
    ("GET", "/healthz"): Rule("not per agent: the liveness probe", shared_read("/healthz")),
    ("GET", "/sw.js"): Rule("not per agent: the app's service worker", shared_read("/sw.js")),
    ("GET", "/manifest.webmanifest"): Rule(
        "not per agent: the installable app's manifest", shared_read("/manifest.webmanifest")
    ),
    # signing in and out
    ("GET", "/login"): Rule("a signed-in user is sent on; nothing of anyone", login_page),
    ("POST", "/login"): Rule(
        "B failing A's password signs nobody in or out: B stays B, A stays signed in", login
    ),
    ("POST", "/logout"): Rule("B signing out ends B's sign-in, never A's", logout),
    # pages
    ("GET", "/"): Rule("not per agent: a redirect to the agent's form", home),
    ("GET", "/orders/new"): Rule(
        "?draft= naming A's draft shows nothing of it; the count is B's; ?repeat= A's order "
        "and ?customer= A's customer: not found",
        order_form_and_prefill,
    ),
    ("GET", "/drafts"): Rule("B's page lists none of A's drafts", drafts_page),
    ("GET", "/sync"): Rule("not per agent: the dashboard", shared_read("/sync")),
    ("GET", "/static"): Rule("not per agent: the app's files", shared_read("/static/app.css")),
    ("GET", "/openapi.json"): Rule("not per agent: the API document", shared_read("/openapi.json")),
    ("GET", "/docs"): Rule("not per agent: the API browser", shared_read("/docs")),
    ("GET", "/docs/oauth2-redirect"): Rule(
        "not per agent: part of the API browser", shared_read("/docs/oauth2-redirect")
    ),
    ("GET", "/redoc"): Rule("not per agent: the API reference", shared_read("/redoc")),
}


# -- the table covers the app -----------------------------------------------------------------


@pytest.fixture(scope="module")
def fresh_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The app as built, not started: only its routes and OpenAPI document are read."""
    data_dir = tmp_path_factory.mktemp("routes")
    settings = load_settings(
        database_url=f"sqlite:///{data_dir}/erpsync.db",
        data_dir=data_dir,
        scheduler=False,
        demo_erp_ticker_s=None,
    )
    return create_app(settings)


def documented_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }


def flat_routes(app: FastAPI) -> list[Any]:
    """The app's routes with included routers opened up (FastAPI releases that keep them
    nested list them through ``iter_route_contexts``)."""
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    return list(flatten(app.routes)) if flatten else list(app.routes)


def routed_operations(app: FastAPI) -> set[tuple[str, str]]:
    """Every method and path the app answers, those left out of its document included."""
    found: set[tuple[str, str]] = set()
    for route in flat_routes(app):
        path: str = getattr(route, "path", "")
        if isinstance(getattr(route, "original_route", route), Mount):
            found.add(("GET", path))
            continue
        methods: set[str] = getattr(route, "methods", None) or set()
        found |= {(m, path) for m in methods if m != "HEAD"}
    return found


def path_parameters(document: dict[str, Any]) -> set[str]:
    return {
        parameter["name"]
        for operations in document["paths"].values()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path"
    }


def test_every_documented_route_has_an_isolation_rule(fresh_app: FastAPI) -> None:
    missing = sorted(documented_operations(fresh_app.openapi()) - set(ROUTES))
    assert not missing, f"routes no isolation probe covers, add them to ROUTES: {missing}"


def test_every_route_the_app_answers_has_an_isolation_rule(fresh_app: FastAPI) -> None:
    routed = routed_operations(fresh_app)
    missing = sorted(routed - set(ROUTES))
    assert not missing, f"routes no isolation probe covers, add them to ROUTES: {missing}"
    stale = sorted(set(ROUTES) - routed)
    assert not stale, f"ROUTES names routes the app no longer has: {stale}"


def test_every_path_parameter_has_a_value_to_probe_with(fresh_app: FastAPI) -> None:
    unknown = sorted(path_parameters(fresh_app.openapi()) - set(PATH_PARAMETERS))
    assert not unknown, f"path parameters the probes do not fill: {unknown}"


# -- the probes -------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", sorted(ROUTES), ids=[f"{m} {p}" for m, p in sorted(ROUTES)])
def test_another_agent_gets_nothing_that_is_not_theirs(
    world: World, other: httpx.Client, operation: tuple[str, str]
) -> None:
    ROUTES[operation].probe(world, other)


def test_no_documented_read_shows_another_agent_anything_of_annas(
    world: World, other: httpx.Client
) -> None:
    document = world.app.api.get("/openapi.json").json()
    values = world.path_values()
    read = 0
    for path, operations in document["paths"].items():
        get = operations.get("get")
        if get is None or "text/event-stream" in get["responses"]["200"].get("content", {}):
            continue  # the live stream has a probe of its own
        url = path.format(**values)
        answer = other.get(url)
        assert answer.status_code < 500, (url, answer.text)
        assert_shows_nothing_of_annas(answer, named=url)
        read += 1
    assert read >= 10


def test_annas_own_requests_still_reach_her_draft_and_session(world: World) -> None:
    assert world.anna_draft()["notes"] == NOTES
    assert_session_still_open(world, world.open_sessions())


def test_an_agent_without_an_agent_code_sees_no_customers_rather_than_all(world: World) -> None:
    accounts = world.app.services.accounts
    accounts.add_user("agent-without-code", "pw-agent-without-code")
    token = accounts.issue_token("agent-without-code")
    with world.app.client(Authorization=f"Bearer {token}") as nobody:
        assert nobody.get("/api/customers", params={"limit": 50}).json() == {"customers": []}
        assert nobody.get("/api/drafts").json()["count"] == 0
