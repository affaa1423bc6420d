"""One erpsync process among the deployment's: it holds the orchestrator role when it can,
and otherwise hands commands to the process that does.

Exactly one process holds the role (a lease in the database, renewed while alive, fenced by an
epoch), so exactly one talks to the ERP. Every process serves HTTP: the holder runs commands on
its orchestrator; the others send them through the command table and read the live state the
holder publishes. With one process (the default), it takes the role at start-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from erpsync.codec import decode, encode
from erpsync.domain.snapshot import Snapshot
from erpsync.domain.types import SyncType
from erpsync.errors import InvalidCommandError
from erpsync.ports import (
    Clock,
    CommandQueue,
    Document,
    Fence,
    Lease,
    LeaseStore,
    LiveStateStore,
    ProcessProbe,
    StoredCommand,
)
from erpsync.services.control import Control, LocalControl, RemoteControl, serve_command
from erpsync.services.events import EventAction, EventBus
from erpsync.services.orchestrator import Orchestrator

log = logging.getLogger(__name__)

OrchestratorFactory = Callable[[datetime, Mapping[SyncType, datetime]], Orchestrator]


class ReleaseReason(StrEnum):
    """Why a process gave up the orchestrator role."""

    SHUTDOWN = "shutdown"
    TAKEN = "taken_by_another_process"
    EPOCH_CHANGED = "epoch_changed"
    NOT_RENEWED = "not_renewed"


@dataclass(frozen=True)
class RoleView:
    """This process's part: whether it holds the orchestrator role and, if not, how old the
    holder's last published state is (a stale one means the holder is gone)."""

    node: str
    holds_role: bool
    state_age_s: float | None
    #: The epoch of the lease this process holds, or last saw held.
    epoch: int | None = None


@dataclass(frozen=True)
class NodeTimings:
    lease_ttl: timedelta = timedelta(seconds=15)
    renew_every: timedelta = timedelta(seconds=5)
    tick_s: float = 0.1
    publish_every: timedelta = timedelta(seconds=2)
    publish_gap: timedelta = timedelta(milliseconds=300)
    #: A role left vacant this long means the service stopped, not a hand-over: the next
    #: holder starts the schedule's grids afresh (T is then), as after a first start.
    fresh_start_after: timedelta = timedelta(minutes=10)
    keep_answers: timedelta = timedelta(hours=1)


