"""Two processes, one orchestrator role: on fakes and a fake clock."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TypeVar

import httpx
import pytest
from fastapi import FastAPI

from erpsync.domain.catalog import SPECS
from erpsync.domain.schedule import InvalidScheduleError
from erpsync.domain.types import SyncMode, SyncType, TypeSchedule
from erpsync.errors import ErpSyncError
from erpsync.services.answers import RequestOutcome
from erpsync.services.cluster import ClusterNode, NodeTimings, holder_is_dead, process_name
from erpsync.services.control import OrchestratorUnavailableError, RemoteControl
from erpsync.services.events import EventBus
from erpsync.services.orchestrator import Orchestrator
from erpsync.services.orchestrator_config import OrchestratorConfig
from erpsync.services.sync_runner import SyncRunner
from erpsync.testing import (
    FakeClock,
    InMemoryCommandQueue,
    InMemoryLeaseStore,
    InMemoryLiveStateStore,
    InMemoryScheduleStore,
)
from erpsync.web.errors import install_error_handlers
from tests.unit.services.conftest import PAGE_SIZE, World

T = TypeVar("T")
TIMINGS = NodeTimings(lease_ttl=timedelta(seconds=15), renew_every=timedelta(seconds=5))


class Deployment:
    """Two nodes sharing one database (the in-memory stores) and one ERP."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.leases = InMemoryLeaseStore()
        self.commands = InMemoryCommandQueue()
        self.live = InMemoryLiveStateStore()
        self.schedules = InMemoryScheduleStore()
        self.fences: list[tuple[str, int]] = []
        specs = {t: replace(s, page_size=PAGE_SIZE) for t, s in SPECS.items()}
        self.runner = SyncRunner(world.source, world.mirror, world.runs, world.clock, specs=specs)
        self.a = self.node("node-a")
        self.b = self.node("node-b")

    def node(self, name: str) -> ClusterNode:
        events = EventBus(history=10_000)

        def build(anchor: datetime, last_fired: Mapping[SyncType, datetime]) -> Orchestrator:
            return Orchestrator(
                self.runner,
                self.world.runs,
                self.schedules,
                self.world.clock,
                events,
                OrchestratorConfig(scheduler=True),
                anchor=anchor,
                last_fired=last_fired,
            )

        node = ClusterNode(
            self.leases,
            self.commands,
            self.live,
            build,
            self.world.clock,
            events,
            fence=lambda holder, epoch: self.fences.append((holder, epoch)),
            name=name,
            timings=TIMINGS,
        )
        node.remote = RemoteControl(self.commands, self.live, self.world.clock, poll_s=0.001)
        return node

    async def serve(self, *nodes: ClusterNode) -> None:
        """One round of every node, then let commands run."""
        for node in nodes:
            await node.tick()
        await self.world.settle()
        for node in nodes:
            await node.tick()

    async def answered(self, holder: ClusterNode, call: Awaitable[T]) -> T:
        """Let ``holder`` serve until the command sent by ``call`` has its answer."""
        task = asyncio.ensure_future(call)
        for _ in range(200):
            if task.done():
                return task.result()
            await self.serve(holder)
            await asyncio.sleep(0.001)
        raise AssertionError("the holder never answered")


@pytest.fixture
async def deployment(world: World) -> Deployment:
    return Deployment(world)


async def test_the_first_node_takes_the_role_and_the_second_follows(
    deployment: Deployment,
) -> None:
    a, b = deployment.a, deployment.b
    await a.tick()
    await b.tick()
    assert a.leader
    assert not b.leader
    assert deployment.fences == [("node-a", 1)]
    live = await b.live_state()
    assert live.anchor == deployment.world.clock.now()


async def test_commands_sent_to_a_follower_run_on_the_holder(deployment: Deployment) -> None:
    a, b = deployment.a, deployment.b
    await a.tick()
    await b.tick()

    answer = await deployment.answered(a, b.control.request(SyncType.PRICES, SyncMode.FULL))
    assert answer.outcome in (RequestOutcome.STARTED, RequestOutcome.QUEUED)
    result, forms = await deployment.answered(a, b.control.open_form("tab-remote-1"))
    assert result.status == "completed"
    assert (forms.sessions, forms.paused) == (1, True)
    assert a.orchestrator is not None
    assert a.orchestrator.sessions.count == 1, "the session lives on the holder"

    invalid = TypeSchedule(SyncType.DDT, 4, timedelta(seconds=5), timedelta(0))
    with pytest.raises(InvalidScheduleError):
        await deployment.answered(a, b.control.change_schedule(invalid))

    await deployment.world.clock.advance(1)
    await deployment.serve(a)
    live = await b.live_state()
    assert live.sessions == 1
    closed, forms = await deployment.answered(a, b.control.close_form("tab-remote-1"))
    assert closed
    assert forms.sessions == 0


async def test_when_the_holder_stops_the_other_node_takes_over_with_the_next_epoch(
    deployment: Deployment,
) -> None:
    a, b = deployment.a, deployment.b
    clock = deployment.world.clock
    await a.tick()
    await b.tick()
    for _ in range(7 * 12):  # seven minutes, the holder renewing every five seconds
        await clock.advance(5)
        await a.tick()
        await a.orchestrator.run_until_idle()  # type: ignore[union-attr]
    fired = dict(a.orchestrator.memory.last_fired)  # type: ignore[union-attr]
    assert SyncType.ORDERS in fired

    await a.stop()  # releases the role at once
    await clock.advance(5)
    await b.tick()

    assert b.leader
    assert deployment.fences[-1] == ("node-b", 2)
    assert b.orchestrator is not None
    assert b.orchestrator.schedule.anchor == (await b.live_state()).anchor
    assert b.orchestrator.memory.last_fired == fired, "ticks already fired are not repeated"
    await b.stop()


