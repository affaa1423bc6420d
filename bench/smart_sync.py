"""Smart Customer Sync: how soon a customer created in the ERP is searchable after the form opens.

The demo ERP answers on its realistic latency profile over real HTTP on 127.0.0.1 (uvicorn in a
thread of its own); erpsync mirrors it into a fresh SQLite database in a temporary folder. Two
cases, timed from the smart-sync request (the form's ``OpenForm`` command) until a customer
created in the ERP just before is in the mirror:

    (a) idle: nothing else runs;
    (b) busy: a full products sync has started and fetched at least one page. The form opens
        the moment page 1 is written, as page 2 is being requested, so (b) is close to its
        worst case: erpsync waits for nearly a whole products page before it can preempt.

Both run twice, each time with a fresh database and demo ERP of the same seed: once with
erpsync's policy (preemption at the next page, incremental smart sync) and once with the
baseline a plain priority queue gives (no preemption, the smart sync done as a full customer
sync). One full customer sync, the reference the targets are relative to, is timed too.

    python bench/smart_sync.py [--quick] [--seed 7]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import uvicorn

from erpsync.adapters.clock import SystemClock
from erpsync.adapters.db.engine import build_engine
from erpsync.adapters.db.migrate import upgrade
from erpsync.adapters.db.mirror import SqlMirrorStore
from erpsync.adapters.db.runs import SqlRunStore
from erpsync.adapters.db.schedules import SqlScheduleStore
from erpsync.adapters.erp_http import HttpErpSource
from erpsync.demo_erp import DemoErpConfig, LatencyProfile, Volumes, create_demo_erp_app
from erpsync.domain.answers import SmartSyncResult
from erpsync.domain.catalog import SPECS
from erpsync.domain.commands import CloseForm, OpenForm, RequestSync
from erpsync.domain.runs import RunStatus
from erpsync.domain.types import SyncMode, SyncType
from erpsync.services.events import Event, EventAction, EventBus
from erpsync.services.orchestrator import Orchestrator
from erpsync.services.orchestrator_config import OrchestratorConfig
from erpsync.services.sync_runner import SyncRunner

TOKEN = "demo-token"
CUSTOMERS = SPECS[SyncType.CUSTOMERS]
PRODUCTS = SPECS[SyncType.PRODUCTS]

#: erpsync <= this many seconds in both cases.
TARGET_SECONDS = 1.5
#: erpsync <= this fraction of one full customer sync in both cases.
TARGET_FRACTION = 0.1
#: baseline / erpsync >= this in case (b).
TARGET_RATIO = 10.0

#: Upper bounds on the waits, so a broken build ends the bench instead of hanging it.
SYNC_TIMEOUT_S = 300.0
FIRST_PAGE_TIMEOUT_S = 60.0
#: How long a customer may take to appear after ``OpenForm`` was answered.
SEARCHABLE_GRACE_S = 5.0

DEFAULT_VOLUMES = Volumes()
QUICK_VOLUMES = Volumes(customers=300, products=1500, prices=300, orders=60, ddt=60, invoices=60)

#: A form's answer is not cut short here: the bench times the sync itself, not the bound on
#: how long a form waits for it.
WAIT_FOR_THE_SYNC = timedelta(minutes=10)
#: The policies compared.
POLICIES: dict[str, OrchestratorConfig] = {
    "erpsync": OrchestratorConfig(scheduler=False, smart_answer_within=WAIT_FOR_THE_SYNC),
    "baseline": OrchestratorConfig(
        preemption=False,
        smart_sync_mode=SyncMode.FULL,
        scheduler=False,
        smart_answer_within=WAIT_FOR_THE_SYNC,
    ),
}


class BenchError(RuntimeError):
    """The bench could not take a measurement (a sync failed, a wait ran out)."""


@dataclass(frozen=True)
class BenchSettings:
    seed: int = 7
    volumes: Volumes = field(default_factory=Volumes)
    latency: LatencyProfile = LatencyProfile.REALISTIC


@dataclass(frozen=True)
class CaseResult:
    #: From the smart-sync request until the new customer was in the mirror; ``None`` if it
    #: never got there.
    seconds: float | None
    smart: SmartSyncResult
    note: str = ""


@dataclass(frozen=True)
class PolicyResult:
    policy: str
    full_customer_sync_s: float
    idle: CaseResult
    busy: CaseResult


# -- the demo ERP over HTTP ---------------------------------------------------------------------


@contextmanager
def demo_erp(config: DemoErpConfig) -> Iterator[str]:
    """Serve a fresh demo ERP on a free 127.0.0.1 port in a thread; yields its base URL."""
    app = create_demo_erp_app(config)
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", access_log=False, lifespan="on"
        )
    )
    thread = threading.Thread(
        target=lambda: asyncio.run(server.serve()), name="demo-erp", daemon=True
    )
    thread.start()
    deadline = time.perf_counter() + 30
    while not server.started:
        if not thread.is_alive() or time.perf_counter() > deadline:
            raise BenchError("the demo ERP did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


async def create_customer(admin: httpx.AsyncClient, label: str) -> str:
    """Create a customer in the ERP now; returns its code."""
    code = f"B{label}{uuid.uuid4().hex[:8].upper()}"
    response = await admin.post(
        "/admin/customers", json={"code": code, "name": f"Cliente Bench {label} {code} S.r.l."}
    )
    response.raise_for_status()
    return code


# -- the measurements ---------------------------------------------------------------------------


async def full_customer_sync(
    orchestrator: Orchestrator, mirror: SqlMirrorStore, runs: SqlRunStore, expected: int
) -> float:
    started = time.perf_counter()
    await orchestrator.handle(RequestSync(SyncType.CUSTOMERS, SyncMode.FULL))
    await asyncio.wait_for(orchestrator.run_until_idle(), SYNC_TIMEOUT_S)
    elapsed = time.perf_counter() - started
    (run,) = runs.recent(SyncType.CUSTOMERS, limit=1)
    if run.status != RunStatus.COMPLETED:
        raise BenchError(f"the full customer sync ended {run.status.value}: {run.error}")
    held = mirror.count(CUSTOMERS)
    if held != expected:
        raise BenchError(f"the mirror holds {held} customers after a full sync, not {expected}")
    return elapsed


async def time_until_searchable(
    orchestrator: Orchestrator, mirror: SqlMirrorStore, session: str, code: str
) -> tuple[float | None, SmartSyncResult]:
    """Open the form and wait until customer ``code`` is in the mirror."""
    started = time.perf_counter()
    opened = await asyncio.wait_for(orchestrator.handle(OpenForm(session, 1)), SYNC_TIMEOUT_S)
    smart = opened.result
    deadline = time.perf_counter() + SEARCHABLE_GRACE_S
    while True:
        record = mirror.get(CUSTOMERS, code)
        if record is not None and record.get("deleted_at") is None:
            return time.perf_counter() - started, smart
        if time.perf_counter() > deadline:
            return None, smart
        await asyncio.sleep(0.01)


async def idle_case(
    orchestrator: Orchestrator, mirror: SqlMirrorStore, admin: httpx.AsyncClient
) -> CaseResult:
    running = orchestrator.snapshot().running
    if running is not None:
        raise BenchError(f"not idle: {running.type.value} is running")
    code = await create_customer(admin, "A")
    session = f"bench-idle-{uuid.uuid4().hex[:8]}"
    seconds, smart = await time_until_searchable(orchestrator, mirror, session, code)
    await orchestrator.handle(CloseForm(session, 1))
    await asyncio.wait_for(orchestrator.run_until_idle(), SYNC_TIMEOUT_S)
    return CaseResult(seconds, smart)


async def first_products_page(feed: asyncio.Queue[Event]) -> int | None:
    """Wait for the products sync's first page; ``None`` if it ended before one was seen."""
    async with asyncio.timeout(FIRST_PAGE_TIMEOUT_S):
        while True:
            event = await feed.get()
            if event.fields.get("type") != SyncType.PRODUCTS:
                continue
            if event.action == EventAction.SYNC_PROGRESS and event.fields.get("pages", 0) >= 1:
                pages: int = event.fields["pages"]
                return pages
            if event.action == EventAction.SYNC_COMPLETED:
                return None
            if event.action == EventAction.SYNC_FAILED:
                raise BenchError(f"the products sync failed: {event.fields.get('reason')}")


