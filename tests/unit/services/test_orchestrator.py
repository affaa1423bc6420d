"""The orchestrator on a fake clock: SPEC scenarios 1-9 and the order-form rules."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from erpsync.domain.answers import RequestOutcome, SmartSyncStatus
from erpsync.domain.catalog import SPECS
from erpsync.domain.commands import ChangeSchedule, RequestAll
from erpsync.domain.dispatch import YieldReason
from erpsync.domain.runs import RunStatus
from erpsync.domain.types import SyncMode, SyncType, Trigger, TypeSchedule
from erpsync.errors import InvalidScheduleError
from erpsync.services.orchestrator import Orchestrator
from erpsync.services.orchestrator_config import OrchestratorConfig
from erpsync.services.sync_runner import SyncRunner
from tests.unit.services.conftest import PAGED, T0, VOLUMES, World

BY_PRIORITY = [
    SyncType.ORDERS,
    SyncType.CUSTOMERS,
    SyncType.DDT,
    SyncType.INVOICES,
    SyncType.PRICES,
    SyncType.PRODUCTS,
]


async def test_requests_at_once_run_one_at_a_time_in_priority_order(world: World) -> None:
    orch = world.orchestrator
    world.source.gate(SyncType.PRODUCTS)
    first = await world.request(SyncType.PRODUCTS)
    answers = [await world.request(t) for t in reversed(BY_PRIORITY[:-1])]

    assert first.outcome == RequestOutcome.STARTED
    assert [a.outcome for a in answers] == [RequestOutcome.QUEUED] * 5
    assert [a.position for a in answers] == [1, 1, 1, 1, 1]
    assert world.queued() == BY_PRIORITY[:-1]

    world.source.open(SyncType.PRODUCTS)
    await orch.run_until_idle()

    assert world.started() == [SyncType.PRODUCTS, *BY_PRIORITY[:-1]]
    starts_and_ends = [
        e.action for e in world.actions("sync_started", "sync_completed", "sync_resumed")
    ]
    assert starts_and_ends == ["sync_started", "sync_completed"] * 6, "never two at once"


async def test_all_six_types_really_sync(world: World) -> None:
    await world.orchestrator.handle(RequestAll())
    await world.orchestrator.run_until_idle()
    for type in SyncType:
        assert world.mirror.count(SPECS[type]) == VOLUMES.of(type)
    completed = world.actions("sync_completed")
    assert {e.fields["type"] for e in completed} == set(SyncType)
    assert all(e.fields["inserted"] == VOLUMES.of(e.fields["type"]) for e in completed)


async def test_a_request_for_a_queued_type_merges_keeping_the_stronger_mode(
    world: World,
) -> None:
    world.source.gate(SyncType.ORDERS)
    await world.request(SyncType.ORDERS)
    await world.request(SyncType.PRICES, SyncMode.INCREMENTAL)
    merged = await world.request(SyncType.PRICES, SyncMode.FULL)
    again = await world.request(SyncType.PRICES, SyncMode.INCREMENTAL)

    assert merged.outcome == again.outcome == RequestOutcome.MERGED
    assert len(world.snapshot().queue) == 1
    assert world.snapshot().queue[0].mode == SyncMode.FULL


async def test_a_request_for_the_running_type_merges_into_it(world: World) -> None:
    world.source.gate(SyncType.ORDERS)
    await world.request(SyncType.ORDERS, SyncMode.FULL)
    answer = await world.request(SyncType.ORDERS)
    assert answer.outcome == RequestOutcome.MERGED
    assert len(world.snapshot().queue) == 0


async def test_the_coordination_steps_are_logged(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    orch = world.orchestrator
    world.source.gate(SyncType.ORDERS)
    await world.request(SyncType.ORDERS)
    await world.request(SyncType.PRICES)
    await world.request(SyncType.PRICES)
    world.source.open(SyncType.ORDERS)
    await orch.run_until_idle()
    messages = [r.getMessage() for r in caplog.records if r.name == "erpsync.coordination"]
    text = "\n".join(messages)
    for step in (
        "action=sync_requested type=orders",
        "action=sync_queued type=prices mode=incremental position=1",
        "action=sync_merged type=prices",
        "action=sync_started type=orders",
        "action=sync_completed type=prices",
    ):
        assert step in text
    completed = next(m for m in messages if m.startswith("action=sync_completed type=prices"))
    assert "inserted=20" in completed and "duration_s=" in completed


class TestSchedule:
    @pytest.fixture
    def orchestrator_config(self) -> OrchestratorConfig:
        # the starvation guard is left out of these (see TestBusySalesForce)
        return OrchestratorConfig(
            scheduler=True, full_sync_every=timedelta(days=30), starvation_budget=1000
        )

    async def test_the_staggered_schedule_fires_at_the_approved_offsets_and_intervals(
        self, world: World
    ) -> None:
        orch = world.orchestrator
        anchor = world.snapshot().anchor
        for _minute in range(3 * 60 + 1):
            await orch.run_until_idle()
            await world.clock.advance(60)
        fired: dict[SyncType, list[float]] = {t: [] for t in SyncType}
        for event in world.actions("sync_requested"):
            if event.fields["trigger"] == "schedule":
                fired[event.fields["type"]].append((event.at - anchor).total_seconds() / 60)
        assert fired[SyncType.ORDERS] == [float(m) for m in range(0, 181, 10)]
        assert fired[SyncType.CUSTOMERS] == [5.0, 35.0, 65.0, 95.0, 125.0, 155.0]
        assert fired[SyncType.PRICES] == [10.0, 40.0, 70.0, 100.0, 130.0, 160.0]
        assert fired[SyncType.INVOICES] == [15.0, 45.0, 75.0, 105.0, 135.0, 165.0]
        assert fired[SyncType.DDT] == [20.0, 65.0, 110.0, 155.0]
        assert fired[SyncType.PRODUCTS] == [30.0, 120.0]
        started = [e for e in world.actions("sync_started") if e.fields["trigger"] == "schedule"]
        assert len(started) == sum(len(v) for v in fired.values())

    async def test_the_first_scheduled_run_is_full_and_later_ones_incremental(
        self, world: World
    ) -> None:
        orch = world.orchestrator
        await orch.run_until_idle()
        await world.clock.advance(600)
        await orch.run_until_idle()
        modes = [
            e.fields["mode"]
            for e in world.actions("sync_completed")
            if e.fields["type"] == "orders"
        ]
        assert modes == [SyncMode.FULL, SyncMode.INCREMENTAL]

    async def test_ticks_that_come_due_while_the_type_is_queued_are_merged(
        self, world: World
    ) -> None:
        orch = world.orchestrator
        await world.open_form("tab-0000001")
        for _ in range(35):  # 35 minutes with the form open: orders come due 3 more times
            await world.clock.advance(60)
            await world.ping("tab-0000001", active=True)
            await orch.run_until_idle()
        assert world.queued().count(SyncType.ORDERS) == 1
        merged = [e for e in world.actions("sync_merged") if e.fields["type"] == "orders"]
        assert len(merged) == 3
        await world.close_form("tab-0000001")
        await orch.run_until_idle()
        assert not world.snapshot().queue

    async def test_a_schedule_change_applies_at_once_and_is_persisted(self, world: World) -> None:
        orch = world.orchestrator
        await orch.run_until_idle()
        entry = TypeSchedule(SyncType.PRODUCTS, 7, timedelta(minutes=15), timedelta(0))
        changed = await orch.handle(ChangeSchedule(entry))
        assert changed.entry == entry
        assert world.schedules.load()[SyncType.PRODUCTS] == entry
        assert world.snapshot().schedule[SyncType.PRODUCTS].priority == 7
        await world.clock.advance(15 * 60)
        await orch.run_until_idle()
        fired = [e.at for e in world.actions("sync_requested") if e.fields["type"] == "products"]
        assert fired == [world.snapshot().anchor + timedelta(minutes=15)]

    async def test_a_schedule_entry_out_of_limits_is_refused_and_changes_nothing(
        self, world: World
    ) -> None:
        entry = TypeSchedule(SyncType.DDT, 4, timedelta(seconds=5), timedelta(0))
        with pytest.raises(InvalidScheduleError, match="interval"):
            await world.orchestrator.handle(ChangeSchedule(entry))
        assert world.schedules.load() == {}
        assert world.snapshot().schedule[SyncType.DDT].interval == timedelta(minutes=45)


class TestOrderForm:
    async def test_two_tabs_count_twice_and_syncs_resume_with_the_last(self, world: World) -> None:
        orch = world.orchestrator
        await world.open_form("tab-0000001")
        assert (world.snapshot().sessions, world.snapshot().paused) == (1, True)
        await world.open_form("tab-0000002")
        assert world.snapshot().sessions == 2
        await world.open_form("tab-0000002")
        assert world.snapshot().sessions == 2, "the same tab registering twice counts once"
        await world.request(SyncType.PRICES)
        await orch.run_until_idle()
        assert SyncType.PRICES in world.queued()

        await world.close_form("tab-0000001")
        await orch.run_until_idle()
        assert (world.snapshot().sessions, world.snapshot().paused) == (1, True)
        assert SyncType.PRICES in world.queued()

        await world.close_form("tab-0000002")
        await orch.run_until_idle()
        assert (world.snapshot().sessions, world.snapshot().paused) == (0, False)
        assert SyncType.PRICES not in world.queued()
        assert world.mirror.count(SPECS[SyncType.PRICES]) == VOLUMES.prices

    async def test_paused_requests_run_in_priority_order_when_the_pause_ends(
        self, world: World
    ) -> None:
        orch = world.orchestrator
        await world.open_form("tab-0000001")
        for type in (SyncType.PRODUCTS, SyncType.PRICES, SyncType.ORDERS, SyncType.CUSTOMERS):
            await world.request(type)
        await orch.run_until_idle()
        assert world.started() == [SyncType.CUSTOMERS, SyncType.CUSTOMERS]
        await world.close_form("tab-0000001")
        await orch.run_until_idle()
        assert world.started()[2:] == [SyncType.ORDERS, SyncType.PRICES, SyncType.PRODUCTS]

    async def test_smart_sync_fetches_only_recent_customers(self, world: World) -> None:
        first = await world.open_form("tab-0000001")
        assert first.mode == SyncMode.FULL, "an empty mirror needs a full customer sync"
        assert first.inserted == VOLUMES.customers
        await world.close_form("tab-0000001")
        await world.clock.advance(3600)
        created = await world.demo.post(
            "/admin/customers", json={"code": "C-NEW-1", "name": "Cliente Nuovo S.r.l."}
        )
        created.raise_for_status()

        second = await world.open_form("tab-0000002")

        assert second.mode == SyncMode.INCREMENTAL
        assert second.status == RunStatus.COMPLETED
        assert second.inserted == 1
        assert second.fetched < 5
        assert world.mirror.get(SPECS[SyncType.CUSTOMERS], "C-NEW-1") is not None

    async def test_tabs_that_open_while_a_smart_sync_runs_share_one_follow_up(
        self, world: World
    ) -> None:
        world.source.gate(SyncType.CUSTOMERS)
        one = asyncio.create_task(world.open_form("tab-0000001"))
        await world.until(world.blocked_on(SyncType.CUSTOMERS), "the first smart sync fetches")
        await world.clock.advance(1)
        opened_at = world.clock.now()
        two = asyncio.create_task(world.open_form("tab-0000002"))
        three = asyncio.create_task(world.open_form("tab-0000003"))
        await world.settle()
        world.source.open(SyncType.CUSTOMERS)
        first, second, third = await asyncio.gather(one, two, three)

        assert second == third, "the forms opened meanwhile share one follow-up"
        assert second.run_id != first.run_id
        follow_up = world.runs.get(second.run_id or 0)
        assert follow_up.started_at >= opened_at, "never an answer older than the form"
        assert len(world.actions("smart_sync_completed")) == 2, "a burst costs at most two"
        requested = world.actions("smart_sync_requested")
        assert [(e.fields["session"], e.fields["follow_up"]) for e in requested] == [
            ("tab-0000001", False),
            ("tab-0000002", True),
        ]
        assert [e.fields["session"] for e in world.actions("smart_sync_joined")] == ["tab-0000003"]

    async def test_a_form_opened_right_after_another_still_finds_a_customer_created_between(
        self, world: World
    ) -> None:
        first = await world.open_form("tab-0000001")
        await world.clock.advance(1)
        created = await world.demo.post(
            "/admin/customers", json={"code": "C-NEW-2", "name": "Appena Creato S.r.l."}
        )
        created.raise_for_status()
        second = await world.open_form("tab-0000002")
        assert second.run_id != first.run_id, "a new smart sync, not the previous answer"
        assert (second.status, second.inserted) == (SmartSyncStatus.COMPLETED, 1)
        assert world.mirror.get(SPECS[SyncType.CUSTOMERS], "C-NEW-2") is not None

    async def test_a_hung_erp_gets_the_form_an_honest_answer_in_time_and_the_sync_goes_on(
        self, world: World
    ) -> None:
        await world.open_form("tab-0000000")
        await world.close_form("tab-0000000")
        world.source.gate(SyncType.CUSTOMERS)  # the ERP stops answering
        await world.clock.advance(60)
        form = asyncio.create_task(world.open_form("tab-0000001"))
        await world.until(world.blocked_on(SyncType.CUSTOMERS), "the smart sync waits")
        await world.clock.advance(4.9)
        assert not form.done()
        await world.clock.advance(0.2)
        answer = await asyncio.wait_for(form, 5)
        assert answer.status == SmartSyncStatus.TIMED_OUT
        assert answer.error is not None and "local" in answer.error
        assert answer.duration_s == 5.0, "answered at the bound, not later"
        [timed_out] = world.actions("smart_sync_timed_out")
        assert timed_out.fields["session"] == "tab-0000001"
        running = world.snapshot().running
        assert running is not None and running.smart, "it goes on in the background"

        world.source.open(SyncType.CUSTOMERS)
        await world.orchestrator.run_until_idle()
        last = world.snapshot().last_smart
        assert last is not None and last.status == SmartSyncStatus.COMPLETED

    async def test_smart_sync_preempts_a_long_sync_which_later_resumes_from_its_checkpoint(
        self, world: World
    ) -> None:
        orch = world.orchestrator
        await world.open_form("tab-0000000")  # customers mirrored once
        await world.close_form("tab-0000000")
        world.source.gate(SyncType.PRODUCTS)
        await world.request(SyncType.PRODUCTS, SyncMode.FULL)
        world.source.release(SyncType.PRODUCTS, 3)
        await world.until(lambda: len(world.source.fetches) >= 6, "3 pages of products")
        await world.until(world.blocked_on(SyncType.PRODUCTS), "products waits for page 4")
        await world.clock.advance(60)
        smart = asyncio.create_task(world.open_form("tab-0000001"))
        await world.settle()
        assert not smart.done(), "the products page in flight finishes first"
        world.source.release(SyncType.PRODUCTS, 1)
        result = await smart

        assert result.status == RunStatus.COMPLETED
        preempted = world.actions("sync_preempted")
        assert [e.fields["type"] for e in preempted] == [SyncType.PRODUCTS]
        pages_before = preempted[0].fields["pages"]
        assert pages_before == 4, "at most one more page of products after the smart sync came"
        assert SyncType.PRODUCTS in world.queued()

        await world.close_form("tab-0000001")
        world.source.open(SyncType.PRODUCTS)
        await orch.run_until_idle()

        resumed = world.actions("sync_resumed")
        assert [(e.fields["type"], e.fields["from_page"]) for e in resumed] == [
            (SyncType.PRODUCTS, pages_before)
        ]
        products = [r for r in world.runs.recent(SyncType.PRODUCTS)]
        assert len(products) == 1, "the same run continued"
        assert products[0].status == RunStatus.COMPLETED
        assert products[0].counts.inserted == VOLUMES.products
        assert products[0].counts.fetched == VOLUMES.products, "no page fetched twice"
        assert world.mirror.count(SPECS[SyncType.PRODUCTS]) == VOLUMES.products

    async def test_a_pause_stops_a_running_sync_at_its_next_page(self, world: World) -> None:
        await world.open_form("tab-0000000")
        await world.close_form("tab-0000000")
        world.source.gate(SyncType.PRODUCTS)
        world.source.gate(SyncType.CUSTOMERS)
        await world.request(SyncType.PRODUCTS, SyncMode.FULL)
        world.source.release(SyncType.PRODUCTS, 2)
        await world.until(world.blocked_on(SyncType.PRODUCTS), "products waits for page 3")
        await world.clock.advance(60)
        form = asyncio.create_task(world.open_form("tab-0000001"))
        await world.settle()
        running = world.snapshot().running
        assert running is not None
        assert running.stopping == YieldReason.FORMS_OPEN, "the form's pause comes first"
        world.source.release(SyncType.PRODUCTS, 1)
        await world.until(
            lambda: world.source.waiting.get(SyncType.CUSTOMERS, 0) > 0,
            "products stops at the page boundary and the smart sync starts",
        )
        preempted = world.actions("sync_preempted")
        assert [e.fields["reason"] for e in preempted] == [YieldReason.FORMS_OPEN]
        assert SyncType.PRODUCTS in world.queued()
        assert not world.snapshot().eligible(SyncType.PRODUCTS)
        world.source.open(SyncType.CUSTOMERS)
        await form


class TestRestart:
    @pytest.fixture
    def orchestrator_config(self) -> OrchestratorConfig:
        return OrchestratorConfig(scheduler=True)

    async def test_a_restart_remembers_recent_full_syncs_so_it_does_not_redo_them(
        self, world: World
    ) -> None:
        runs = world.runs
        done = runs.start(
            SyncType.PRICES, SyncMode.FULL, trigger=Trigger.SCHEDULE, since=None, at=T0
        )
        runs.complete(done.id, T0)
        orch = world.orchestrator
        await orch.start()
        assert world.snapshot().last_full == {SyncType.PRICES: T0}
        await world.clock.advance(10 * 60)  # orders come due at T+0, prices at T+10
        await orch.run_until_idle()
        scheduled = {
            e.fields["type"]: e.fields["mode"]
            for e in world.actions("sync_requested")
            if e.fields["trigger"] == Trigger.SCHEDULE
        }
        assert scheduled[SyncType.PRICES] == SyncMode.INCREMENTAL
        assert scheduled[SyncType.ORDERS] == SyncMode.FULL


async def test_a_run_left_running_by_a_dead_process_is_resumed_by_the_next_one(
    world: World,
) -> None:
    world.source.gate(SyncType.PRODUCTS)
    await world.request(SyncType.PRODUCTS, SyncMode.FULL)
    world.source.release(SyncType.PRODUCTS, 2)
    await world.until(
        lambda: (r := world.snapshot().running) is not None and r.pages == 2,
        "two pages of products are written, the third is awaited",
    )
    await world.orchestrator.stop(grace_s=0)  # the process dies: nobody ends the run
    [left] = world.runs.recent(SyncType.PRODUCTS)
    assert left.status == RunStatus.RUNNING

    world.source.open(SyncType.PRODUCTS)
    successor = Orchestrator(
        SyncRunner(world.source, world.mirror, world.runs, world.clock, specs=PAGED),
        world.schedules,
        world.clock,
        world.events,
        OrchestratorConfig(scheduler=False),
    )
    await successor.start()
    queued = successor.snapshot().queue
    assert [(q.type, q.trigger) for q in queued] == [(SyncType.PRODUCTS, Trigger.RESUME)]
    await successor.run_until_idle()
    await successor.stop()

    [run] = world.runs.recent(SyncType.PRODUCTS)
    assert run.id == left.id, "the same run went on"
    assert run.status == RunStatus.COMPLETED
    assert world.mirror.count(SPECS[SyncType.PRODUCTS]) == VOLUMES.products
    resumed = world.actions("sync_resumed")
    assert [(e.fields["type"], e.fields["from_page"]) for e in resumed] == [(SyncType.PRODUCTS, 2)]
    assert len(run.segments) == 2, "it ran in two stretches: before the crash and after"


async def test_what_a_smart_sync_brings_in_the_middle_of_a_full_sync_survives_its_sweep(
    world: World,
) -> None:
    """The daily full customer sync gives way to a form's smart sync after two pages; the
    smart sync brings a customer of the first page, changed since, and one created with a code
    before every other. When the full sync ends it marks deleted what it did not see, which is
    not those: the ERP serves items by ``updated_at`` (the source contract), so what changed
    while the full sync went on comes again on its later pages."""
    await world.open_form("tab-0000000")  # customers mirrored once
    await world.close_form("tab-0000000")
    spec = SPECS[SyncType.CUSTOMERS]
    first = (await world.demo.get("/api/v1/customers", params={"limit": 1})).json()["items"][0]
    world.source.gate(SyncType.CUSTOMERS)
    await world.request(SyncType.CUSTOMERS, SyncMode.FULL)
    world.source.release(SyncType.CUSTOMERS, 2)
    await world.until(world.blocked_on(SyncType.CUSTOMERS), "the full sync waits for page 3")
    await world.clock.advance(60)
    changed = await world.demo.patch(f"/admin/customers/{first['code']}", json={"city": "Lecce"})
    changed.raise_for_status()
    created = await world.demo.post(
        "/admin/customers", json={"code": "C-NEW-3", "name": "Nata Ieri S.r.l."}
    )
    created.raise_for_status()

    smart = asyncio.create_task(world.open_form("tab-0000001"))
    await world.settle()
    world.source.release(SyncType.CUSTOMERS, 2)  # the full sync's page 3, the smart sync's
    result = await smart
    assert result.status == RunStatus.COMPLETED and result.inserted == 1
    assert [e.fields["type"] for e in world.actions("sync_preempted")] == [SyncType.CUSTOMERS]
    await world.close_form("tab-0000001")
    world.source.open(SyncType.CUSTOMERS)
    await world.orchestrator.run_until_idle()

    full = world.runs.recent(SyncType.CUSTOMERS)[1]
    assert full.mode == SyncMode.FULL and full.status == RunStatus.COMPLETED
    assert full.counts.deleted == 0
    assert full.counts.fetched == VOLUMES.customers + 2, "the changed one twice, the new one"
    assert world.mirror.count(spec) == VOLUMES.customers + 1
    kept = world.mirror.get(spec, first["code"])
    assert kept is not None and kept["deleted_at"] is None and kept["city"] == "Lecce"
    new = world.mirror.get(spec, "C-NEW-3")
    assert new is not None and new["deleted_at"] is None
