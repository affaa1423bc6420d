"""Two processes, one orchestrator role: on fakes and a fake clock."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TypeVar

import pytest

from erpsync.codec import decode_reply
from erpsync.domain.answers import RequestOutcome
from erpsync.domain.catalog import SPECS
from erpsync.domain.commands import (
    ChangeSchedule,
    CloseForm,
    OpenForm,
    RequestAll,
    RequestSync,
)
from erpsync.domain.types import SyncMode, SyncType, Trigger, TypeSchedule
from erpsync.errors import InvalidCommandError, InvalidScheduleError
from erpsync.ports import LeaseStore
from erpsync.services.cluster import ClusterNode, NodeTimings
from erpsync.services.control import RemoteControl
from erpsync.services.events import EventBus
from erpsync.services.orchestrator import Orchestrator
from erpsync.services.orchestrator_config import OrchestratorConfig
from erpsync.services.sync_runner import SyncRunner
from erpsync.testing import (
    FakeProcesses,
    InMemoryCommandQueue,
    InMemoryLeaseStore,
    InMemoryLiveStateStore,
    InMemoryScheduleStore,
    RecordingFence,
)
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
        self.fence = RecordingFence()
        self.events: dict[str, EventBus] = {}
        specs = {t: replace(s, page_size=PAGE_SIZE) for t, s in SPECS.items()}
        self.runner = SyncRunner(world.source, world.mirror, world.runs, world.clock, specs=specs)
        self.a = self.node("node-a")
        self.b = self.node("node-b")

    @property
    def fences(self) -> list[tuple[str, int]]:
        return self.fence.claims

    def node(self, name: str, leases: LeaseStore | None = None) -> ClusterNode:
        events = self.events[name] = EventBus(history=10_000)

        def build(anchor: datetime, last_fired: Mapping[SyncType, datetime]) -> Orchestrator:
            return Orchestrator(
                self.runner,
                self.schedules,
                self.world.clock,
                events,
                OrchestratorConfig(scheduler=True),
                anchor=anchor,
                last_fired=last_fired,
            )

        node = ClusterNode(
            leases or self.leases,
            self.commands,
            self.live,
            build,
            self.world.clock,
            events,
            fence=self.fence,
            processes=FakeProcesses(name),
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
    live = await b.control.snapshot()
    assert live.anchor == deployment.world.clock.now()


async def test_commands_sent_to_a_follower_run_on_the_holder(deployment: Deployment) -> None:
    a, b = deployment.a, deployment.b
    await a.tick()
    await b.tick()

    answer = await deployment.answered(
        a, b.control.handle(RequestSync(SyncType.PRICES, SyncMode.FULL))
    )
    assert answer.outcome in (RequestOutcome.STARTED, RequestOutcome.QUEUED)
    opened = await deployment.answered(a, b.control.handle(OpenForm("tab-remote-1", 1)))
    assert opened.result.status == "completed"
    assert (opened.forms.sessions, opened.forms.paused) == (1, True)
    assert a.orchestrator is not None
    assert a.orchestrator.snapshot().sessions == 1, "the session lives on the holder"

    invalid = TypeSchedule(SyncType.DDT, 4, timedelta(seconds=5), timedelta(0))
    with pytest.raises(InvalidScheduleError):
        await deployment.answered(a, b.control.handle(ChangeSchedule(invalid)))

    await deployment.world.clock.advance(1)
    await deployment.serve(a)
    live = await b.control.snapshot()
    assert live.sessions == 1
    closed = await deployment.answered(a, b.control.handle(CloseForm("tab-remote-1", 1)))
    assert closed.closed
    assert closed.forms.sessions == 0


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
    fired = dict(a.orchestrator.snapshot().last_fired)  # type: ignore[union-attr]
    assert SyncType.ORDERS in fired

    await a.stop()  # releases the role at once
    await clock.advance(5)
    await b.tick()

    assert b.leader
    assert deployment.fences[-1] == ("node-b", 2)
    assert b.orchestrator is not None
    assert b.orchestrator.snapshot().anchor == (await b.control.snapshot()).anchor
    assert b.orchestrator.snapshot().last_fired == fired, "ticks already fired are not repeated"
    await b.stop()


async def test_a_holder_stopping_says_it_let_go_once_its_running_sync_has_given_way(
    deployment: Deployment, world: World
) -> None:
    a = deployment.a
    await a.tick()
    assert a.orchestrator is not None
    world.source.gate(SyncType.PRODUCTS)
    await a.orchestrator.handle(RequestSync(SyncType.PRODUCTS, SyncMode.FULL, Trigger.MANUAL))
    await world.until(world.blocked_on(SyncType.PRODUCTS), "products waits for its first page")

    stopping = asyncio.ensure_future(a.stop())
    await world.settle()
    assert not stopping.done(), "the page in flight is waited for"
    world.source.open(SyncType.PRODUCTS)
    await stopping

    steps = [e.action.value for e in deployment.events["node-a"].recent]
    assert steps.index("sync_preempted") < steps.index("role_released")
    lease = deployment.leases.current()
    assert lease is not None and lease.expires_at <= world.clock.now(), "released"


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
    assert "role_released" in [e.action for e in deployment.events["node-a"].recent]
    await b.stop()


async def test_the_demo_erp_is_reached_by_the_holder_only(
    deployment: Deployment, world: World
) -> None:
    a, b = deployment.a, deployment.b
    await a.tick()
    await b.tick()
    await deployment.answered(a, b.control.handle(RequestAll(SyncMode.FULL)))
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


async def test_a_command_the_holder_cannot_read_fails_for_the_sender(
    deployment: Deployment,
) -> None:
    a = deployment.a
    await a.tick()
    commands = deployment.commands
    now = deployment.world.clock.now()
    wrong_type = {"v": 1, "kind": "request_sync", "body": {"type": "widgets"}}
    unknown = {"v": 1, "kind": "reboot", "body": {}}
    newer = {"v": 2, "kind": "request_sync", "body": {"type": "orders"}}
    ids = [commands.submit(doc, now) for doc in (wrong_type, unknown, newer)]
    await deployment.serve(a)
    replies = [commands.result(i) for i in ids]
    command = RequestSync(SyncType.ORDERS)
    with pytest.raises(InvalidCommandError, match="malformed request_sync: type"):
        decode_reply(replies[0], command)
    with pytest.raises(InvalidCommandError, match="unknown Command kind 'reboot'"):
        decode_reply(replies[1], command)
    with pytest.raises(InvalidCommandError, match="wire version 2"):
        decode_reply(replies[2], command)
    await a.stop()


async def test_after_a_long_stop_the_next_holder_starts_the_grids_afresh(
    deployment: Deployment,
) -> None:
    a, b = deployment.a, deployment.b
    clock = deployment.world.clock
    await a.tick()
    await clock.advance(60)
    await a.tick()
    first_anchor = a.orchestrator.snapshot().anchor  # type: ignore[union-attr]
    await a.stop()
    await clock.advance(3 * 3600)  # the service stayed down for three hours
    await b.tick()
    assert b.orchestrator is not None
    assert b.orchestrator.snapshot().anchor == clock.now() != first_anchor
    fired = dict(b.orchestrator.snapshot().last_fired)
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
    clock = deployment.world.clock
    leases = UnreachableLeases(deployment.leases)
    a = deployment.node("node-c", leases)  # type: ignore[arg-type]
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
