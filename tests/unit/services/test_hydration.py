"""The cold start on a fake clock (SPEC §2.14): an empty mirror is hydrated at once, in priority
order, while the staggered grid keeps hanging on T."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from erpsync.codec import decode, encode
from erpsync.domain.catalog import SPECS
from erpsync.domain.dispatch import WaitReason
from erpsync.domain.hydration import HydrationState
from erpsync.domain.runs import SyncRun
from erpsync.domain.snapshot import Snapshot
from erpsync.domain.types import DEFAULT_SCHEDULE, SyncMode, SyncType, Trigger
from erpsync.errors import ErpUnavailableError, ErrorKind
from erpsync.ports import SourcePage, SyncJob
from erpsync.services.orchestrator import Orchestrator
from erpsync.services.orchestrator_config import OrchestratorConfig
from erpsync.services.status import build_report
from erpsync.services.sync_runner import SyncRunner
from erpsync.web.sync_json import status_json
from tests.unit.services.conftest import PAGED, T0, VOLUMES, World
from tests.unit.services.test_status import ROLE

BY_PRIORITY = [
    SyncType.ORDERS,
    SyncType.CUSTOMERS,
    SyncType.DDT,
    SyncType.INVOICES,
    SyncType.PRICES,
    SyncType.PRODUCTS,
]
#: Where the grid of SPEC §1 puts each type's first run after T.
ON_THE_GRID = {
    t: T0 + (DEFAULT_SCHEDULE[t].offset or DEFAULT_SCHEDULE[t].interval) for t in SyncType
}


@pytest.fixture
def orchestrator_config() -> OrchestratorConfig:
    return OrchestratorConfig(
        scheduler=True,
        hydrate_on_start=True,
        full_sync_every=timedelta(days=30),
        starvation_budget=1000,
    )


def hydrated(world: World) -> list[SyncType]:
    return [
        e.fields["type"]
        for e in world.actions("sync_started")
        if e.fields["trigger"] == Trigger.HYDRATION
    ]


def successor(world: World, config: OrchestratorConfig) -> Orchestrator:
    """The next start of the service, on the same stores."""
    runner = SyncRunner(world.source, world.mirror, world.runs, world.clock, specs=PAGED)
    return Orchestrator(runner, world.schedules, world.clock, world.events, config)


async def test_an_empty_mirror_is_hydrated_at_once_in_priority_order_off_the_grid(
    world: World,
) -> None:
    orch = world.orchestrator
    await orch.start()
    await orch.run_until_idle()

    assert world.clock.now() == T0, "no time had to pass"
    assert world.started() == BY_PRIORITY
    assert hydrated(world) == BY_PRIORITY
    assert {e.fields["mode"] for e in world.actions("sync_started")} == {SyncMode.FULL}
    for type in SyncType:
        assert world.mirror.count(SPECS[type]) == VOLUMES.of(type)
    [tick] = [e for e in world.actions("sync_merged") if e.fields["type"] == SyncType.ORDERS]
    assert tick.at == T0, "the orders tick at T merged into the orders' hydration"
    assert world.snapshot().next_runs == ON_THE_GRID

    hydration = world.snapshot().hydration
    assert hydration is not None and not hydration.active
    assert (hydration.types, hydration.done, hydration.ended_at) == (
        tuple(BY_PRIORITY),
        tuple(BY_PRIORITY),
        T0,
    )
    [began] = world.actions("hydration_started")
    assert began.fields["types"] == "orders,customers,ddt,invoices,prices,products"
    [ended] = world.actions("hydration_completed")
    assert (ended.fields["done"], ended.fields["total"], ended.fields["failed"]) == (6, 6, None)


async def test_then_the_grid_takes_over_with_incremental_runs_at_its_own_ticks(
    world: World,
) -> None:
    orch = world.orchestrator
    await orch.start()
    await orch.run_until_idle()
    for _minute in range(30):
        await world.clock.advance(60)
        await orch.run_until_idle()
    scheduled = [
        (e.fields["type"], e.fields["mode"], (e.at - T0) / timedelta(minutes=1))
        for e in world.actions("sync_started")
        if e.fields["trigger"] == Trigger.SCHEDULE
    ]
    assert scheduled == [
        (SyncType.CUSTOMERS, SyncMode.INCREMENTAL, 5),
        (SyncType.ORDERS, SyncMode.INCREMENTAL, 10),
        (SyncType.PRICES, SyncMode.INCREMENTAL, 10),
        (SyncType.INVOICES, SyncMode.INCREMENTAL, 15),
        (SyncType.ORDERS, SyncMode.INCREMENTAL, 20),
        (SyncType.DDT, SyncMode.INCREMENTAL, 20),
        (SyncType.ORDERS, SyncMode.INCREMENTAL, 30),
        (SyncType.PRODUCTS, SyncMode.INCREMENTAL, 30),
    ]
    assert hydrated(world) == BY_PRIORITY, "hydrated once"


async def test_only_the_types_whose_mirror_is_empty_are_hydrated(world: World) -> None:
    runner = SyncRunner(world.source, world.mirror, world.runs, world.clock, specs=PAGED)
    await runner.run(SyncJob(SyncType.CUSTOMERS, SyncMode.FULL, Trigger.MANUAL))
    # the ERP had no invoices: the mirror holds none, but it is up to date
    done = world.runs.start(
        SyncType.INVOICES, SyncMode.FULL, trigger=Trigger.SCHEDULE, since=None, at=T0
    )
    world.runs.complete(done.id, T0)
    # a sync of ddt that failed mirrored nothing: ddt is still empty
    failed = world.runs.start(
        SyncType.DDT, SyncMode.FULL, trigger=Trigger.SCHEDULE, since=None, at=T0
    )
    world.runs.fail(failed.id, T0, ErrorKind.ERP_UNAVAILABLE, "ERP unreachable")

    orch = world.orchestrator
    await orch.start()
    expected = [SyncType.ORDERS, SyncType.DDT, SyncType.PRICES, SyncType.PRODUCTS]
    assert [(q.type, q.trigger) for q in world.snapshot().queue] == [
        (t, Trigger.HYDRATION) for t in expected
    ]
    await orch.run_until_idle()
    assert hydrated(world) == expected
    hydration = world.snapshot().hydration
    assert hydration is not None and hydration.types == tuple(expected)


async def test_a_form_opened_during_hydration_gets_its_smart_sync_and_holds_the_rest(
    world: World,
) -> None:
    orch = world.orchestrator
    world.source.gate(SyncType.ORDERS)
    await orch.start()
    await world.until(world.blocked_on(SyncType.ORDERS), "orders waits for its first page")
    form = asyncio.create_task(world.open_form("tab-0000001"))
    await world.settle()
    world.source.release(SyncType.ORDERS, 1)  # the page in flight, then orders gives way
    result = await form

    assert result.mode == SyncMode.FULL, "the customers mirror was empty"
    assert result.inserted == VOLUMES.customers
    await orch.run_until_idle()  # the customers' own hydration runs too: a form lets it through
    snapshot = world.snapshot()
    held = [SyncType.ORDERS, SyncType.DDT, SyncType.INVOICES, SyncType.PRICES, SyncType.PRODUCTS]
    assert [q.type for q in snapshot.queue] == held
    assert {q.wait.reason for q in snapshot.queue} == {WaitReason.FORMS_OPEN}
    assert snapshot.hydration_state(SyncType.CUSTOMERS) == HydrationState.DONE
    assert {snapshot.hydration_state(t) for t in held} == {HydrationState.PENDING}
    assert world.actions("sync_preempted")[0].fields["type"] == SyncType.ORDERS

    await world.close_form("tab-0000001")
    world.source.open(SyncType.ORDERS)
    await orch.run_until_idle()
    hydration = world.snapshot().hydration
    assert hydration is not None and not hydration.active
    assert set(hydration.done) == set(SyncType)
    # orders, given way to the smart sync; then the customers' own hydration, which a form lets
    # through; the rest (orders from its checkpoint) once the form is closed
    assert world.started() == [SyncType.ORDERS, SyncType.CUSTOMERS, SyncType.CUSTOMERS, *held]
    [resumed] = world.actions("sync_resumed")
    assert (resumed.fields["type"], resumed.fields["from_page"]) == (SyncType.ORDERS, 1)


async def test_a_restart_after_the_hydration_hydrates_nothing(
    world: World, orchestrator_config: OrchestratorConfig
) -> None:
    await world.orchestrator.start()
    await world.orchestrator.run_until_idle()
    await world.orchestrator.stop()

    again = successor(world, orchestrator_config)
    await again.start()
    try:
        assert again.snapshot().hydration is None
        assert Trigger.HYDRATION not in {q.trigger for q in again.snapshot().queue}
        assert len(world.actions("hydration_started")) == 1
    finally:
        await again.stop()


async def test_a_failed_hydration_run_ends_it_with_the_type_failed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetch = world.source.inner.fetch_page

    async def products_down(type: SyncType, **page: object) -> SourcePage:
        if type == SyncType.PRODUCTS:
            raise ErpUnavailableError("ERP unreachable: ConnectError")
        return await fetch(type, **page)  # type: ignore[arg-type]

    monkeypatch.setattr(world.source.inner, "fetch_page", products_down)
    await world.orchestrator.start()
    await world.orchestrator.run_until_idle()

    hydration = world.snapshot().hydration
    assert hydration is not None and not hydration.active
    assert hydration.failed == (SyncType.PRODUCTS,)
    assert world.snapshot().hydration_state(SyncType.PRODUCTS) == HydrationState.FAILED
    [ended] = world.actions("hydration_completed")
    assert (ended.fields["done"], ended.fields["failed"]) == (5, "products")


class TestWithoutTheScheduler:
    @pytest.fixture
    def orchestrator_config(self) -> OrchestratorConfig:
        return OrchestratorConfig(scheduler=False, hydrate_on_start=True)

    async def test_a_hydration_asked_for_runs_though_the_grid_is_off(self, world: World) -> None:
        await world.orchestrator.start()
        await world.orchestrator.run_until_idle()
        assert hydrated(world) == BY_PRIORITY
        assert world.snapshot().next_runs == {}


async def test_an_orchestrator_built_without_the_switch_starts_idle(world: World) -> None:
    plain = successor(world, OrchestratorConfig(scheduler=False))
    await plain.start()
    try:
        assert plain.snapshot().queue == ()
        assert plain.snapshot().hydration is None
    finally:
        await plain.stop()


async def test_the_status_shows_the_hydrations_progress_type_by_type(world: World) -> None:
    world.source.gate(SyncType.PRICES)
    await world.orchestrator.start()
    await world.until(world.blocked_on(SyncType.PRICES), "orders to invoices are in")
    snapshot = world.snapshot()
    report = build_report(snapshot, report_history(world), T0, ROLE)

    shown = status_json(report)["hydration"]
    assert shown == {
        "active": True,
        "beganAt": T0.isoformat(),
        "endedAt": None,
        "done": 4,
        "total": 6,
        "types": [
            {"type": "orders", "state": "done"},
            {"type": "customers", "state": "done"},
            {"type": "ddt", "state": "done"},
            {"type": "invoices", "state": "done"},
            {"type": "prices", "state": "running"},
            {"type": "products", "state": "pending"},
        ],
    }
    assert decode(encode(snapshot), Snapshot) == snapshot, "the other replicas show it too"
    world.source.open(SyncType.PRICES)
    await world.orchestrator.run_until_idle()
    shown = status_json(build_report(world.snapshot(), report_history(world), T0, ROLE))
    assert (shown["hydration"]["active"], shown["hydration"]["done"]) == (False, 6)


def report_history(world: World) -> dict[SyncType, list[SyncRun]]:
    return {t: world.runs.recent(t) for t in SyncType}
