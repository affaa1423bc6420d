"""An orchestrator on a fake clock, in-memory stores, and the demo ERP in-process."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine

from erpsync.adapters.db.drafts import SqlDraftStore
from erpsync.adapters.db.mirror_queries import SqlMirrorSearch
from erpsync.adapters.db.users import SqlUserStore
from erpsync.adapters.erp_http import HttpErpSource, RetryPolicy
from erpsync.auth.passwords import Passwords
from erpsync.demo_erp import DemoErpConfig, LatencyProfile, Volumes, create_demo_erp_app
from erpsync.domain.answers import SmartSyncResult, SyncRequested
from erpsync.domain.catalog import SPECS
from erpsync.domain.commands import CloseForm, OpenForm, PingForm, RequestSync
from erpsync.domain.snapshot import Snapshot
from erpsync.domain.types import SyncMode, SyncType
from erpsync.domain.users import User
from erpsync.ports import ErpSource, SourcePage
from erpsync.services.accounts import Accounts
from erpsync.services.drafts import DraftService
from erpsync.services.events import Event, EventBus
from erpsync.services.orchestrator import Orchestrator
from erpsync.services.orchestrator_config import OrchestratorConfig
from erpsync.services.order_lane import OrderLane
from erpsync.services.order_sender import OrderSender
from erpsync.services.sync_runner import SyncRunner
from erpsync.testing import FakeClock, InMemoryMirrorStore, InMemoryRunStore, InMemoryScheduleStore
from erpsync.testing.orders import FakeErp, InMemorySubmissionStore
from tests.integration.web_seed import AT, seed_mirror

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
VOLUMES = Volumes(customers=30, products=120, prices=20, orders=20, ddt=20, invoices=20)
PAGE_SIZE = 10
#: The user who opens the order forms in these tests.
AGENT = 1
#: Every type in small pages, so syncs span several pages and checkpoints matter.
PAGED = {t: replace(s, page_size=PAGE_SIZE) for t, s in SPECS.items()}


class GatedSource:
    """Wraps a source; while ``gated``, each page of a gated type waits for ``release``."""

    def __init__(self, inner: ErpSource) -> None:
        self.inner = inner
        self.gated: set[SyncType] = set()
        self.waiting: dict[SyncType, int] = {}
        self.fetches: list[SyncType] = []
        self._gates: dict[SyncType, asyncio.Semaphore] = {}

    def gate(self, type: SyncType) -> None:
        self.gated.add(type)
        self._gates[type] = asyncio.Semaphore(0)

    def release(self, type: SyncType, pages: int = 1) -> None:
        for _ in range(pages):
            self._gates[type].release()

    def open(self, type: SyncType) -> None:
        self.gated.discard(type)
        self.release(type, 10_000)

    async def fetch_page(
        self, type: SyncType, *, since: datetime | None, cursor: str | None, limit: int
    ) -> SourcePage:
        if type in self.gated:
            self.waiting[type] = self.waiting.get(type, 0) + 1
            await self._gates[type].acquire()
            self.waiting[type] -= 1
        self.fetches.append(type)
        return await self.inner.fetch_page(type, since=since, cursor=cursor, limit=limit)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class World:
    clock: FakeClock
    source: GatedSource
    runs: InMemoryRunStore
    mirror: InMemoryMirrorStore
    schedules: InMemoryScheduleStore
    events: EventBus
    orchestrator: Orchestrator
    demo: httpx.AsyncClient
    log: list[Event] = field(default_factory=list)
    outbox: InMemorySubmissionStore = field(default_factory=InMemorySubmissionStore)
    erp: FakeErp = field(default_factory=FakeErp)

    def actions(self, *names: str) -> list[Event]:
        return [e for e in self.events.recent if not names or e.action in names]

    def started(self) -> list[SyncType]:
        return [e.fields["type"] for e in self.actions("sync_started", "sync_resumed")]

    # -- the orchestrator's public surface, for short tests ---------------------------------

    def snapshot(self) -> Snapshot:
        return self.orchestrator.snapshot()

    def queued(self) -> list[SyncType]:
        return [q.type for q in self.snapshot().queue]

    async def request(self, type: SyncType, mode: SyncMode = SyncMode.INCREMENTAL) -> SyncRequested:
        return await self.orchestrator.handle(RequestSync(type, mode))

    async def open_form(self, session_id: str, owner: int = AGENT) -> SmartSyncResult:
        return (await self.orchestrator.handle(OpenForm(session_id, owner))).result

    async def ping(self, session_id: str, *, active: bool = False, owner: int = AGENT) -> bool:
        return (await self.orchestrator.handle(PingForm(session_id, owner, active))).known

    async def close_form(self, session_id: str, owner: int = AGENT) -> bool:
        return (await self.orchestrator.handle(CloseForm(session_id, owner))).closed

    async def settle(self) -> None:
        """Let tasks run until nothing more happens without the clock moving."""
        for _ in range(50):
            await asyncio.sleep(0)

    async def until(self, condition: Callable[[], bool], what: str) -> None:
        """Wait, boundedly, for work in worker threads (page writes) to reach a state."""
        for _ in range(5_000):
            if condition():
                return
            await asyncio.sleep(0.001)
        raise AssertionError(f"never happened: {what}")

    def blocked_on(self, type: SyncType) -> Callable[[], bool]:
        """True once a sync of ``type`` waits at the gate for its next page."""
        return lambda: self.source.waiting.get(type, 0) > 0


def build_world(
    demo_app: object,
    config: OrchestratorConfig,
    clock: FakeClock,
    demo: httpx.AsyncClient,
    *,
    sends_orders: bool = False,
) -> World:
    """The orchestrator over the demo ERP; with ``sends_orders``, it also sends the orders of
    ``World.outbox`` to ``World.erp``."""
    inner = HttpErpSource(
        "http://demo-erp",
        "demo-token",
        retry=RetryPolicy(attempts=1),
        transport=httpx.ASGITransport(app=demo_app),  # type: ignore[arg-type]
    )
    source = GatedSource(inner)
    runs = InMemoryRunStore()
    mirror = InMemoryMirrorStore(runs)
    schedules = InMemoryScheduleStore()
    runner = SyncRunner(source, mirror, runs, clock, specs=PAGED)
    events = EventBus(buffer=10_000, history=100_000)
    outbox, erp = InMemorySubmissionStore(), FakeErp()
    lane = OrderLane(OrderSender(outbox, erp, clock, events), clock, events)
    orchestrator = Orchestrator(
        runner, schedules, clock, events, config, orders=lane if sends_orders else None
    )
    return World(
        clock, source, runs, mirror, schedules, events, orchestrator, demo, outbox=outbox, erp=erp
    )


@pytest.fixture
def orchestrator_config() -> OrchestratorConfig:
    """Overridden by tests that need the scheduler or other timings."""
    return OrchestratorConfig(scheduler=False, safety_timeout=timedelta(minutes=10))


@pytest.fixture
def sends_orders() -> bool:
    """Overridden (``True``) by tests of orders sent to the ERP."""
    return False


@pytest.fixture
async def world(
    orchestrator_config: OrchestratorConfig, sends_orders: bool
) -> AsyncIterator[World]:
    clock = FakeClock(T0)
    demo_app = create_demo_erp_app(
        DemoErpConfig(volumes=VOLUMES, latency=LatencyProfile.INSTANT),
        clock=clock.now,
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=demo_app),  # type: ignore[arg-type]
        base_url="http://demo-erp",
        headers={"Authorization": "Bearer demo-token"},
    ) as demo:
        built = build_world(demo_app, orchestrator_config, clock, demo, sends_orders=sends_orders)
        yield built
        await built.orchestrator.stop(grace_s=1)
        await built.source.aclose()


FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(AT)


@pytest.fixture
def accounts(sqlite_engine: Engine, clock: FakeClock) -> Accounts:
    """Accounts over the SQL user store, hashing passwords cheaply."""
    return Accounts(SqlUserStore(sqlite_engine), Passwords(FAST), clock)


@pytest.fixture
def people(accounts: Accounts) -> tuple[User, User]:
    """Two agents: anna (A01) and bruno (A02)."""
    return (
        accounts.add_user("anna", "segreto-1", agent_code="A01"),
        accounts.add_user("bruno", "segreto-1", agent_code="A02"),
    )


@pytest.fixture
def drafts(sqlite_engine: Engine, clock: FakeClock, people: tuple[User, User]) -> DraftService:
    """Drafts over the SQL stores, the mirror seeded with a few customers and products."""
    seed_mirror(sqlite_engine)
    return DraftService(SqlDraftStore(sqlite_engine), SqlMirrorSearch(sqlite_engine), clock)


@pytest.fixture(autouse=True)
def _quiet_coordination_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="erpsync.coordination")
