"""A real demo ERP over HTTP, and a sync runner pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from erpsync.adapters.clock import SystemClock
from erpsync.adapters.db.mirror import SqlMirrorStore
from erpsync.adapters.db.runs import SqlRunStore
from erpsync.adapters.erp_http import HttpErpSource, RetryPolicy
from erpsync.demo_erp import DemoErpConfig, LatencyProfile, Volumes, create_demo_erp_app
from erpsync.domain.catalog import SPECS
from erpsync.services.sync_runner import SyncRunner
from tests.support import serve_in_thread

VOLUMES = Volumes(customers=57, products=43, prices=61, orders=29, ddt=33, invoices=31)
#: Small pages, so every type spans several pages and checkpoints matter.
PAGE_SIZE = 10
TOKEN = "demo-token"


@dataclass
class DemoErp:
    url: str
    admin: httpx.Client

    def faults(self, **settings: Any) -> None:
        self.admin.put("/admin/faults", json=settings).raise_for_status()

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self.admin.get("/admin/stats").raise_for_status().json()
        return stats


@pytest.fixture
def demo_erp() -> Iterator[DemoErp]:
    app = create_demo_erp_app(
        DemoErpConfig(volumes=VOLUMES, latency=LatencyProfile.INSTANT, token=TOKEN)
    )
    with (
        serve_in_thread(app) as url,
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}) as admin,
    ):
        yield DemoErp(url, admin)


@dataclass
class Stack:
    runner: SyncRunner
    mirror: SqlMirrorStore
    runs: SqlRunStore
    source: HttpErpSource


@pytest.fixture
async def stack(demo_erp: DemoErp, sqlite_engine: Engine) -> AsyncIterator[Stack]:
    source = HttpErpSource(
        demo_erp.url,
        TOKEN,
        timeout_s=2.0,
        retry=RetryPolicy(attempts=3, initial_wait_s=0.01, max_wait_s=0.05),
    )
    mirror = SqlMirrorStore(sqlite_engine)
    runs = SqlRunStore(sqlite_engine)
    specs = {t: replace(spec, page_size=PAGE_SIZE) for t, spec in SPECS.items()}
    runner = SyncRunner(source, mirror, runs, SystemClock(), specs=specs)
    yield Stack(runner, mirror, runs, source)
    await source.aclose()
