"""Orders to the ERP: how soon "Invia" gets the ERP's number, and what sending 50 costs.

The demo ERP answers on its realistic latency profile over real HTTP on 127.0.0.1 (uvicorn in
a thread of its own); erpsync keeps its outbox and mirror in a fresh SQLite database. Timed
from "Invia" (the submission recorded and the orchestrator told, as the API does) until the
submission is placed with the ERP's number:

    (a) idle: nothing else runs;
    (b) busy: a full products sync has started and written its first page.

Both run twice, each time on a fresh database and demo ERP of the same seed: with erpsync's
policy (a running sync gives way at its next page) and with the baseline a plain queue gives
(the order waits until the running sync has finished). Then 50 drafts are sent at once with
"Invia tutte": the time until the last is placed, and the ERP requests per order.

    python bench/order_submit.py [--quick] [--seed 7]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from smart_sync import BenchError, BenchSettings, Target, demo_erp

from erpsync.adapters.clock import SystemClock
from erpsync.adapters.db.drafts import SqlDraftStore
from erpsync.adapters.db.engine import build_engine
from erpsync.adapters.db.migrate import upgrade
from erpsync.adapters.db.mirror import SqlMirrorStore
from erpsync.adapters.db.runs import SqlRunStore
from erpsync.adapters.db.schedules import SqlScheduleStore
from erpsync.adapters.db.submissions import SqlSubmissionStore
from erpsync.adapters.db.users import SqlUserStore
from erpsync.adapters.erp_http import HttpErpSource
from erpsync.adapters.erp_orders_http import HttpErpWriter
from erpsync.demo_erp import DemoErpConfig, Volumes
from erpsync.domain.commands import RequestSync
from erpsync.domain.drafts import Draft, DraftLine
from erpsync.domain.submissions import SubmissionState
from erpsync.domain.types import SyncMode, SyncType
from erpsync.domain.users import Role, User
from erpsync.services.control import LocalControl
from erpsync.services.events import Event, EventAction, EventBus
from erpsync.services.orchestrator import Orchestrator
from erpsync.services.orchestrator_config import OrchestratorConfig
from erpsync.services.order_lane import OrderLane
from erpsync.services.order_sender import OrderSender
from erpsync.services.submissions import SubmissionService
from erpsync.services.sync_runner import SyncRunner

TOKEN = "demo-token"
#: erpsync <= this many seconds from "Invia" to the number, idle and behind a running sync.
TARGET_SECONDS = 1.5
#: baseline / erpsync >= this behind a running sync.
TARGET_RATIO = 10.0
BATCH = 50
PLACED_TIMEOUT_S = 600.0
FIRST_PAGE_TIMEOUT_S = 60.0

QUICK_VOLUMES = Volumes(customers=300, products=1500, prices=300, orders=60, ddt=60, invoices=60)
POLICIES: dict[str, OrchestratorConfig] = {
    "erpsync": OrchestratorConfig(scheduler=False),
    "baseline": OrchestratorConfig(scheduler=False, preemption=False),
}


@dataclass(frozen=True)
class Batch:
    orders: int
    seconds: float
    erp_writes: int
    erp_reads: int

    @property
    def writes_per_order(self) -> float:
        return self.erp_writes / self.orders


@dataclass(frozen=True)
class PolicyResult:
    policy: str
    idle_s: float
    busy_s: float
    note: str
    batch: Batch | None = None


class Shop:
    """One erpsync (orchestrator, outbox, drafts) over one demo ERP, as the API drives it."""

    def __init__(self, url: str, engine: Any, policy: OrchestratorConfig) -> None:
        clock = SystemClock()
        self.events = EventBus(buffer=10_000)
        self.runs = SqlRunStore(engine)
        source = HttpErpSource(url, TOKEN)
        self.writer = HttpErpWriter(url, TOKEN)
        self.outbox = SqlSubmissionStore(engine)
        self.drafts = SqlDraftStore(engine)
        self.orchestrator = Orchestrator(
            SyncRunner(source, SqlMirrorStore(engine), self.runs, clock),
            SqlScheduleStore(engine),
            clock,
            self.events,
            policy,
            orders=OrderLane(
                OrderSender(self.outbox, self.writer, clock, self.events), clock, self.events
            ),
        )
        self.sources = (source, self.writer)
        self.control = LocalControl(self.orchestrator)
        self.submissions = SubmissionService(self.drafts, self.outbox, clock)
        self.agent: User = SqlUserStore(engine).add("bench", "x", Role.AGENT, "A01", clock.now())

    async def aclose(self) -> None:
        await self.orchestrator.stop()
        for client in self.sources:
            await client.aclose()

    def draft(self, n: int, customer: str, line: DraftLine) -> Draft:
        now = datetime.now(UTC)
        draft = Draft(f"bench-draft-{n:04d}", self.agent.id, customer, customer, (line,), now, now)
        return self.drafts.create(draft)[0]

    async def send_and_wait(self, drafts: list[Draft]) -> float:
        """Seconds from "Invia" until every draft is placed."""
        ids = {d.id for d in drafts}
        async with self.events.subscribe() as feed:
            started = time.perf_counter()
            await self.submissions.send(self.agent, [d.id for d in drafts], self.control)
            waiting = set(ids)
            async with asyncio.timeout(PLACED_TIMEOUT_S):
                while waiting:
                    event: Event = await feed.get()
                    if event.action == EventAction.ORDER_REJECTED:
                        raise BenchError(f"the ERP refused an order: {event.fields['reasons']}")
                    if event.action == EventAction.ORDER_PLACED:
                        waiting.discard(event.fields["draft"])
            elapsed = time.perf_counter() - started
        latest = self.outbox.latest(self.agent.id, list(ids))
        if any(s.state != SubmissionState.PLACED for s in latest.values()):
            raise BenchError("an order was not placed")
        return elapsed

    async def sync(self, type: SyncType) -> None:
        await self.orchestrator.handle(RequestSync(type, SyncMode.FULL))
        await asyncio.wait_for(self.orchestrator.run_until_idle(), PLACED_TIMEOUT_S)


async def orderable(admin: httpx.AsyncClient) -> tuple[str, DraftLine]:
    """A customer and a line the ERP takes: a product by the piece at its L01 list price
    (any price passes for a product without a price row: it has no floor)."""
    customers = (await admin.get("/api/v1/customers", params={"limit": 1})).json()["items"]
    products = (await admin.get("/api/v1/products", params={"limit": 200})).json()["items"]
    product = next(
        p for p in products if (p["min_qty"] or 1) == 1 and (p["multiple_qty"] or 1) == 1
    )
    prices = (await admin.get("/api/v1/prices", params={"limit": 1000})).json()["items"]
    listed = [p for p in prices if p["product_code"] == product["code"] and p["list_code"] == "L01"]
    price = Decimal(listed[0]["unit_price"]) if listed else Decimal("10.00")  # no row: no floor
    line = DraftLine(product["code"], product["description"], 1, price)
    return customers[0]["code"], line


async def first_products_page(feed: asyncio.Queue[Event]) -> None:
    async with asyncio.timeout(FIRST_PAGE_TIMEOUT_S):
        while True:
            event = await feed.get()
            if event.fields.get("type") != SyncType.PRODUCTS:
                continue
            if event.action == EventAction.SYNC_PROGRESS:
                return
            if event.action in (EventAction.SYNC_COMPLETED, EventAction.SYNC_FAILED):
                raise BenchError("the products sync ended before its first page was seen")


async def measure_policy(
    name: str, policy: OrchestratorConfig, settings: BenchSettings, folder: Path, *, batch: bool
) -> PolicyResult:
    config = DemoErpConfig(
        seed=settings.seed, volumes=settings.volumes, latency=settings.latency, token=TOKEN
    )
    async with AsyncExitStack() as stack:
        url = stack.enter_context(demo_erp(config))
        engine = build_engine(f"sqlite:///{folder / name}.db")
        stack.callback(engine.dispose)
        await asyncio.to_thread(upgrade, engine)
        admin = await stack.enter_async_context(
            httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"})
        )
        shop = Shop(url, engine, policy)
        stack.push_async_callback(shop.aclose)
        await shop.orchestrator.start()
        customer, line = await orderable(admin)
        drafts = [shop.draft(n, customer, line) for n in range(2 + BATCH)]
        idle = await shop.send_and_wait([drafts[0]])
        async with shop.events.subscribe() as feed:
            await shop.orchestrator.handle(RequestSync(SyncType.PRODUCTS, SyncMode.FULL))
            await first_products_page(feed)
        busy = await shop.send_and_wait([drafts[1]])
        await asyncio.wait_for(shop.orchestrator.run_until_idle(), PLACED_TIMEOUT_S)
        (products,) = shop.runs.recent(SyncType.PRODUCTS, limit=1)
        note = f"the products sync then {products.status.value}"
        measured_batch = None
        if batch:
            await admin.delete("/admin/stats")
            seconds = await shop.send_and_wait(drafts[2:])
            stats = (await admin.get("/admin/stats")).json()
            measured_batch = Batch(BATCH, seconds, stats["writes"], stats["requests_total"])
    return PolicyResult(name, idle, busy, note, measured_batch)


# -- the report ---------------------------------------------------------------------------------


def targets(ours: PolicyResult, base: PolicyResult) -> list[Target]:
    found = [
        Target(f"{case} erpsync <= {TARGET_SECONDS} s", f"{s:.2f} s", s <= TARGET_SECONDS)
        for case, s in (("(a)", ours.idle_s), ("(b)", ours.busy_s))
    ]
    ratio = base.busy_s / ours.busy_s if ours.busy_s > 0 else 0.0
    found.append(
        Target(
            f"(b) baseline / erpsync >= {TARGET_RATIO:.0f}x", f"{ratio:.1f}x", ratio >= TARGET_RATIO
        )
    )
    return found


def report(settings: BenchSettings, ours: PolicyResult, base: PolicyResult) -> list[str]:
    v = settings.volumes
    lines = [
        f"orders to the ERP, demo ERP ({settings.latency.value} latency) over HTTP, SQLite outbox, "
        f"seed {settings.seed}; {v.products:,} products in the running sync",
        "",
        'time from "Invia" until the draft shows the ERP\'s number',
        f"{'case':<32}{'erpsync':>10}{'baseline':>11}{'ratio':>9}",
    ]
    for label, mine, theirs in (
        ("(a) idle", ours.idle_s, base.idle_s),
        ("(b) full products sync running", ours.busy_s, base.busy_s),
    ):
        ratio = f"{theirs / mine:.1f}x" if mine > 0 else "-"
        lines.append(f"{label:<32}{mine:>8.2f} s{theirs:>9.2f} s{ratio:>9}")
    lines += [f"{'':<4}erpsync: {ours.note}; baseline: {base.note}"]
    if ours.batch is not None:
        b = ours.batch
        lines += [
            "",
            f'"Invia tutte" of {b.orders} drafts: all placed in {b.seconds:.2f} s '
            f"({b.seconds / b.orders * 1000:.0f} ms an order), "
            f"{b.writes_per_order:.2f} ERP write requests an order, {b.erp_reads} reads",
        ]
    checked = targets(ours, base)
    lines += ["", f"{'target':<40}{'measured':>10}  met"]
    lines += [f"{t.label:<40}{t.measured:>10}  {'yes' if t.met else 'NO'}" for t in checked]
    missed = [t for t in checked if not t.met]
    lines.append("")
    lines += [f"TARGET MISSED: {t.label} (measured {t.measured})" for t in missed] or [
        "all targets met"
    ]
    return lines


async def measure(settings: BenchSettings, folder: Path) -> tuple[PolicyResult, PolicyResult]:
    ours = await measure_policy("erpsync", POLICIES["erpsync"], settings, folder, batch=True)
    base = await measure_policy("baseline", POLICIES["baseline"], settings, folder, batch=False)
    return ours, base


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller volumes, for a smoke run")
    parser.add_argument("--seed", type=int, default=7, help="the demo ERP's seed")
    parser.add_argument("--verbose", action="store_true", help="log every coordination step")
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    settings = BenchSettings(seed=args.seed, volumes=QUICK_VOLUMES if args.quick else Volumes())
    with tempfile.TemporaryDirectory(prefix="erpsync-bench-orders-") as folder:
        ours, base = asyncio.run(measure(settings, Path(folder)))
    print("\n".join(report(settings, ours, base)))


if __name__ == "__main__":
    main()