async def busy_case(
    orchestrator: Orchestrator,
    events: EventBus,
    mirror: SqlMirrorStore,
    runs: SqlRunStore,
    admin: httpx.AsyncClient,
    expected_products: int,
) -> CaseResult:
    async with events.subscribe() as feed:
        await orchestrator.handle(RequestSync(SyncType.PRODUCTS, SyncMode.FULL))
        pages = await first_products_page(feed)
        running = orchestrator.snapshot().running
        products_running = running is not None and running.type == SyncType.PRODUCTS
        code = await create_customer(admin, "B")
        session = f"bench-busy-{uuid.uuid4().hex[:8]}"
        seconds, smart = await time_until_searchable(orchestrator, mirror, session, code)
        await orchestrator.handle(CloseForm(session, 1))
        await asyncio.wait_for(orchestrator.run_until_idle(), SYNC_TIMEOUT_S)
        seen = [feed.get_nowait() for _ in range(feed.qsize())]
    preempted = [
        e
        for e in seen
        if e.action == EventAction.SYNC_PREEMPTED and e.fields.get("type") == SyncType.PRODUCTS
    ]
    (last,) = runs.recent(SyncType.PRODUCTS, limit=1)
    held = mirror.count(PRODUCTS)
    if pages is None or not products_running:
        opened = "products had finished before the form opened"
    else:
        opened = f"form opened after products page {pages}"
    if preempted:
        stop = f"products preempted at page {preempted[0].fields.get('pages')}, resumed"
    else:
        stop = "products ran through"
    finish = f"{last.status.value}, {held:,}/{expected_products:,} products mirrored"
    if last.status != RunStatus.COMPLETED or held != expected_products:
        finish += " (INCOMPLETE)"
    return CaseResult(seconds, smart, f"{opened}; {stop}; {finish}")