class ClusterNode:
    def __init__(
        self,
        leases: LeaseStore,
        commands: CommandQueue,
        live: LiveStateStore,
        build_orchestrator: OrchestratorFactory,
        clock: Clock,
        events: EventBus,
        *,
        fence: Fence,
        processes: ProcessProbe,
        timings: NodeTimings | None = None,
    ) -> None:
        self.name = processes.name()
        self._processes = processes
        self._leases = leases
        self._commands = commands
        self._live = live
        self._build = build_orchestrator
        self._clock = clock
        self._events = events
        self._fence = fence
        self.timings = timings or NodeTimings()
        self.remote = RemoteControl(commands, live, clock)
        self.local: LocalControl | None = None
        self._lease: Lease | None = None
        self._next_campaign: datetime | None = None
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._published: tuple[Document, datetime] | None = None
        self._seen_publication: datetime | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def leader(self) -> bool:
        return self.local is not None

    @property
    def orchestrator(self) -> Orchestrator | None:
        return None if self.local is None else self.local.orchestrator

    @property
    def control(self) -> Control:
        """Where commands go: this process's orchestrator while it holds the role."""
        return self.local if self.local is not None else self.remote

    def role(self, now: datetime) -> RoleView:
        seen = self._seen_publication
        age = None if self.leader or seen is None else round((now - seen).total_seconds(), 3)
        epoch = None if self._lease is None else self._lease.epoch
        return RoleView(self.name, self.leader, age, epoch)

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        await self.tick()
        self._task = asyncio.create_task(self._run(), name="erpsync-node")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for task in list(self._in_flight.values()):
            task.cancel()
        await self._step_down(ReleaseReason.SHUTDOWN, release=True)
        await self._commands.aclose()

    async def _run(self) -> None:
        while True:
            if self.local is not None:
                await self._commands.wait_for_work(self.timings.tick_s)
            else:
                await self._clock.sleep(self.timings.tick_s)
            try:
                await self.tick()
            except Exception:
                log.exception("action=node_tick_failed node=%s", self.name)

    async def tick(self) -> None:
        """One round: keep (or seek) the role; as holder, run commands and publish state."""
        now = self._clock.now()
        if self._next_campaign is None or now >= self._next_campaign:
            try:
                await self.campaign()
            except Exception:
                await self._let_go_before_expiry(now)
                raise
        if self.local is not None:
            await self._serve_commands()
            await self._publish(now)
        else:
            await self._watch_publications()

    async def campaign(self) -> bool:
        """Take or renew the role; step down if another process has it. True while held."""
        now = self._clock.now()
        self._next_campaign = now + self.timings.renew_every
        current = await asyncio.to_thread(self._leases.current)
        take_over = (
            current is not None
            and current.holder != self.name
            and self._processes.gone(current.holder)
        )
        lease = await asyncio.to_thread(
            self._leases.acquire,
            self.name,
            now,
            self.timings.lease_ttl,
            take_over=take_over,
            fresh_start_after=self.timings.fresh_start_after,
        )
        if lease is None:
            if self.local is not None:
                await self._step_down(ReleaseReason.TAKEN)
            return False
        held = self._lease
        if (
            self.local is not None
            and held is not None
            and lease.epoch == held.epoch + 1
            and lease.anchor == held.anchor
        ):
            # Our lease lapsed and we took it back with nobody in between: same orchestrator,
            # new fence.
            self._fence.hold(self.name, lease.epoch)
        elif self.local is None or held is None or lease.epoch != held.epoch:
            await self._lead(lease)
        self._lease = lease
        if self.local is not None:
            await asyncio.to_thread(self._commands.purge, now - self.timings.keep_answers)
        return True

    async def _lead(self, lease: Lease) -> None:
        if self.local is not None:
            await self._step_down(ReleaseReason.EPOCH_CHANGED)
        last_fired = await self._fired_on(lease.anchor)
        self._fence.hold(self.name, lease.epoch)
        orchestrator = self._build(lease.anchor, last_fired)
        self._lease = lease
        self.local = LocalControl(orchestrator)
        self._events.emit(
            EventAction.ROLE_ACQUIRED, self._clock.now(), node=self.name, epoch=lease.epoch
        )
        await orchestrator.start()
        await self._publish(self._clock.now(), force=True)

    async def _fired_on(self, anchor: datetime) -> Mapping[SyncType, datetime]:
        """The ticks the previous holder fired on the same grids, not to fire them again."""
        previous = await asyncio.to_thread(self._live.read)
        if previous is None:
            return {}
        try:
            snapshot = decode(previous[0], Snapshot)
        except InvalidCommandError:  # published by another version: start the grids afresh
            return {}
        return snapshot.last_fired if snapshot.anchor == anchor else {}

    async def _let_go_before_expiry(self, now: datetime) -> None:
        """When the role cannot be renewed (the database is unreachable), stop talking to the
        ERP before the lease runs out and another process may take the role over."""
        lease = self._lease
        held = self.local is not None and lease is not None
        if held and lease is not None and now >= lease.expires_at - self.timings.renew_every:
            await self._step_down(ReleaseReason.NOT_RENEWED, grace_s=0)

    async def _step_down(
        self, reason: ReleaseReason, *, release: bool = False, grace_s: float = 10.0
    ) -> None:
        local, lease = self.local, self._lease
        self.local = None
        try:
            if local is not None:
                try:
                    await local.orchestrator.stop(grace_s=grace_s)
                finally:
                    self._fence.drop()
            if release and lease is not None and lease.holder == self.name:
                await asyncio.to_thread(
                    self._leases.release, self.name, lease.epoch, self._clock.now()
                )
            self._lease = None
        finally:
            # Said once this node no longer acts as the holder: its running sync has given way
            # (that step comes first). A lease whose release failed runs out on its own.
            if local is not None:
                self._events.emit(
                    EventAction.ROLE_RELEASED, self._clock.now(), node=self.name, reason=reason
                )

    # -- holding the role -------------------------------------------------------------------

    async def _serve_commands(self) -> None:
        pending = await asyncio.to_thread(self._commands.pending)
        local = self.local
        if local is None:
            return
        for command in pending:
            if command.id not in self._in_flight:
                task = asyncio.create_task(self._answer(local.orchestrator, command))
                self._in_flight[command.id] = task

    async def _answer(self, orchestrator: Orchestrator, command: StoredCommand) -> None:
        """Run one command (a smart sync may take seconds, so each runs on its own)."""
        reply = await serve_command(orchestrator, command.document)
        await asyncio.to_thread(self._commands.answer, command.id, reply, self._clock.now())
        self._in_flight.pop(command.id, None)

    async def _publish(self, now: datetime, *, force: bool = False) -> None:
        local, lease = self.local, self._lease
        if local is None or lease is None:
            return
        state = encode(local.orchestrator.snapshot())
        last = self._published
        if not force and last is not None:
            since = now - last[1]
            unchanged = last[0] == state
            if since < self.timings.publish_gap or (
                unchanged and since < self.timings.publish_every
            ):
                return
        await asyncio.to_thread(self._live.publish, self.name, lease.epoch, state, now)
        self._published = (state, now)

    async def _watch_publications(self) -> None:
        """Tell this process's live pages when the holder's state changed."""
        published = await asyncio.to_thread(self._live.read)
        if published is None or published[1] == self._seen_publication:
            return
        self._seen_publication = published[1]
        self._events.emit(EventAction.RESYNC, self._clock.now(), source="live_state")
