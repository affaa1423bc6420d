"""Data the browser tests pick from the running app, through its API."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from playwright.sync_api import Page, Route

from tests.e2e.live_app import POLL_S, Agent, LiveApp


def customers_of(app: LiveApp, who: Agent, count: int = 5) -> list[dict[str, Any]]:
    with app.client(who) as api:
        found: list[dict[str, Any]] = api.get("/api/customers", params={"limit": count}).json()[
            "customers"
        ]
    assert len(found) == count, "the agent should see some customers"
    return found


def products(app: LiveApp, who: Agent, *, multiple: bool = False) -> list[dict[str, Any]]:
    """Products sold by the piece, or (``multiple``) only in steps of more than one."""
    with app.client(who) as api:
        found: list[dict[str, Any]] = api.get("/api/products", params={"limit": 50}).json()[
            "products"
        ]
    chosen = [
        p
        for p in found
        if (p["multipleQty"] > 1 if multiple else p["minQty"] == 1 and p["multipleQty"] == 1)
    ]
    assert chosen, "the catalogue should hold such products"
    return chosen


def make_draft(app: LiveApp, who: Agent, draft_id: str) -> dict[str, Any]:
    """A draft saved through the API (as from another device), at the list price."""
    customer = customers_of(app, who, 1)[0]
    product = products(app, who)[0]
    with app.client(who) as api:
        proposed = api.get(f"/api/products/{product['code']}/prices").json()["proposed"]
        price = proposed["unitPrice"] if proposed else "10.00"
        body = {
            "id": draft_id,
            "customer_code": customer["code"],
            "lines": [{"product_code": product["code"], "qty": 1, "unit_price": price}],
        }
        answer = api.post("/api/drafts", json=body)
    assert answer.status_code == 201, answer.text
    saved: dict[str, Any] = answer.json()["draft"]
    return saved


def erp_admin(app: LiveApp) -> httpx.Client:
    return httpx.Client(
        base_url=app.erp_url, headers={"Authorization": "Bearer demo-token"}, timeout=10
    )


def new_erp_customer(app: LiveApp, who: Agent, prefix: str, word: str, city: str) -> str:
    """A customer of ``who``'s agent code A01 created in the ERP (not mirrored yet), named
    "Ferramenta <word> <agent>"; its code."""
    code = f"{prefix}{who.name.upper().replace('-', '')}"[:32]
    name = f"Ferramenta {word} {who.name}"
    with erp_admin(app) as erp:
        created = erp.post(
            "/admin/customers",
            json={"code": code, "name": name, "agent_code": "A01", "city": city},
        )
    assert created.status_code == 201, created.text
    return code


@contextmanager
def other_site_page() -> Iterator[str]:
    """A plain page served from another loopback port: another origin on the same site."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<!doctype html><title>elsewhere</title><p>elsewhere</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def eventually(page: Page, check: Callable[[], Any], what: str, timeout_s: float = 10.0) -> Any:
    """Poll ``check`` (boundedly) while the page goes on: Playwright runs route handlers and
    events only inside its own calls, so the pause between polls is one of them."""
    for _ in range(int(timeout_s / POLL_S)):
        found = check()
        if found:
            return found
        page.wait_for_timeout(POLL_S * 1000)
    raise AssertionError(f"gave up after {timeout_s} s waiting for {what}")


class HeldScript:
    """A script of the page held back until :meth:`release`: the page shows, and can be typed
    in, before its script is ready, as on a slow phone."""

    def __init__(self, page: Page, name: str) -> None:
        self._held: list[Route] = []
        self._released = False
        page.route(re.compile(rf"/static/{re.escape(name)}$"), self._route)

    def _route(self, route: Route) -> None:
        if self._released:
            route.continue_()
        else:
            self._held.append(route)

    def release(self) -> None:
        self._released = True  # one asked after this goes at once
        for route in self._held:
            route.continue_()