async def measure_policy(
    name: str, policy: OrchestratorConfig, settings: BenchSettings, folder: Path
) -> PolicyResult:
    """Both cases under one policy, on a fresh demo ERP and a fresh SQLite database."""
    config = DemoErpConfig(
        seed=settings.seed, volumes=settings.volumes, latency=settings.latency, token=TOKEN
    )
    async with AsyncExitStack() as stack:
        url = stack.enter_context(demo_erp(config))
        engine = build_engine(f"sqlite:///{folder / name}.db")
        stack.callback(engine.dispose)
        await asyncio.to_thread(upgrade, engine)
        source = HttpErpSource(url, TOKEN)
        stack.push_async_callback(source.aclose)
        admin = await stack.enter_async_context(
            httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"})
        )
        clock = SystemClock()
        mirror, runs = SqlMirrorStore(engine), SqlRunStore(engine)
        events = EventBus()
        orchestrator = Orchestrator(
            SyncRunner(source, mirror, runs, clock),
            SqlScheduleStore(engine),
            clock,
            events,
            policy,
        )
        await orchestrator.start()
        stack.push_async_callback(orchestrator.stop)
        full = await full_customer_sync(orchestrator, mirror, runs, settings.volumes.customers)
        idle = await idle_case(orchestrator, mirror, admin)
        busy = await busy_case(orchestrator, events, mirror, runs, admin, settings.volumes.products)
    return PolicyResult(name, full, idle, busy)


async def measure(settings: BenchSettings, folder: Path) -> dict[str, PolicyResult]:
    return {
        name: await measure_policy(name, policy, settings, folder)
        for name, policy in POLICIES.items()
    }


# -- the report ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    label: str
    measured: str
    met: bool


