"""SPEC §2.11 and scenario 17: with some order form open at every moment, every type still
syncs, in the gaps between smart syncs, and gives way to each of them."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from erpsync.domain.dispatch import YieldReason
from erpsync.domain.types import DEFAULT_SCHEDULE, SyncMode, SyncType, Trigger
from erpsync.services.orchestrator_config import OrchestratorConfig
from tests.unit.services.conftest import World

HOURS = 6
FORMS_AT_ONCE = 3


@pytest.fixture
def orchestrator_config() -> OrchestratorConfig:
    return OrchestratorConfig(
        scheduler=True,
        lease_ttl=timedelta(minutes=10),
        safety_timeout=timedelta(minutes=30),
        full_sync_every=timedelta(days=30),
    )


async def test_a_busy_sales_force_starves_no_type(world: World) -> None:
    """A new form every minute, each open for three: never a moment without one."""
    orch = world.orchestrator
    await orch.start()
    open_tabs: list[str] = []
    for minute in range(HOURS * 60):
        tab = f"tab-{minute:07d}"
        await world.open_form(tab)
        open_tabs.append(tab)
        if len(open_tabs) > FORMS_AT_ONCE:
            await world.close_form(open_tabs.pop(0))
        assert world.snapshot().paused, "some form is open at every moment"
        await orch.run_until_idle()
        await world.clock.advance(60)

    anchor = world.snapshot().anchor
    for type in SyncType:
        done = [
            e.at
            for e in world.actions("sync_completed")
            if e.fields["type"] == type and e.fields["trigger"] != Trigger.SMART
        ]
        interval = DEFAULT_SCHEDULE[type].interval
        assert done, f"{type} never synced"
        gaps = [b - a for a, b in zip([anchor, *done], done, strict=False)]
        limit = interval * 2 + interval + timedelta(minutes=2)
        assert max(gaps) <= limit, f"{type} waited {max(gaps)} (its budget is {interval * 2})"
    overdue = {e.fields["type"] for e in world.actions("sync_overdue")}
    assert overdue == set(SyncType) - {SyncType.CUSTOMERS}, "they ran because they were overdue"
    assert all(e.fields["sessions"] >= 1 for e in world.actions("sync_overdue"))


class TestWithoutTheSchedule:
    @pytest.fixture
    def orchestrator_config(self) -> OrchestratorConfig:
        return OrchestratorConfig(
            scheduler=False, lease_ttl=timedelta(hours=4), safety_timeout=timedelta(hours=4)
        )

    async def test_an_overdue_sync_gives_way_to_a_smart_sync_and_goes_on_afterwards(
        self, world: World
    ) -> None:
        await overdue_gives_way(world)

    async def test_a_sync_preempted_by_a_form_runs_once_overdue_though_nothing_else_happens(
        self, world: World
    ) -> None:
        """Back in the queue with its first request's time, it becomes overdue later: the loop
        must wake then by itself (no heartbeat, no request, the lease hours away)."""
        orch = world.orchestrator
        await orch.start()
        world.source.gate(SyncType.PRODUCTS)
        await world.request(SyncType.PRODUCTS, SyncMode.FULL)
        world.source.release(SyncType.PRODUCTS, 1)
        await world.until(world.blocked_on(SyncType.PRODUCTS), "products under way")
        opened = asyncio.create_task(world.open_form("tab-0000000"))
        world.source.release(SyncType.PRODUCTS, 1)  # the page in flight: then it gives way
        await opened
        await world.until(lambda: world.queued() == [SyncType.PRODUCTS], "back in the queue")
        await world.settle()
        assert world.snapshot().running is None, "held back by the open form"
        await world.clock.advance(2 * 90 * 60)
        await world.until(
            lambda: (r := world.snapshot().running) is not None and r.overdue, "it runs, overdue"
        )
        world.source.open(SyncType.PRODUCTS)
        await orch.run_until_idle()
        [products] = world.runs.recent(SyncType.PRODUCTS)
        assert products.status == "completed"


async def overdue_gives_way(world: World) -> None:
    orch = world.orchestrator
    await orch.start()  # its loop notices when a held sync becomes overdue
    await world.open_form("tab-0000000")  # customers mirrored; the form stays open
    await world.request(SyncType.PRODUCTS, SyncMode.FULL)
    world.source.gate(SyncType.PRODUCTS)
    assert world.queued() == [SyncType.PRODUCTS], "held back by the open form"
    await world.clock.advance(2 * 90 * 60)  # twice the products interval
    await world.ping("tab-0000000", active=True)
    world.source.release(SyncType.PRODUCTS, 2)
    await world.until(
        lambda: (r := world.snapshot().running) is not None and r.pages == 2,
        "the overdue products sync runs though a form is open",
    )
    running = world.snapshot().running
    assert running is not None and running.overdue and running.stopping is None
    [overdue] = world.actions("sync_overdue")
    assert overdue.fields["held_s"] == 2 * 90 * 60

    smart = asyncio.create_task(world.open_form("tab-0000001"))
    await world.settle()
    world.source.release(SyncType.PRODUCTS, 1)
    result = await smart
    assert result.status == "completed"
    [preempted] = world.actions("sync_preempted")
    assert preempted.fields["reason"] == YieldReason.SMART_SYNC
    await world.until(
        lambda: bool(world.actions("sync_resumed")),
        "its wait kept counting: still overdue, it goes on at once though forms are open",
    )
    running = world.snapshot().running
    assert running is not None and running.type == SyncType.PRODUCTS and running.overdue
    assert world.snapshot().sessions == 2

    world.source.open(SyncType.PRODUCTS)
    await orch.run_until_idle()
    assert world.queued() == []
    [products] = world.runs.recent(SyncType.PRODUCTS)
    assert products.status == "completed"
    assert len(products.segments) == 2


class TestFormsBackToBack:
    @pytest.fixture
    def orchestrator_config(self) -> OrchestratorConfig:
        return OrchestratorConfig(
            scheduler=False, lease_ttl=timedelta(hours=4), safety_timeout=timedelta(hours=4)
        )

    async def test_an_overdue_sync_takes_turns_with_smart_syncs_that_never_leave_a_gap(
        self, world: World
    ) -> None:
        """A large sales force: the next form opens while each smart sync runs, so a smart
        sync is always waiting. The overdue sync still gets a page between two of them."""
        orch = world.orchestrator
        await orch.start()
        await world.open_form("tab-0000000")
        await world.request(SyncType.PRODUCTS, SyncMode.FULL)
        world.source.gate(SyncType.PRODUCTS)
        world.source.gate(SyncType.CUSTOMERS)
        await world.clock.advance(2 * 90 * 60)
        await world.ping("tab-0000000", active=True)
        await world.until(world.blocked_on(SyncType.PRODUCTS), "the overdue sync has begun")

        forms = [asyncio.create_task(world.open_form(f"tab-000000{n}")) for n in (1,)]
        await world.settle()
        world.source.release(SyncType.PRODUCTS, 1)  # its page in flight; then it gives way
        await world.until(world.blocked_on(SyncType.CUSTOMERS), "smart sync 1 runs")
        forms.append(asyncio.create_task(world.open_form("tab-0000002")))  # one more waits
        await world.settle()
        world.source.release(SyncType.CUSTOMERS, 1)
        await world.until(world.blocked_on(SyncType.PRODUCTS), "products has its turn")
        running = world.snapshot().running
        assert running is not None and running.type == SyncType.PRODUCTS
        assert running.stopping == YieldReason.SMART_SYNC, "and gives way after this page"
        world.source.release(SyncType.PRODUCTS, 1)
        await world.until(world.blocked_on(SyncType.CUSTOMERS), "smart sync 2 runs")
        world.source.open(SyncType.CUSTOMERS)
        world.source.open(SyncType.PRODUCTS)
        for form in forms:
            assert (await form).status == "completed"
        await orch.run_until_idle()
        steps = [
            (e.action.value, e.fields.get("type"))
            for e in world.actions(
                "sync_started", "sync_resumed", "sync_preempted", "smart_sync_completed"
            )
        ]
        assert steps[-7:] == [
            ("sync_started", SyncType.CUSTOMERS),  # smart sync 1
            ("smart_sync_completed", None),
            ("sync_resumed", SyncType.PRODUCTS),  # its turn: one page
            ("sync_preempted", SyncType.PRODUCTS),
            ("sync_started", SyncType.CUSTOMERS),  # smart sync 2
            ("smart_sync_completed", None),
            ("sync_resumed", SyncType.PRODUCTS),  # nothing waits: it runs to its end
        ]
        [products] = world.runs.recent(SyncType.PRODUCTS)
        assert products.status == "completed"
