"""Leases, the safety timeout and the watchdog, on the fake clock."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from erpsync.domain.runs import RunStatus
from erpsync.domain.types import SyncMode, SyncType
from erpsync.ports import SourcePage
from erpsync.services.orchestrator_config import OrchestratorConfig
from erpsync.services.status import sync_status
from tests.unit.services.conftest import World


@pytest.fixture
def orchestrator_config() -> OrchestratorConfig:
    return OrchestratorConfig(
        scheduler=False,
        lease_ttl=timedelta(seconds=45),
        safety_timeout=timedelta(minutes=10),
        max_run_time=timedelta(minutes=5),
        max_run_time_by_type={SyncType.PRICES: timedelta(minutes=2)},
    )


async def test_a_session_whose_heartbeats_stop_expires(world: World) -> None:
    orch = world.orchestrator
    await orch.open_form("tab-0000001")
    await orch.open_form("tab-0000002")
    for _ in range(3):
        await world.clock.advance(30)
        orch.ping_form("tab-0000002")
        await orch.run_until_idle()
    assert orch.sessions.active_ids == ("tab-0000002",)
    assert [e.fields["session"] for e in world.actions("session_expired")] == ["tab-0000001"]
    assert orch.sessions.paused


async def test_the_safety_timeout_drops_every_session_and_resumes(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    orch = world.orchestrator
    await orch.open_form("tab-0000001")
    orch.request(SyncType.PRICES)
    for _ in range(20):  # heartbeats keep the lease, but nobody touches the form
        await world.clock.advance(30)
        orch.ping_form("tab-0000001")
        await orch.run_until_idle()
    assert orch.sessions.count == 0
    assert not orch.sessions.paused
    assert SyncType.PRICES not in orch.queue, "the paused sync ran once the timeout fired"
    [fired] = world.actions("safety_timeout")
    assert fired.fields["dropped"] == 1
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert any("action=safety_timeout" in r.getMessage() for r in warnings)

    assert not orch.ping_form("tab-0000001", active=True), "the old session is gone"
    await orch.open_form("tab-0000001")
    assert orch.sessions.count == 1, "activity afterwards registers the form again"


async def test_activity_keeps_the_safety_timeout_away(world: World) -> None:
    orch = world.orchestrator
    await orch.open_form("tab-0000001")
    for _ in range(30):
        await world.clock.advance(30)
        orch.ping_form("tab-0000001", active=True)
        await orch.run_until_idle()
    assert orch.sessions.count == 1
    assert not world.actions("safety_timeout")


class HangingSource:
    """An ERP that never answers: the watchdog must end the sync."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.hanging: set[SyncType] = set()

    async def fetch_page(
        self, type: SyncType, *, since: datetime | None, cursor: str | None, limit: int
    ) -> SourcePage:
        self.hanging.add(type)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        return None


async def test_the_watchdog_ends_a_hung_sync_as_failed_and_the_queue_goes_on(
    world: World,
) -> None:
    orch = world.orchestrator
    source = HangingSource(world)
    world.orchestrator._runner._source = source  # type: ignore[assignment]
    orch.request(SyncType.DDT)
    orch.request(SyncType.PRICES)
    await world.until(lambda: SyncType.DDT in source.hanging, "ddt hangs")
    await world.clock.advance(5 * 60 + 1)
    await world.until(lambda: SyncType.PRICES not in orch.queue, "prices starts")
    failed = world.actions("sync_failed")
    assert [e.fields["type"] for e in failed][:1] == [SyncType.DDT]
    [hung] = world.runs.recent_runs(SyncType.DDT)
    assert hung.status == RunStatus.FAILED
    assert hung.error is not None
    assert "maximum run time" in hung.error
    assert world.actions("sync_watchdog")


async def test_the_status_shows_all_six_types_health_and_the_smart_sync_block(
    world: World,
) -> None:
    orch = world.orchestrator
    await orch.open_form("tab-0000001")
    orch.request(SyncType.PRODUCTS, SyncMode.FULL)
    history = {t: world.runs.recent_runs(t, 20) for t in SyncType}
    status = sync_status(orch.live_state(), history, world.clock.now())

    assert [t["type"] for t in status["types"]] == [
        "orders",
        "customers",
        "ddt",
        "invoices",
        "prices",
        "products",
    ]
    by_type = {t["type"]: t for t in status["types"]}
    assert by_type["customers"]["status"] == "completed"
    assert by_type["products"]["status"] == "paused"
    assert by_type["orders"]["status"] == "idle"
    assert by_type["orders"]["nextRun"] is None, "the scheduler is off: nothing is due"
    assert by_type["customers"]["lastRun"]["counts"]["inserted"] == 30
    assert status["queue"] == [
        {
            "position": 1,
            "type": "products",
            "mode": "full",
            "priority": 1,
            "trigger": "manual",
            "requestedAt": world.clock.now().isoformat(),
            "reason": "paused: an order form is open",
        }
    ]
    assert status["health"]["types"]["customers"]["healthy"] is True
    assert set(status["health"]) == {"healthy", "erpReachable", "types"}
    smart = status["smartSync"]
    assert smart["activeSessions"] == 1
    assert smart["syncsPaused"] is True
    assert smart["safetyTimeoutActive"] is True
    assert smart["safetyTimeoutAt"] == (world.clock.now() + timedelta(minutes=10)).isoformat()
    assert smart["lastResult"]["inserted"] == 30


async def test_a_type_can_have_its_own_watchdog_limit(world: World) -> None:
    orch = world.orchestrator
    source = HangingSource(world)
    world.orchestrator._runner._source = source  # type: ignore[assignment]
    orch.request(SyncType.PRICES)
    await world.until(lambda: SyncType.PRICES in source.hanging, "prices hangs")
    await world.clock.advance(2 * 60 + 1)
    await world.until(lambda: orch.running is None, "the watchdog ends prices")
    [hung] = world.runs.recent_runs(SyncType.PRICES)
    assert hung.error == "exceeded the maximum run time of 120 s"


class StuckRunner:
    """A runner stuck before it could record its run (e.g. a database lock)."""

    def __init__(self) -> None:
        self.entered = False

    async def run(self, *args: object, **kwargs: object) -> object:
        self.entered = True
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_the_watchdog_records_a_sync_that_hung_before_it_began(world: World) -> None:
    orch = world.orchestrator
    stuck = StuckRunner()
    orch._runner = stuck  # type: ignore[assignment]
    orch.request(SyncType.INVOICES)
    await world.until(lambda: stuck.entered, "the runner is stuck")
    await world.clock.advance(5 * 60 + 1)
    await world.until(lambda: orch.running is None, "the watchdog ends it")
    [failed] = world.runs.recent_runs(SyncType.INVOICES)
    assert failed.status == RunStatus.FAILED
    assert failed.error == "exceeded the maximum run time of 300 s"


async def test_the_running_loop_wakes_for_a_new_sessions_lease(world: World) -> None:
    orch = world.orchestrator
    await orch.start()
    await world.settle()  # the loop is idle, with no deadline to wait for
    await orch.open_form("tab-0000001")  # the tab dies before its first heartbeat
    await world.settle()
    await world.clock.advance(46)
    await world.until(lambda: orch.sessions.count == 0, "the lease expires")
    assert not orch.sessions.paused