async def test_a_holder_that_vanishes_is_replaced_once_its_lease_expires(
    deployment: Deployment,
) -> None:
    a, b = deployment.a, deployment.b
    clock = deployment.world.clock
    await a.tick()
    await b.tick()
    await clock.advance(10)  # a stops renewing (it hangs, or its host died)
    await b.tick()
    assert not b.leader
    await clock.advance(6)
    await b.tick()
    assert b.leader
    await a.tick()  # a wakes up: it has lost the role and steps down
    assert not a.leader
    assert "role_released" in [e.action for e in a._events.recent]
    await b.stop()


async def test_the_demo_erp_is_reached_by_the_holder_only(
    deployment: Deployment, world: World
) -> None:
    a, b = deployment.a, deployment.b
    await a.tick()
    await b.tick()
    await deployment.answered(a, b.control.request_all(SyncMode.FULL))
    await a.orchestrator.run_until_idle()  # type: ignore[union-attr]
    stats = (await world.demo.get("/admin/stats")).json()
    assert stats["overlaps"] == 0
    assert world.mirror.count(SPECS[SyncType.ORDERS]) > 0
    await a.stop()


async def test_a_lapsed_lease_taken_back_by_its_holder_keeps_the_orchestrator(
    deployment: Deployment,
) -> None:
    a = deployment.a
    await a.tick()
    orchestrator = a.orchestrator
    await deployment.world.clock.advance(60)  # the event loop stalled past the lease
    await a.tick()
    assert a.orchestrator is orchestrator
    assert deployment.fences == [("node-a", 1), ("node-a", 2)]
    await a.stop()


async def test_a_command_that_fails_on_the_holder_fails_for_the_sender(
    deployment: Deployment,
) -> None:
    a, b = deployment.a, deployment.b
    await a.tick()
    await b.tick()
    with pytest.raises(ErpSyncError, match="could not request"):
        await deployment.answered(a, b.remote._call("request", {"type": "widgets"}))
    with pytest.raises(ErpSyncError, match="unknown command 'reboot'"):
        await deployment.answered(a, b.remote._call("reboot", {}))
    await a.stop()


async def test_after_a_long_stop_the_next_holder_starts_the_grids_afresh(
    deployment: Deployment,
) -> None:
    a, b = deployment.a, deployment.b
    clock = deployment.world.clock
    await a.tick()
    await clock.advance(60)
    await a.tick()
    first_anchor = a.orchestrator.schedule.anchor  # type: ignore[union-attr]
    await a.stop()
    await clock.advance(3 * 3600)  # the service stayed down for three hours
    await b.tick()
    assert b.orchestrator is not None
    assert b.orchestrator.schedule.anchor == clock.now() != first_anchor
    fired = {t: at for t, at in b.orchestrator.memory.last_fired.items() if at is not None}
    assert fired == {SyncType.ORDERS: clock.now()}, "T is now: orders at T+0, the rest later"
    await b.stop()


class UnreachableLeases:
    """The lease table after the database went away: every call fails."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.down = False

    def __getattr__(self, name: str) -> object:
        if self.down:
            raise ConnectionError("database unreachable")
        return getattr(self.inner, name)


async def test_a_holder_that_cannot_renew_stops_before_its_lease_runs_out(
    deployment: Deployment,
) -> None:
    a = deployment.a
    clock = deployment.world.clock
    leases = UnreachableLeases(deployment.leases)
    a._leases = leases  # type: ignore[assignment]
    await a.tick()
    assert a.leader
    leases.down = True
    await clock.advance(5)
    with pytest.raises(ConnectionError):
        await a.tick()
    assert a.leader, "one missed renewal is no reason to stop"
    await clock.advance(5)
    with pytest.raises(ConnectionError):
        await a.tick()
    assert not a.leader
    lease = deployment.leases.current()
    assert lease is not None
    assert clock.now() < lease.expires_at, "it stopped before anyone else could take over"


def test_a_holder_is_dead_only_when_its_process_is_gone_from_this_host() -> None:
    here = socket.gethostname()
    assert not holder_is_dead(process_name()), "this very process"
    assert holder_is_dead(f"{here}:{2**22 + 12345}:abcd1234"), "no such pid"
    assert not holder_is_dead(f"{here}:1:abcd1234"), "pid 1 lives"
    assert not holder_is_dead("another-host:12345:abcd1234"), "cannot tell: wait for the lease"
    assert not holder_is_dead("garbage")


async def test_a_command_nobody_answers_gives_up_with_a_clear_error() -> None:
    clock = FakeClock()
    remote = RemoteControl(
        InMemoryCommandQueue(), InMemoryLiveStateStore(), clock, poll_s=0.001, timeout_s=0.01
    )
    with pytest.raises(OrchestratorUnavailableError, match="did not answer request"):
        await remote.request(SyncType.ORDERS, SyncMode.FULL)
    with pytest.raises(OrchestratorUnavailableError, match="no orchestrator has published"):
        await remote.live_state()


async def test_an_unavailable_orchestrator_is_a_503_with_its_reason() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/status")
    async def status() -> None:
        raise OrchestratorUnavailableError("the orchestrator did not answer request within 30 s")

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://erpsync"
    ) as client:
        answer = await client.get("/status")
    assert answer.status_code == 503
    assert answer.json() == {"error": "the orchestrator did not answer request within 30 s"}