def targets(results: dict[str, PolicyResult]) -> list[Target]:
    ours, base = results["erpsync"], results["baseline"]
    tenth = ours.full_customer_sync_s * TARGET_FRACTION
    found: list[Target] = []
    for case, mine in (("(a)", ours.idle), ("(b)", ours.busy)):
        s = mine.seconds
        shown = _seconds(s)
        found.append(
            Target(
                f"{case} erpsync <= {TARGET_SECONDS} s",
                shown,
                s is not None and s <= TARGET_SECONDS,
            )
        )
        found.append(
            Target(
                f"{case} erpsync <= full customer sync / 10 ({tenth:.2f} s)",
                shown,
                s is not None and s <= tenth,
            )
        )
    ratio = _ratio(base.busy.seconds, ours.busy.seconds)
    found.append(
        Target(
            f"(b) baseline / erpsync >= {TARGET_RATIO:.0f}x",
            "-" if ratio is None else f"{ratio:.1f}x",
            ratio is not None and ratio >= TARGET_RATIO,
        )
    )
    return found


def _seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.2f} s"


def _ratio(baseline: float | None, ours: float | None) -> float | None:
    if baseline is None or ours is None or ours <= 0:
        return None
    return baseline / ours


def report(settings: BenchSettings, results: dict[str, PolicyResult]) -> list[str]:
    ours, base = results["erpsync"], results["baseline"]
    v = settings.volumes
    lines = [
        f"smart customer sync, demo ERP ({settings.latency.value} latency) over HTTP into "
        f"SQLite, seed {settings.seed}",
        f"{v.customers:,} customers (pages of {CUSTOMERS.page_size}), "
        f"{v.products:,} products (pages of {PRODUCTS.page_size})",
        "",
        f"one full customer sync: erpsync {ours.full_customer_sync_s:.2f} s, "
        f"baseline {base.full_customer_sync_s:.2f} s",
        "",
        "time from the smart-sync request until a customer created just before is searchable",
        f"{'case':<30}{'erpsync':>10}{'baseline':>11}{'ratio':>9}",
    ]
    for label, mine, theirs in (
        ("(a) idle", ours.idle, base.idle),
        ("(b) full products sync running", ours.busy, base.busy),
    ):
        ratio = _ratio(theirs.seconds, mine.seconds)
        shown = "-" if ratio is None else f"{ratio:.1f}x"
        lines.append(
            f"{label:<30}{_seconds(mine.seconds):>10}{_seconds(theirs.seconds):>11}{shown:>9}"
        )
    checked = targets(results)
    lines += ["", f"{'target':<50}{'measured':>10}  met"]
    lines += [f"{t.label:<50}{t.measured:>10}  {'yes' if t.met else 'NO'}" for t in checked]
    lines += ["", "smart syncs"]
    for result in (ours, base):
        for case, outcome in (("(a)", result.idle), ("(b)", result.busy)):
            smart = outcome.smart
            lines.append(
                f"{result.policy:<9}{case} {smart.status} {smart.mode.value}, fetched "
                f"{smart.fetched:,}, inserted {smart.inserted}, updated {smart.updated}, "
                f"sync {smart.duration_s:.2f} s"
            )
            if outcome.note:
                lines.append(f"{'':<13}{outcome.note}")
    missed = [t for t in checked if not t.met]
    lines.append("")
    if missed:
        lines += [f"TARGET MISSED: {t.label} (measured {t.measured})" for t in missed]
    else:
        lines.append("all targets met")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="smaller volumes, for a fast smoke run"
    )
    parser.add_argument("--seed", type=int, default=7, help="the demo ERP's seed")
    parser.add_argument("--verbose", action="store_true", help="log every coordination step")
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    settings = BenchSettings(
        seed=args.seed, volumes=QUICK_VOLUMES if args.quick else DEFAULT_VOLUMES
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        results = asyncio.run(measure(settings, Path(folder)))
    print("\n".join(report(settings, results)))
    print(f"(bench wall time {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
