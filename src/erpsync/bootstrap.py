"""The composition root: builds every service from the settings, and tears them down."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import Engine

from erpsync.adapters.clock import SystemClock
from erpsync.adapters.db.book_queries import SqlMirrorBook
from erpsync.adapters.db.cluster import (
    SqlCommandQueue,
    SqlLeaseStore,
    SqlLiveStateStore,
    SqlRoleFence,
)
from erpsync.adapters.db.drafts import SqlDraftStore
from erpsync.adapters.db.engine import build_engine
from erpsync.adapters.db.migrate import upgrade
from erpsync.adapters.db.mirror import SqlMirrorStore
from erpsync.adapters.db.mirror_queries import SqlMirrorSearch
from erpsync.adapters.db.runs import SqlRunStore
from erpsync.adapters.db.schedules import SqlScheduleStore
from erpsync.adapters.db.slice_queries import SqlMirrorSlices
from erpsync.adapters.db.submissions import SqlSubmissionStore
from erpsync.adapters.db.users import SqlLoginFailures, SqlUserStore
from erpsync.adapters.erp_http import HttpErpSource, RetryPolicy
from erpsync.adapters.erp_orders_http import HttpErpWriter
from erpsync.adapters.metrics import MeteredSource, Metrics
from erpsync.adapters.processes import LocalProcesses
from erpsync.auth.passwords import Passwords
from erpsync.auth.throttle import LoginThrottle
from erpsync.demo_erp import DemoErpConfig, LatencyProfile, demo_erp_server
from erpsync.domain.types import SyncType
from erpsync.errors import ConfigurationError
from erpsync.ports import Clock, ErpSource, ErpWriter
from erpsync.services.accounts import Accounts
from erpsync.services.book import AgentBook
from erpsync.services.cluster import ClusterNode, NodeTimings
from erpsync.services.drafts import DraftService
from erpsync.services.events import EventBus
from erpsync.services.offline import OfflineSlices
from erpsync.services.orchestrator import Orchestrator
from erpsync.services.orchestrator_config import OrchestratorConfig
from erpsync.services.order_data import OrderFormData
from erpsync.services.order_lane import OrderLane
from erpsync.services.order_sender import OrderSender
from erpsync.services.status import StatusService
from erpsync.services.submissions import SubmissionService
from erpsync.services.sync_runner import SyncRunner
from erpsync.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    settings: Settings
    clock: Clock
    engine: Engine
    mirror: SqlMirrorStore
    runs: SqlRunStore
    source: ErpSource
    runner: SyncRunner
    events: EventBus
    node: ClusterNode
    status: StatusService
    metrics: Metrics
    accounts: Accounts
    login_throttle: LoginThrottle
    drafts: DraftService
    order_data: OrderFormData
    submissions: SubmissionService
    book: AgentBook
    offline: OfflineSlices


def demo_erp_config(settings: Settings) -> DemoErpConfig:
    return DemoErpConfig(
        seed=settings.demo_erp_seed,
        latency=LatencyProfile(settings.demo_erp_profile),
        token=settings.erp_token.get_secret_value(),
        ticker_interval_seconds=settings.demo_erp_ticker_s,
    )


def orchestrator_config(settings: Settings) -> OrchestratorConfig:
    return OrchestratorConfig(
        lease_ttl=timedelta(seconds=settings.session_lease_s),
        safety_timeout=timedelta(seconds=settings.safety_timeout_s),
        max_run_time=timedelta(seconds=settings.max_run_time_s),
        max_run_time_by_type={
            t: timedelta(seconds=s) for t, s in settings.max_run_time_by_type_s.items()
        },
        smart_answer_within=timedelta(seconds=settings.smart_sync_answer_s),
        page_deadline=timedelta(seconds=settings.page_deadline_s),
        starvation_budget=settings.starvation_budget_intervals,
        full_sync_every=timedelta(hours=settings.full_sync_every_h),
        scheduler=settings.scheduler,
        hydrate_on_start=settings.hydrates_on_start,
    )


async def _running_demo_erp(url: str) -> bool:
    """Whether a demo ERP already answers at ``url``.

    Raises:
        ConfigurationError: something else holds its port.
    """
    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            answer = await client.get(f"{url}/health")
    except httpx.TransportError:
        return False
    if answer.status_code == 200 and answer.json() == {"status": "ok"}:
        return True
    raise ConfigurationError(f"{url} is taken by something that is not the demo ERP")


#: How long the embedded demo ERP's graceful stop may take before its connections are dropped.
DEMO_ERP_STOP_S = 5.0


async def start_demo_erp(settings: Settings, stack: AsyncExitStack) -> None:
    """Serve the embedded demo ERP on its own port, in this event loop, until the stack closes.

    When something already listens there (``erpsync serve`` running beside ``erpsync sync``),
    that demo ERP is used: two would be two different ERPs.
    """
    if await _running_demo_erp(settings.effective_erp_url):
        log.info("action=demo_erp_reused url=%s", settings.effective_erp_url)
        return
    server = demo_erp_server(
        settings.demo_erp_host, settings.demo_erp_port, demo_erp_config(settings), embedded=True
    )
    task = asyncio.create_task(server.serve(), name="demo-erp")

    async def stop() -> None:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            # the app's syncs have stopped: a connection still open is not waited for long
            await asyncio.wait_for(asyncio.shield(task), DEMO_ERP_STOP_S)
        server.force_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task

    stack.push_async_callback(stop)
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the demo ERP stopped while starting")
        await asyncio.sleep(0.02)
    log.info("action=demo_erp_started url=%s", settings.effective_erp_url)


async def build_services(
    settings: Settings,
    stack: AsyncExitStack,
    *,
    clock: Clock | None = None,
    source: ErpSource | None = None,
    writer: ErpWriter | None = None,
    start_orchestrator: bool = True,
) -> Services:
    """Build everything, migrating the database first; closing ``stack`` undoes it all.

    ``source`` and ``writer`` stand in for the ERP (tests); by default both speak HTTP to
    ``settings.effective_erp_url``."""
    clock = clock or SystemClock()
    engine = build_engine(settings.database_url)
    stack.callback(engine.dispose)
    await asyncio.to_thread(upgrade, engine)
    if source is None:
        if settings.embedded_demo_erp:
            await start_demo_erp(settings, stack)
        source = HttpErpSource(
            settings.effective_erp_url,
            settings.erp_token.get_secret_value(),
            timeout_s=settings.erp_timeout_s,
            retry=RetryPolicy(attempts=settings.erp_retry_attempts),
        )
        stack.push_async_callback(source.aclose)
    if writer is None:
        http_writer = HttpErpWriter(
            settings.effective_erp_url,
            settings.erp_token.get_secret_value(),
            timeout_s=settings.erp_write_timeout_s,
        )
        stack.push_async_callback(http_writer.aclose)
        writer = http_writer
    metrics = Metrics()
    source = MeteredSource(source, metrics)
    fence = SqlRoleFence(engine)
    mirror = SqlMirrorStore(engine, fence=fence)
    runs = SqlRunStore(engine, fence=fence)
    runner = SyncRunner(
        source,
        mirror,
        runs,
        clock,
        overlap=timedelta(seconds=settings.sync_overlap_s),
        history=settings.run_history,
    )
    events = EventBus()
    events.listen(metrics.observe)
    schedules = SqlScheduleStore(engine)
    config = orchestrator_config(settings)
    outbox = SqlSubmissionStore(engine, fence=fence)
    sender = OrderSender(outbox, writer, clock, events)

    def build_orchestrator(
        anchor: datetime, last_fired: Mapping[SyncType, datetime]
    ) -> Orchestrator:
        lane = OrderLane(
            sender, clock, events, poll_every=timedelta(seconds=settings.outbox_poll_s)
        )
        return Orchestrator(
            runner,
            schedules,
            clock,
            events,
            config,
            anchor=anchor,
            last_fired=last_fired,
            orders=lane,
        )

    node = ClusterNode(
        SqlLeaseStore(engine),
        SqlCommandQueue(engine),
        SqlLiveStateStore(engine),
        build_orchestrator,
        clock,
        events,
        fence=fence,
        processes=LocalProcesses(),
        timings=NodeTimings(
            lease_ttl=timedelta(seconds=settings.role_lease_s),
            renew_every=timedelta(seconds=settings.role_lease_s / 3),
        ),
    )
    accounts = Accounts(
        SqlUserStore(engine),
        Passwords(),
        clock,
        sign_in_lasts=timedelta(seconds=settings.session_max_age_s),
    )
    if settings.demo_users_enabled:
        await asyncio.to_thread(accounts.ensure_demo_users)
    search = SqlMirrorSearch(engine)
    draft_store = SqlDraftStore(engine)
    drafts = DraftService(draft_store, search, clock)
    order_data = OrderFormData(search, clock, price_list=settings.price_list)
    if start_orchestrator:
        await node.start()
        stack.push_async_callback(node.stop)
    return Services(
        settings,
        clock,
        engine,
        mirror,
        runs,
        source,
        runner,
        events,
        node,
        StatusService(node, runs, clock, outbox=outbox),
        metrics,
        accounts,
        LoginThrottle(SqlLoginFailures(engine)),
        drafts,
        order_data,
        SubmissionService(draft_store, outbox, clock),
        AgentBook(SqlMirrorBook(engine), order_data, clock),
        OfflineSlices(SqlMirrorSlices(engine), clock, price_list=settings.price_list),
    )
