"""Two replicas on one PostgreSQL database, over real HTTP: one orchestrator between them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from erpsync.demo_erp import DemoErpConfig, LatencyProfile, Volumes, create_demo_erp_app
from erpsync.settings import load_settings
from erpsync.web.app import create_app
from tests.support import serve_in_thread

pytestmark = pytest.mark.postgres

VOLUMES = Volumes(customers=60, products=80, prices=60, orders=40, ddt=40, invoices=40)


def replica(database: str, erp_url: str, data_dir: Path) -> Any:
    settings = load_settings(
        data_dir=data_dir,
        database_url=database,
        erp_url=erp_url,
        scheduler=False,
        demo_users=False,
        role_lease_s=3,
    )
    return create_app(settings)


def wait_for(check: Any, what: str, timeout_s: float = 20) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


@pytest.fixture
def erp() -> Iterator[str]:
    app = create_demo_erp_app(
        DemoErpConfig(volumes=VOLUMES, latency=LatencyProfile.INSTANT, token="demo-token")
    )
    with serve_in_thread(app) as url:
        yield url


async def test_replicas_share_one_orchestrator_and_the_survivor_takes_over(
    postgres_database: str, erp: str, tmp_path: Path
) -> None:
    with ExitStack() as replica_b, ExitStack() as replica_a:
        app_a = replica(postgres_database, erp, tmp_path)
        url_a = replica_a.enter_context(serve_in_thread(app_a))
        app_b = replica(postgres_database, erp, tmp_path)
        url_b = replica_b.enter_context(serve_in_thread(app_b))
        accounts = app_a.state.services.accounts
        accounts.add_user("agente", "password-agente-1", agent_code="A01")
        headers = {"Authorization": f"Bearer {accounts.issue_token('agente')}"}
        assert app_a.state.services.node.leader
        assert not app_b.state.services.node.leader

        async with (
            httpx.AsyncClient(base_url=url_a, headers=headers, timeout=60) as a,
            httpx.AsyncClient(base_url=url_b, headers=headers, timeout=60) as b,
        ):
            types = ["orders", "customers", "ddt", "invoices", "prices", "products"]
            answers = await asyncio.gather(
                *(
                    (a if i % 2 else b).post(f"/api/sync/{types[i % 6]}", json={"mode": "full"})
                    for i in range(60)
                )
            )
            assert {r.status_code for r in answers} == {202}

            opened = await b.post("/api/customers/smart-sync", json={"session_id": "tab-b-0001"})
            assert opened.status_code == 200
            assert opened.json()["syncsPaused"] is True
            status_a = (await a.get("/api/sync/status")).json()
            assert status_a["smartSync"]["activeSessions"] == 1, "a form on B pauses A's syncs"
            assert status_a["orchestrator"]["holdsRole"] is True

            def b_sees_the_session() -> bool:
                status = httpx.get(f"{url_b}/api/sync/status", headers=headers).json()
                role = status["orchestrator"]
                fresh = role["holdsRole"] is False and role["stateAgeS"] is not None
                return bool(fresh and status["smartSync"]["activeSessions"] == 1)

            await asyncio.to_thread(wait_for, b_sees_the_session, "B shows the holder's state")
            closed = await a.post("/api/customers/resume-syncs", json={"session_id": "tab-b-0001"})
            assert closed.json()["activeSessions"] == 0

            def idle() -> bool:
                status = httpx.get(f"{url_a}/api/sync/status", headers=headers).json()
                return status["current"] is None and not status["queue"]

            await asyncio.to_thread(wait_for, idle, "all requested syncs ran")

        replica_a.close()  # A stops and hands the role over

        async with httpx.AsyncClient(base_url=url_b, headers=headers, timeout=60) as b:
            answer = await b.post("/api/sync/prices", json={"mode": "full"})
            assert answer.status_code == 202
            assert app_b.state.services.node.leader

        async with httpx.AsyncClient(
            base_url=erp, headers={"Authorization": "Bearer demo-token"}
        ) as e:
            stats = (await e.get("/admin/stats")).json()
        assert stats["overlaps"] == 0
        assert stats["requests_total"] >= 6
