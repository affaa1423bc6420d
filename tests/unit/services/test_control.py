"""The two transports over ``Orchestrator.handle``: in this process, and through the command
table to the process that holds the orchestrator role."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from erpsync.codec import encode
from erpsync.domain.answers import RequestOutcome
from erpsync.domain.commands import ChangeSchedule, CloseForm, OpenForm, RequestSync
from erpsync.domain.types import SyncMode, SyncType, TypeSchedule
from erpsync.errors import InvalidScheduleError, OrchestratorUnavailableError
from erpsync.services.control import LocalControl, RemoteControl, serve_command
from erpsync.testing import FakeClock, InMemoryCommandQueue, InMemoryLiveStateStore
from tests.unit.services.conftest import World


class Holder:
    """The side that holds the role: answers every command in the table, as the node does."""

    def __init__(self, world: World, commands: InMemoryCommandQueue) -> None:
        self.world = world
        self.commands = commands
        self.task = asyncio.create_task(self._serve())

    async def _serve(self) -> None:
        while True:
            for command in self.commands.pending():
                reply = await serve_command(self.world.orchestrator, command.document)
                self.commands.answer(command.id, reply, self.world.clock.now())
            await asyncio.sleep(0.001)

    async def stop(self) -> None:
        self.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await self.task


async def test_local_control_is_the_orchestrator_itself(world: World) -> None:
    control = LocalControl(world.orchestrator)
    answer = await control.handle(RequestSync(SyncType.DDT))
    assert answer.outcome == RequestOutcome.STARTED
    snapshot = await control.snapshot()
    assert snapshot.running is not None
    assert snapshot.running.type == SyncType.DDT
    await world.orchestrator.run_until_idle()


async def test_remote_control_gets_the_same_answers_and_errors_as_local(world: World) -> None:
    commands, live = InMemoryCommandQueue(), InMemoryLiveStateStore()
    remote = RemoteControl(commands, live, world.clock, poll_s=0.001)
    holder = Holder(world, commands)
    try:
        opened = await remote.handle(OpenForm("tab-remote-1", 1))
        assert opened.result.status == "completed"
        assert (opened.forms.sessions, opened.forms.paused) == (1, True)
        queued = await remote.handle(RequestSync(SyncType.PRICES, SyncMode.FULL))
        assert (queued.outcome, queued.position) == (RequestOutcome.QUEUED, 1)
        invalid = TypeSchedule(SyncType.DDT, 4, timedelta(seconds=5), timedelta(0))
        with pytest.raises(InvalidScheduleError, match="interval must be between"):
            await remote.handle(ChangeSchedule(invalid))
        closed = await remote.handle(CloseForm("tab-remote-1", 1))
        assert (closed.closed, closed.forms.sessions) == (True, 0)
    finally:
        await holder.stop()
    await world.orchestrator.run_until_idle()


async def test_remote_control_reads_the_snapshot_the_holder_published(world: World) -> None:
    live = InMemoryLiveStateStore()
    remote = RemoteControl(InMemoryCommandQueue(), live, world.clock)
    with pytest.raises(OrchestratorUnavailableError, match="no orchestrator has published"):
        await remote.snapshot()
    await world.open_form("tab-0000001")
    live.publish("node-a", 1, encode(world.snapshot()), world.clock.now())
    assert await remote.snapshot() == world.snapshot()


async def test_a_command_nobody_answers_gives_up_with_a_clear_error() -> None:
    clock = FakeClock()
    remote = RemoteControl(
        InMemoryCommandQueue(), InMemoryLiveStateStore(), clock, poll_s=0.001, timeout_s=0.01
    )
    with pytest.raises(OrchestratorUnavailableError, match="did not answer request_sync"):
        await remote.handle(RequestSync(SyncType.ORDERS, SyncMode.FULL))
