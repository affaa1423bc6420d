"""The sync API over real HTTP: the app and the demo ERP each on a loopback port."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from erpsync.services.events import EventBus
from erpsync.settings import load_settings
from erpsync.web.app import create_app
from tests.support import free_port, serve_in_thread


@dataclass
class Running:
    url: str
    erp_url: str
    agent: dict[str, str]
    admin: dict[str, str]
    erp: dict[str, str]
    events: EventBus

    def client(self, headers: dict[str, str]) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def wait_idle(self, headers: dict[str, str]) -> dict[str, Any]:
        """Poll the status until no sync runs and nothing eligible waits (bounded)."""
        with self.client(headers) as client:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                status: dict[str, Any] = client.get("/api/sync/status").json()
                if status["current"] is None and not [
                    q for q in status["queue"] if q["reason"] != "forms_open"
                ]:
                    return status
                time.sleep(0.05)
        raise AssertionError("the service never became idle")


@pytest.fixture
def app(tmp_path: object) -> Iterator[Running]:
    erp_port = free_port()
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path}/erpsync.db",
        demo_erp_port=erp_port,
        demo_erp_profile="instant",
        demo_erp_ticker_s=None,
        scheduler=False,
        demo_users=False,
        data_dir=str(tmp_path),
    )
    application = create_app(settings)
    with serve_in_thread(application) as url:
        accounts = application.state.services.accounts
        accounts.add_user("agente", "password-agente-1", agent_code="A01")
        accounts.add_user("ufficio", "password-ufficio-1", admin=True)
        yield Running(
            url,
            f"http://127.0.0.1:{erp_port}",
            {"Authorization": f"Bearer {accounts.issue_token('agente')}"},
            {"Authorization": f"Bearer {accounts.issue_token('ufficio')}"},
            {"Authorization": "Bearer demo-token"},
            application.state.services.events,
        )


def test_the_api_needs_a_signed_in_user(app: Running) -> None:
    with httpx.Client(base_url=app.url) as anonymous:
        refused = anonymous.get("/api/sync/status")
        assert refused.status_code == 401
        assert refused.json() == {"error": "sign-in required"}
        assert anonymous.get("/healthz").json() == {"status": "ok"}


def test_the_status_shows_six_types_health_and_the_smart_sync_block(app: Running) -> None:
    with app.client(app.agent) as client:
        status = client.get("/api/sync/status").json()
    assert [t["type"] for t in status["types"]] == [
        "orders",
        "customers",
        "ddt",
        "invoices",
        "prices",
        "products",
    ]
    assert {"healthy", "erpReachable", "types"} <= set(status["health"])
    smart = status["smartSync"]
    assert smart["activeSessions"] == 0
    assert smart["syncsPaused"] is False
    assert smart["safetyTimeoutActive"] is False


def test_the_schedule_returns_the_approved_frequencies(app: Running) -> None:
    with app.client(app.agent) as client:
        schedule = client.get("/api/sync/schedule").json()
    rows = {
        t["type"]: (t["intervalMinutes"], t["offsetMinutes"], t["priority"])
        for t in schedule["types"]
    }
    assert rows == {
        "orders": (10, 0, 6),
        "customers": (30, 5, 5),
        "ddt": (45, 20, 4),
        "invoices": (30, 15, 3),
        "prices": (30, 10, 2),
        "products": (90, 30, 1),
    }
    assert all(t["unit"] == "minutes" for t in schedule["types"])


def test_only_an_admin_changes_the_schedule_and_bad_values_are_refused(app: Running) -> None:
    change = {"interval_minutes": 15, "offset_minutes": 0, "priority": 3}
    with app.client(app.agent) as agent, app.client(app.admin) as admin:
        assert agent.put("/api/sync/schedule/prices", json=change).status_code == 403
        changed = admin.put("/api/sync/schedule/prices", json=change)
        assert changed.status_code == 200
        assert changed.json()["intervalMinutes"] == 15
        too_fast = admin.put("/api/sync/schedule/prices", json={**change, "interval_minutes": 0.1})
        assert too_fast.status_code == 422
        assert "interval" in too_fast.json()["error"]
        unknown = admin.put("/api/sync/schedule/widgets", json=change)
        assert unknown.status_code == 422
        schedule = agent.get("/api/sync/schedule").json()
        prices = next(t for t in schedule["types"] if t["type"] == "prices")
        assert prices["intervalMinutes"] == 15


def test_sync_requests_answer_202_with_started_queued_or_merged(app: Running) -> None:
    with app.client(app.agent) as client:
        answers = client.post("/api/sync/all").json()["requests"]
        assert answers[0]["type"] == "orders"
        assert {a["outcome"] for a in answers} <= {"started", "queued", "merged"}
        full = client.post("/api/sync/prices", json={"mode": "full"})
        assert full.status_code == 202
        assert full.json()["mode"] == "full"
        assert client.post("/api/sync/widgets").status_code == 404, "no such type: no such path"
        assert client.post("/api/sync/status").status_code == 405, "not taken for a type"
        bad_mode = client.post("/api/sync/prices", json={"mode": "everything"})
        assert bad_mode.status_code == 422
        assert "mode" in bad_mode.json()["error"]
    status = app.wait_idle(app.agent)
    assert all(t["status"] == "completed" for t in status["types"])


def test_smart_sync_answers_with_a_fast_customer_sync_and_resume_resumes(app: Running) -> None:
    with app.client(app.agent) as client:
        opened = client.post("/api/customers/smart-sync", json={"session_id": "tab-api-0001"})
        assert opened.status_code == 200
        body = opened.json()
        assert body["activeSessions"] == 1
        assert body["syncsPaused"] is True
        assert body["result"]["status"] == "completed"
        assert {"fetched", "inserted", "updated", "durationS"} <= set(body["result"])
        assert client.get("/api/sync/status").json()["smartSync"]["syncsPaused"] is True

        beacon = client.post(
            "/api/customers/resume-syncs",
            content=json.dumps({"session_id": "tab-api-0001"}),
            headers={"Content-Type": "text/plain;charset=UTF-8"},
        )
        assert beacon.status_code == 200
        assert beacon.json()["activeSessions"] == 0
        smart = client.get("/api/sync/status").json()["smartSync"]
        assert smart["syncsPaused"] is False
        assert smart["lastResult"]["status"] == "completed"

        missing = client.post("/api/customers/resume-syncs", content=b"")
        assert missing.status_code == 422
        bad = client.post("/api/customers/smart-sync", json={"session_id": "x"})
        assert bad.status_code == 422


def test_the_event_stream_reports_each_step(app: Running) -> None:
    with app.client(app.agent) as client:
        with client.stream("GET", "/api/sync/events") as stream:
            lines = stream.iter_lines()
            events: list[str] = []
            for line in lines:
                if line.startswith("event: "):
                    events.append(line.removeprefix("event: "))
                    if events == ["hello"]:
                        client_post = httpx.post(
                            f"{app.url}/api/sync/ddt", headers=app.agent, timeout=10
                        )
                        assert client_post.status_code == 202
                    if events[-1] == "sync_completed":
                        break
        assert events[:3] == ["hello", "sync_requested", "sync_queued"]
        assert "sync_started" in events


def test_a_stream_its_client_left_stops_listening(app: Running) -> None:
    with app.client(app.agent) as client, client.stream("GET", "/api/sync/events") as stream:
        lines = stream.iter_lines()  # kept: a line iterator let go closes the stream
        assert next(lines) == "event: hello"
        assert app.events.subscribers == 1
    deadline = time.monotonic() + 10
    while app.events.subscribers and time.monotonic() < deadline:
        time.sleep(0.02)
    assert app.events.subscribers == 0


async def test_many_concurrent_triggers_and_smart_syncs_never_overlap_at_the_erp(
    app: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="erpsync.coordination")
    types = ["orders", "customers", "ddt", "invoices", "prices", "products"]
    rng = random.Random(3)
    async with httpx.AsyncClient(base_url=app.erp_url, headers=app.erp) as erp:
        (await erp.put("/admin/faults", json={"slow_page_seconds": 0.003})).raise_for_status()
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(
        base_url=app.url, headers=app.agent, timeout=60, limits=limits
    ) as client:

        async def trigger(i: int) -> int:
            mode = "full" if i % 7 == 0 else "incremental"
            answer = await client.post(f"/api/sync/{rng.choice(types)}", json={"mode": mode})
            return answer.status_code

        async def form(n: int) -> int:
            session = {"session_id": f"tab-load-{n:04d}"}
            opened = await client.post("/api/customers/smart-sync", json=session)
            closed = await client.post("/api/customers/resume-syncs", json=session)
            return max(opened.status_code, closed.status_code)

        answers = await asyncio.gather(
            *(trigger(i) for i in range(200)), *(form(n) for n in range(6))
        )
    assert answers.count(202) == 200
    assert answers.count(200) == 6
    await asyncio.to_thread(app.wait_idle, app.agent)
    async with httpx.AsyncClient(base_url=app.erp_url, headers=app.erp) as erp:
        stats = (await erp.get("/admin/stats")).json()
    assert stats["requests_total"] > 6
    assert stats["overlaps"] == 0
    messages = [r.getMessage() for r in caplog.records if r.name == "erpsync.coordination"]
    assert any(m.startswith("action=sync_queued") for m in messages)
    assert any(m.startswith("action=sync_merged") for m in messages)
