"""SPEC scenario 18, over real HTTP: the first start of erpsync on an empty database, with the
demo ERP, hydrates every type at once; the order form finds products and prices; the schedule's
next runs stay on the grid of SPEC §1."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from erpsync.domain.types import DEFAULT_SCHEDULE, SyncType
from erpsync.services.events import EventBus, format_fields
from erpsync.settings import load_settings
from erpsync.web.app import create_app
from tests.integration.conftest import TOKEN, VOLUMES, DemoErp
from tests.support import serve_in_thread

#: Far more than the hydration of the test volumes takes (well under a second).
HYDRATION_DEADLINE_S = 30.0
BY_PRIORITY = [
    SyncType.ORDERS,
    SyncType.CUSTOMERS,
    SyncType.DDT,
    SyncType.INVOICES,
    SyncType.PRICES,
    SyncType.PRODUCTS,
]


@dataclass
class FirstStart:
    url: str
    agent: dict[str, str]
    events: EventBus

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.agent, timeout=30)

    def hydrated(self) -> dict[str, Any]:
        """The status once the hydration has ended, polled for a bounded time."""
        with self.client() as client:
            deadline = time.monotonic() + HYDRATION_DEADLINE_S
            while time.monotonic() < deadline:
                status: dict[str, Any] = client.get("/api/sync/status").json()
                hydration = status["hydration"]
                assert hydration is not None, "an empty mirror is hydrated"
                if not hydration["active"]:
                    return status
                time.sleep(0.02)
        raise AssertionError(f"the hydration did not end within {HYDRATION_DEADLINE_S} s")


@contextmanager
def started(demo_erp: DemoErp, data_dir: Path, agent: str) -> Iterator[FirstStart]:
    """erpsync as installed: the scheduler on (so it hydrates), SQLite in ``data_dir``."""
    settings = load_settings(
        database_url=f"sqlite:///{data_dir}/erpsync.db",
        erp_url=demo_erp.url,
        erp_token=TOKEN,
        demo_users=False,
        data_dir=str(data_dir),
    )
    application = create_app(settings)
    with serve_in_thread(application) as url:
        accounts = application.state.services.accounts
        accounts.add_user(agent, "password-agente-1", agent_code="A01")
        token = accounts.issue_token(agent)
        yield FirstStart(
            url, {"Authorization": f"Bearer {token}"}, application.state.services.events
        )


@pytest.fixture
def first_start(demo_erp: DemoErp, tmp_path: Path) -> Iterator[FirstStart]:
    """The first start, on an empty database."""
    with started(demo_erp, tmp_path, "agente") as app:
        yield app


def test_an_empty_database_is_hydrated_at_once_and_the_form_finds_products_and_prices(
    first_start: FirstStart, demo_erp: DemoErp
) -> None:
    status = first_start.hydrated()

    hydration = status["hydration"]
    assert (hydration["done"], hydration["total"]) == (6, 6)
    assert [t["type"] for t in hydration["types"]] == [t.value for t in BY_PRIORITY]
    assert {t["state"] for t in hydration["types"]} == {"done"}
    for entry in status["types"]:
        run = entry["lastRun"]
        assert (run["trigger"], run["mode"], run["status"]) == ("hydration", "full", "completed")
        assert run["counts"]["inserted"] == VOLUMES.of(SyncType(entry["type"]))
    assert demo_erp.stats()["overlaps"] == 0, "one at a time"

    with first_start.client() as form:
        assert form.get("/api/customers", params={"q": ""}).json()["customers"]
        products = form.get("/api/products", params={"limit": 50}).json()["products"]
        assert len(products) == VOLUMES.products
        priced = [
            prices
            for p in products
            if (prices := form.get(f"/api/products/{p['code']}/prices").json())["proposed"]
        ]
        assert priced, "the form proposes a price for the products on the price list"
        schedule = form.get("/api/sync/schedule").json()

    anchor = datetime.fromisoformat(schedule["anchor"])
    on_the_grid = {
        t.value: anchor + (DEFAULT_SCHEDULE[t].offset or DEFAULT_SCHEDULE[t].interval)
        for t in SyncType
    }
    assert {t["type"]: datetime.fromisoformat(t["nextRun"]) for t in schedule["types"]} == (
        on_the_grid
    ), "the hydration shifted no tick: orders at T+10 min (T+0 merged), customers at T+5…"
    assert on_the_grid["products"] - anchor == timedelta(minutes=30)

    # The steps as logged, from the bus itself: the log capture changes hands between the
    # test's setup, when the hydration began, and its call, and a line logged meanwhile is lost.
    lines = [
        f"action={e.action.value} {format_fields(e.fields)}" for e in first_start.events.recent
    ]
    assert "action=hydration_started types=orders,customers,ddt,invoices,prices,products" in lines
    assert any(line.startswith("action=hydration_completed done=6 total=6") for line in lines)


def test_the_next_start_on_the_same_database_hydrates_nothing(
    demo_erp: DemoErp, tmp_path: Path
) -> None:
    with started(demo_erp, tmp_path, "agente") as first:
        first.hydrated()
    with started(demo_erp, tmp_path, "agente2") as second, second.client() as client:
        status = client.get("/api/sync/status").json()
    assert status["orchestrator"]["holdsRole"] is True
    assert status["hydration"] is None
    assert "hydration" not in {q["trigger"] for q in status["queue"]}
