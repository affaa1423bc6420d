"""The web app over real HTTP: sign-in, cookies and tokens, the origin check, the drafts and
data APIs, languages. (The browser tests in ``tests/e2e`` drive the same app in Chromium.)"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from erpsync.web.app import SESSION_COOKIE
from tests.e2e.live_app import Agent, LiveApp, coordination_log, live_app

AGENT_PASSWORD = "pw-http-agent"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    data_dir: Path = tmp_path_factory.mktemp("web-http")
    with coordination_log() as log, live_app("http", data_dir, log, demo_users=False) as running:
        running.api.post("/api/sync/all", json={"mode": "full"}).raise_for_status()
        running.wait_idle()
        yield running


@pytest.fixture(scope="module")
def anna(app: LiveApp) -> Agent:
    return app.new_agent("A01")


@pytest.fixture(scope="module")
def bruno(app: LiveApp) -> Agent:
    return app.new_agent("A02")


def _signed_in(app: LiveApp, who: Agent, **headers: str) -> httpx.Client:
    client = app.client(**headers)
    answer = client.post(
        "/login", data={"username": who.name, "password": who.password}, headers={"Origin": app.url}
    )
    assert answer.status_code == 303
    return client


def _draft_body(app: LiveApp, who: Agent, draft_id: str, qty: int = 1) -> dict[str, Any]:
    with app.client(who) as api:
        customer = api.get("/api/customers", params={"limit": 1}).json()["customers"][0]
        products = api.get("/api/products", params={"limit": 50}).json()["products"]
    product = next(p for p in products if p["minQty"] == 1 and p["multipleQty"] == 1)
    return {
        "id": draft_id,
        "customer_code": customer["code"],
        "lines": [{"product_code": product["code"], "qty": qty, "unit_price": "12.50"}],
    }


# -- sign-in ----------------------------------------------------------------------------------


def _fill(path: str) -> str:
    return (
        path.replace("{type}", "orders")
        .replace("{draft_id}", "draft-0001")
        .replace("{code}", "P00001")
    )


def test_every_api_route_but_the_probe_needs_a_signed_in_user(app: LiveApp) -> None:
    schema = app.api.get("/openapi.json").json()
    anonymous = app.client(Origin=app.url)
    checked = []
    for path, operations in schema["paths"].items():
        for method in operations:
            answer = anonymous.request(method.upper(), _fill(path), json={})
            expected = 200 if path == "/healthz" else 401
            assert answer.status_code == expected, (method, path, answer.text)
            checked.append(path)
    assert {"/api/drafts", "/api/customers", "/api/sync/status", "/api/me"} <= set(checked)
    assert anonymous.get("/openapi.json").status_code == 401


@pytest.mark.parametrize("path", ["/", "/orders/new?draft=abc12345", "/drafts", "/sync", "/docs"])
def test_pages_send_the_anonymous_to_the_login(app: LiveApp, path: str) -> None:
    answer = app.client().get(path)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=%2F")


def test_signing_in_sets_a_signed_http_only_same_site_cookie(app: LiveApp, anna: Agent) -> None:
    client = app.client(Origin=app.url)
    page = client.get("/login", params={"next": "/drafts"})
    assert page.status_code == 200 and 'name="next" value="/drafts"' in page.text
    answer = client.post(
        "/login", data={"username": anna.name, "password": anna.password, "next": "/drafts"}
    )
    assert (answer.status_code, answer.headers["location"]) == (303, "/drafts")
    cookie = answer.headers["set-cookie"].lower()
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert {"httponly", "samesite=lax", "path=/"} <= {p.strip() for p in cookie.split(";")}
    me = client.get("/api/me").json()
    assert me == {"name": anna.name, "role": "agent", "agentCode": "A01"}
    assert client.get("/login").status_code == 303  # already signed in

    client.post("/logout")
    assert client.get("/api/me").status_code == 401


def test_a_tampered_cookie_is_no_sign_in(app: LiveApp, anna: Agent) -> None:
    client = _signed_in(app, anna)
    value = client.cookies[SESSION_COOKIE]
    forged = httpx.Client(
        base_url=app.url, cookies={SESSION_COOKIE: "eyJ1aWQiOiAxfQ==" + value[16:]}
    )
    assert forged.get("/api/me").status_code == 401
    forged.close()


def test_a_wrong_password_is_refused_and_repeated_failures_are_throttled(app: LiveApp) -> None:
    victim = app.new_agent("A03")
    client = app.client(Origin=app.url)
    for _ in range(5):
        wrong = client.post("/login", data={"username": victim.name, "password": "nope"})
        assert wrong.status_code == 401
        assert "Nome utente o password errati." in wrong.text
    locked = client.post("/login", data={"username": victim.name, "password": victim.password})
    assert locked.status_code == 429
    assert "Troppi tentativi" in locked.text


def test_an_api_token_signs_in_a_script_and_a_bad_one_is_401(app: LiveApp, anna: Agent) -> None:
    assert app.client(anna).get("/api/me").json()["name"] == anna.name
    bad = app.client(Authorization="Bearer esk_not-a-token").get("/api/me")
    assert bad.status_code == 401
    assert bad.headers["www-authenticate"].startswith("Bearer")


def test_a_bad_token_is_not_rescued_by_a_good_cookie(app: LiveApp, anna: Agent) -> None:
    client = _signed_in(app, anna)
    assert client.get("/api/me", headers={"Authorization": "Bearer esk_wrong"}).status_code == 401


# -- the origin check -------------------------------------------------------------------------


def test_a_cookie_request_that_changes_state_must_come_from_this_origin(
    app: LiveApp, anna: Agent
) -> None:
    client = _signed_in(app, anna)
    assert client.post("/api/sync/ddt").status_code == 403
    evil = client.post("/api/sync/ddt", headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403
    assert evil.json() == {"error": "cross-site request refused: the Origin is not this site"}
    assert client.post("/api/sync/ddt", headers={"Origin": app.url}).status_code == 202
    assert client.post("/api/sync/ddt", headers={"Referer": f"{app.url}/sync"}).status_code == 202
    assert client.get("/api/sync/status").status_code == 200
    app.wait_idle()


def test_the_unload_beacon_passes_the_origin_check(app: LiveApp, anna: Agent) -> None:
    client = _signed_in(app, anna, Origin=app.url)
    opened = client.post("/api/customers/smart-sync", json={"session_id": "beacon-tab-0001"})
    assert opened.json()["activeSessions"] == 1
    beacon = client.post(
        "/api/customers/resume-syncs",
        content="session_id=beacon-tab-0001",
        headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"},
    )
    assert beacon.status_code == 200
    assert beacon.json()["closed"] is True
    assert app.smart()["activeSessions"] == 0
    text_beacon = client.post(
        "/api/customers/resume-syncs",
        content=json.dumps({"session_id": "beacon-tab-0001"}),
        headers={"Content-Type": "text/plain;charset=UTF-8"},
    )
    assert text_beacon.json()["closed"] is False


def test_requests_with_a_bearer_token_need_no_origin(app: LiveApp) -> None:
    assert app.api.post("/api/sync/invoices").status_code == 202
    app.wait_idle()


# -- rights -----------------------------------------------------------------------------------


def test_only_an_admin_changes_the_schedule(app: LiveApp, anna: Agent) -> None:
    change = {"interval_minutes": 40, "offset_minutes": 15, "priority": 3}
    client = _signed_in(app, anna, Origin=app.url)
    refused = client.put("/api/sync/schedule/invoices", json=change)
    assert refused.status_code == 403
    assert refused.json() == {"error": "only an admin may do this"}
    try:
        assert app.api.put("/api/sync/schedule/invoices", json=change).status_code == 200
    finally:
        app.api.put(
            "/api/sync/schedule/invoices", json={**change, "interval_minutes": 30}
        ).raise_for_status()


# -- drafts -----------------------------------------------------------------------------------


def test_creating_a_draft_twice_with_one_id_makes_one_draft(app: LiveApp) -> None:
    carla = app.new_agent("A01")
    body = _draft_body(app, carla, "4f1c2b7e-0c1d-4a5b-9f3e-2d6c8b1a0e97")
    with app.client(carla) as api:
        first = api.post("/api/drafts", json=body)
        second = api.post("/api/drafts", json={**body, "notes": "double click"})
        assert (first.status_code, second.status_code) == (201, 200)
        assert first.json()["created"] is True and second.json()["created"] is False
        assert second.json()["draft"] == first.json()["draft"]
        assert second.json()["draftCount"] == 1
        listed = api.get("/api/drafts").json()
    assert listed["count"] == 1
    draft = listed["drafts"][0]
    assert draft["lines"][0]["unitPrice"] == "12.50"
    assert draft["totals"]["net"] == "12.50"


def test_an_agent_never_reaches_another_agents_draft(
    app: LiveApp, anna: Agent, bruno: Agent
) -> None:
    body = _draft_body(app, anna, "anna-private-1")
    with app.client(anna) as owner, app.client(bruno) as other:
        assert owner.post("/api/drafts", json=body).status_code == 201
        change = {k: v for k, v in _draft_body(app, bruno, "x" * 8).items() if k != "id"}
        assert other.get("/api/drafts/anna-private-1").status_code == 404
        assert other.put("/api/drafts/anna-private-1", json=change).status_code == 404
        assert other.delete("/api/drafts/anna-private-1").status_code == 404
        taken = other.post("/api/drafts", json={**change, "id": "anna-private-1"})
        assert taken.status_code == 409
        assert all(d["id"] != "anna-private-1" for d in other.get("/api/drafts").json()["drafts"])
        assert owner.get("/api/drafts/anna-private-1").status_code == 200


def test_drafts_are_updated_and_deleted_by_their_owner(app: LiveApp) -> None:
    dario = app.new_agent("A01")
    body = _draft_body(app, dario, "dario-draft-1")
    with app.client(dario) as api:
        api.post("/api/drafts", json=body).raise_for_status()
        changed = {**body, "notes": "urgente", "lines": [{**body["lines"][0], "qty": 3}]}
        del changed["id"]
        updated = api.put("/api/drafts/dario-draft-1", json=changed).json()
        assert updated["draft"]["notes"] == "urgente"
        assert updated["draft"]["totals"]["net"] == "37.50"
        assert api.delete("/api/drafts/dario-draft-1").json() == {
            "deleted": "dario-draft-1",
            "draftCount": 0,
        }
        assert api.get("/api/drafts/dario-draft-1").status_code == 404


def test_a_change_from_an_older_revision_is_409_with_the_current_draft(app: LiveApp) -> None:
    erica = app.new_agent("A01")
    body = _draft_body(app, erica, "erica-draft-1")
    change = {k: v for k, v in body.items() if k != "id"}
    with app.client(erica) as phone, app.client(erica) as laptop:
        created = phone.post("/api/drafts", json=body).json()["draft"]
        assert created["revision"] == 1
        saved = phone.put(
            "/api/drafts/erica-draft-1",
            json={**change, "notes": "dal telefono", "base_revision": 1},
        )
        assert saved.status_code == 200 and saved.json()["draft"]["revision"] == 2
        stale = laptop.put(
            "/api/drafts/erica-draft-1",
            json={**change, "notes": "dal portatile", "base_revision": 1},
        )
        assert stale.status_code == 409
        assert "revision" in stale.json()["error"]
        assert stale.json()["current"]["notes"] == "dal telefono"
        assert stale.json()["current"]["revision"] == 2
        assert laptop.get("/api/drafts/erica-draft-1").json()["notes"] == "dal telefono"
        # Without base_revision the order form saves as it always did.
        plain = laptop.put("/api/drafts/erica-draft-1", json={**change, "notes": "ultima"})
        assert plain.status_code == 200 and plain.json()["draft"]["revision"] == 3


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"customer_code": "C999999"}, 422, "customer 'C999999' not found"),
        ({"lines": []}, 422, "lines"),
        ({"lines": [{"product_code": "P00001", "qty": 0, "unit_price": "1"}]}, 422, "qty"),
        ({"lines": [{"product_code": "P00001", "qty": 1, "unit_price": "1.001"}]}, 422, "decimal"),
        ({"lines": [{"product_code": "NOPE", "qty": 1, "unit_price": "1"}]}, 422, "not found"),
        ({"id": "bad id!"}, 422, "id"),
    ],
)
def test_bad_drafts_are_refused_with_a_clear_message(
    app: LiveApp, anna: Agent, change: dict[str, Any], status: int, words: str
) -> None:
    body = {**_draft_body(app, anna, uuid.uuid4().hex), **change}
    with app.client(anna) as api:
        answer = api.post("/api/drafts", json=body)
    assert answer.status_code == status
    assert words in answer.json()["error"]


# -- the order form's data --------------------------------------------------------------------


def test_an_agent_searches_only_their_customers_an_admin_all(
    app: LiveApp, anna: Agent, bruno: Agent
) -> None:
    with app.client(anna) as a, app.client(bruno) as b:
        mine = a.get("/api/customers", params={"limit": 50}).json()["customers"]
        theirs = b.get("/api/customers", params={"limit": 50}).json()["customers"]
    everyone = app.api.get("/api/customers", params={"limit": 50}).json()["customers"]
    assert {c["agentCode"] for c in mine} == {"A01"}
    assert {c["agentCode"] for c in theirs} == {"A02"}
    assert len({c["agentCode"] for c in everyone}) > 1
    word = mine[0]["name"].split()[0]
    with app.client(anna) as a:
        found = a.get("/api/customers", params={"q": word.upper()}).json()["customers"]
        assert found and all(word.lower() in c["name"].lower() for c in found)
        assert a.get("/api/customers", params={"limit": 500}).status_code == 422


def test_products_and_their_prices(app: LiveApp, anna: Agent) -> None:
    with app.client(anna) as api:
        product = api.get("/api/products", params={"q": "P00001"}).json()["products"][0]
        assert product["code"] == "P00001"
        assert {"packageSize", "minQty", "multipleQty", "vatRate"} <= set(product)
        prices = api.get("/api/products/P00001/prices").json()
        assert prices["product"] == product
        assert prices["proposed"]["listCode"] == "L01"
        assert prices["proposed"] in prices["prices"]
        assert api.get("/api/products/NOPE/prices").status_code == 404


# -- pages ------------------------------------------------------------------------------------


def test_pages_speak_italian_unless_english_is_asked_for(app: LiveApp, anna: Agent) -> None:
    client = _signed_in(app, anna)
    assert "<h1>Sincronizzazione</h1>" in client.get("/sync").text
    english_browser = client.get("/sync", headers={"Accept-Language": "en-GB"})
    assert "<h1>Sincronizzazione</h1>" in english_browser.text
    chosen = client.get("/drafts", params={"lang": "en"})
    assert 'lang="en"' in chosen.text
    assert client.cookies["lang"] == "en"
    assert 'lang="en"' in client.get("/orders/new").text


def test_pages_carry_strict_security_headers(app: LiveApp, anna: Agent) -> None:
    page = _signed_in(app, anna).get("/orders/new")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    assert '"heartbeatS": 15.0' in page.text
