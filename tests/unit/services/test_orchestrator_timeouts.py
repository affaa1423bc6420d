"""Leases, the safety timeout and the watchdog, on the fake clock."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from erpsync.domain.runs import RunStatus
from erpsync.domain.types import SyncType
from erpsync.errors import ErrorKind
from erpsync.ports import SourcePage
from erpsync.services.orchestrator_config import OrchestratorConfig
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
    await world.open_form("tab-0000001")
    await world.open_form("tab-0000002")
    for _ in range(3):
        await world.clock.advance(30)
        await world.ping("tab-0000002")
        await orch.run_until_idle()
    assert world.snapshot().sessions == 1
    assert await world.ping("tab-0000002"), "the one that kept beating lives"
    assert not await world.ping("tab-0000001"), "the silent one expired"
    assert [e.fields["session"] for e in world.actions("session_expired")] == ["tab-0000001"]
    assert world.snapshot().paused


async def test_the_safety_timeout_drops_every_session_and_resumes(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    orch = world.orchestrator
    await world.open_form("tab-0000001")
    await world.request(SyncType.PRICES)
    for _ in range(20):  # heartbeats keep the lease, but nobody touches the form
        await world.clock.advance(30)
        await world.ping("tab-0000001")
        await orch.run_until_idle()
    assert world.snapshot().sessions == 0
    assert not world.snapshot().paused
    assert SyncType.PRICES not in world.queued(), "the paused sync ran once the timeout fired"
    [fired] = world.actions("safety_timeout")
    assert fired.fields["dropped"] == 1
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert any("action=safety_timeout" in r.getMessage() for r in warnings)

    assert not await world.ping("tab-0000001", active=True), "the old session is gone"
    await world.open_form("tab-0000001")
    assert world.snapshot().sessions == 1, "activity afterwards registers the form again"


async def test_activity_keeps_the_safety_timeout_away(world: World) -> None:
    orch = world.orchestrator
    await world.open_form("tab-0000001")
    for _ in range(30):
        await world.clock.advance(30)
        await world.ping("tab-0000001", active=True)
        await orch.run_until_idle()
    assert world.snapshot().sessions == 1
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
    source = HangingSource(world)
    world.source.inner = source
    await world.request(SyncType.DDT)
    await world.request(SyncType.PRICES)
    await world.until(lambda: SyncType.DDT in source.hanging, "ddt hangs")
    await world.clock.advance(5 * 60 + 1)
    await world.until(lambda: SyncType.PRICES not in world.queued(), "prices starts")
    failed = world.actions("sync_failed")
    assert [e.fields["type"] for e in failed][:1] == [SyncType.DDT]
    [hung] = world.runs.recent(SyncType.DDT)
    assert hung.status == RunStatus.FAILED
    assert hung.error is not None
    assert "maximum run time" in hung.error
    assert hung.error_kind == ErrorKind.TIMED_OUT
    assert world.actions("sync_watchdog")


async def test_a_type_can_have_its_own_watchdog_limit(world: World) -> None:
    source = HangingSource(world)
    world.source.inner = source
    await world.request(SyncType.PRICES)
    await world.until(lambda: SyncType.PRICES in source.hanging, "prices hangs")
    await world.clock.advance(2 * 60 + 1)
    await world.until(lambda: world.snapshot().running is None, "the watchdog ends prices")
    [hung] = world.runs.recent(SyncType.PRICES)
    assert hung.error == "exceeded the maximum run time of 120 s"


async def test_the_running_loop_wakes_for_a_new_sessions_lease(world: World) -> None:
    orch = world.orchestrator
    await orch.start()
    await world.settle()  # the loop is idle, with no deadline to wait for
    await world.open_form("tab-0000001")  # the tab dies before its first heartbeat
    await world.settle()
    await world.clock.advance(46)
    await world.until(lambda: world.snapshot().sessions == 0, "the lease expires")
    assert not world.snapshot().paused
