"""The orchestrator: the single runner that decides what syncs with the ERP, and when.

Everything that changes what runs arrives as a command (request a sync, open, ping or close an
order-form session, change the schedule). The decisions themselves are the pure domain's
(queue, schedule, sessions); this module holds the one running sync, the pause gate, the
timers, preemption, the watchdog and the events.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from erpsync.domain.queue import EnqueueOutcome, SyncQueue, SyncRequest
from erpsync.domain.runs import RunStatus, SyncRun
from erpsync.domain.schedule import Schedule, validate_entry
from erpsync.domain.sessions import FormSessions, may_start, wait_reason
from erpsync.domain.types import DEFAULT_SCHEDULE, SyncMode, SyncType, TypeSchedule
from erpsync.ports import Clock, RunStore, ScheduleStore
from erpsync.services.answers import RequestAnswer, RequestOutcome, SmartSyncResult
from erpsync.services.events import EventBus
from erpsync.services.live_state import LiveState, capture
from erpsync.services.orchestrator_config import OrchestratorConfig
from erpsync.services.orchestrator_state import SMART_TRIGGER, Memory, Running, SmartSlot
from erpsync.services.sync_runner import SyncRunner
from erpsync.services.watchdog import within


class Orchestrator:
    def __init__(
        self,
        runner: SyncRunner,
        runs: RunStore,
        schedules: ScheduleStore,
        clock: Clock,
        events: EventBus,
        config: OrchestratorConfig | None = None,
        *,
        anchor: datetime | None = None,
        last_fired: Mapping[SyncType, datetime] | None = None,
    ) -> None:
        """``anchor`` is when the deployment started (now by default): the schedule's grids
        hang on it. ``last_fired`` carries over, from a previous holder of the orchestrator
        role, the ticks already fired, so a new holder does not repeat them."""
        self._runner = runner
        self._runs = runs
        self._schedules = schedules
        self._clock = clock
        self._events = events
        self.config = config or OrchestratorConfig()
        self.schedule = Schedule(
            anchor=anchor or clock.now(), entries={**DEFAULT_SCHEDULE, **schedules.load()}
        )
        self.queue = SyncQueue()
        self.sessions = FormSessions(
            lease_ttl=self.config.lease_ttl, safety_timeout=self.config.safety_timeout
        )
        self.running: Running | None = None
        self.memory = Memory(last_fired=dict(last_fired or {}))
        self._smart: SmartSlot | None = None
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the background loop: timers, lease expiry and dispatch."""
        await asyncio.to_thread(self._remember_full_runs)
        self._events.emit("orchestrator_started", self._clock.now(), anchor=self.schedule.anchor)
        self._loop_task = asyncio.create_task(self._loop(), name="erpsync-orchestrator")

    def _remember_full_runs(self) -> None:
        """When each type last completed a full sync, so a restart does not redo them all."""
        for type in SyncType:
            for run in self._runs.recent_runs(type, 50):
                if run.mode == SyncMode.FULL and run.status == RunStatus.COMPLETED:
                    if run.finished_at is not None:
                        self.memory.last_full[type] = run.finished_at
                    break

    async def stop(self, grace_s: float = 10.0) -> None:
        """Stop taking work; a running sync stops at its next page boundary (or is cancelled
        after ``grace_s``), keeping its checkpoint for the next start."""
        self._stopping = True
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        running = self.running
        if running is not None and running.task is not None:
            running.yield_reason = "shutdown"
            done, _ = await asyncio.wait({running.task}, timeout=grace_s)
            if not done:
                running.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await running.task
        if self._smart is not None and not self._smart.future.done():
            self._smart.future.cancel()

    async def run_until_idle(self) -> None:
        """Drain mode: dispatch and wait until nothing runs and nothing eligible is queued.

        Time does not move here; tests move a fake clock and call this again.
        """
        while True:
            self._dispatch()
            running = self.running
            if running is None or running.task is None:
                await asyncio.sleep(0)
                if self.running is None and not self._startable():
                    return
                continue
            await asyncio.wait({running.task})

    async def _loop(self) -> None:
        while True:
            self._dispatch()
            deadlines = [self.sessions.next_deadline()]
            if self.config.scheduler:
                deadlines.append(self.schedule.wake_at(self.memory.last_fired))
            upcoming = [d for d in deadlines if d is not None]
            delay = None
            if upcoming:
                delay = max(0.0, (min(upcoming) - self._clock.now()).total_seconds())
            await self._wait(delay)

    async def _wait(self, delay: float | None) -> None:
        self._wake.clear()
        waiter = asyncio.create_task(self._wake.wait())
        tasks: set[asyncio.Task[object]] = {waiter}
        if delay is not None:
            tasks.add(asyncio.create_task(self._clock.sleep(delay)))
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()

    def _kick(self) -> None:
        self._wake.set()

    # -- commands ---------------------------------------------------------------------------

    def request(
        self, type: SyncType, mode: SyncMode = SyncMode.INCREMENTAL, *, trigger: str = "manual"
    ) -> RequestAnswer:
        """Ask for a sync of ``type``: it starts now, joins the queue, or merges."""
        now = self._clock.now()
        self._events.emit("sync_requested", now, type=type, mode=mode, trigger=trigger)
        running = self.running
        if (
            running is not None
            and not running.smart
            and running.request.type == type
            and running.yield_reason is None
            and (mode == running.request.mode or running.request.mode == SyncMode.FULL)
        ):
            self._events.emit("sync_merged", now, type=type, into="running", trigger=trigger)
            return RequestAnswer(type, RequestOutcome.MERGED, running.request.mode, 0)
        enqueued = self.queue.request(type, mode, self.schedule.priority(type), trigger, now)
        merged = enqueued.outcome == EnqueueOutcome.MERGED
        self._events.emit(
            "sync_merged" if merged else "sync_queued",
            now,
            type=type,
            mode=enqueued.request.mode,
            position=enqueued.position,
            reason=self._wait_reason(type),
        )
        self._dispatch()
        if self.running is not None and self.running.request.type == type and not merged:
            return RequestAnswer(type, RequestOutcome.STARTED, enqueued.request.mode)
        outcome = RequestOutcome.MERGED if merged else RequestOutcome.QUEUED
        return RequestAnswer(type, outcome, enqueued.request.mode, self.queue.position(type))

    def request_all(
        self, mode: SyncMode = SyncMode.INCREMENTAL, *, trigger: str = "manual"
    ) -> list[RequestAnswer]:
        ordered = sorted(SyncType, key=lambda t: -self.schedule.priority(t))
        return [self.request(t, mode, trigger=trigger) for t in ordered]

    async def open_form(self, session_id: str) -> SmartSyncResult:
        """Open (or re-register) an order-form session and bring customers up to date.

        Other syncs pause at once; a sync other than ``customers`` that is running stops at
        its next page boundary. A smart sync already in flight is joined, and one that ended
        within ``smart_reuse_window`` is reused rather than repeated.
        """
        now = self._clock.now()
        was_paused = self.sessions.paused
        if self.sessions.open(session_id, now):
            self._events.emit(
                "session_opened", now, session=session_id, sessions=self.sessions.count
            )
        self._kick()  # the loop must learn the new lease and safety deadlines
        if not was_paused:
            self._on_pause(now)
        last = self.memory.last_smart
        if (
            last is not None
            and last.status == RunStatus.COMPLETED
            and now - last.finished_at <= self.config.smart_reuse_window
        ):
            self._events.emit("smart_sync_reused", now, session=session_id, run=last.run_id)
            return SmartSyncResult(**{**last.__dict__, "reused": True})
        if self._smart is None:
            future: asyncio.Future[SmartSyncResult] = asyncio.get_running_loop().create_future()
            self._smart = SmartSlot(future, now)
            self._events.emit("smart_sync_requested", now, session=session_id)
            self._dispatch()
        else:
            self._events.emit("smart_sync_joined", now, session=session_id)
        return await asyncio.shield(self._smart.future)

    def ping_form(self, session_id: str, *, active: bool = False) -> bool:
        """A heartbeat (``active`` when the user did something); ``False`` if the session is
        unknown, e.g. after the safety timeout: the page then registers again."""
        known = self.sessions.ping(session_id, self._clock.now(), active=active)
        self._kick()
        return known

    def close_form(self, session_id: str) -> bool:
        now = self._clock.now()
        closed = self.sessions.close(session_id, now)
        if closed:
            self._events.emit(
                "session_closed", now, session=session_id, sessions=self.sessions.count
            )
            if not self.sessions.paused:
                self._on_resume(now, reason="last order form closed")
        self._dispatch()
        return closed

    def change_schedule(self, entry: TypeSchedule) -> TypeSchedule:
        """Apply a new schedule entry at once and persist it.

        Raises:
            InvalidScheduleError: the entry breaks the limits.
        """
        validate_entry(entry)
        now = self._clock.now()
        self._fire_due(now)
        self.schedule = self.schedule.with_entry(entry, now)
        self._schedules.save(entry)
        self.queue.reprioritise(entry.type, entry.priority)
        self._events.emit(
            "schedule_changed",
            now,
            type=entry.type,
            priority=entry.priority,
            interval_s=int(entry.interval.total_seconds()),
            offset_s=int(entry.offset.total_seconds()),
            next_run=self.schedule.next_due(entry.type, self.memory.last_fired.get(entry.type)),
        )
        self._kick()
        return entry

    def live_state(self) -> LiveState:
        """What this orchestrator is doing now, as data (see :mod:`live_state`)."""
        return capture(self)

    # -- decisions --------------------------------------------------------------------------

    def eligible(self, type: SyncType) -> bool:
        """The pause gate: while an order form is open only ``customers`` may start."""
        return may_start(type, forms_open=self.sessions.paused)

    def _startable(self) -> bool:
        return (self._smart is not None and not self._smart.started) or (
            self.queue.peek_next(self.eligible) is not None
        )

    def _wait_reason(self, type: SyncType) -> str:
        running = self.running
        return wait_reason(
            type,
            forms_open=self.sessions.paused,
            running=None if running is None else running.request.type,
        )

    def _should_yield(self, running: Running) -> bool:
        if running.yield_reason is None:
            if self._stopping:
                running.yield_reason = "shutdown"
            elif running.smart or not self.config.preemption:
                return False
            elif not self.eligible(running.request.type):
                running.yield_reason = "paused for order form"
            elif self._smart is not None and not self._smart.started:
                running.yield_reason = "smart customer sync"
        return running.yield_reason is not None

    def _dispatch(self) -> None:
        """Apply what time has made due, then start the next sync if none runs."""
        now = self._clock.now()
        self._expire(now)
        if self.config.scheduler and not self._stopping:
            self._fire_due(now)
        if self.running is not None or self._stopping:
            return
        if self._smart is not None and not self._smart.started:
            self._smart.started = True
            smart = SyncRequest(
                SyncType.CUSTOMERS, self.config.smart_sync_mode, 1_000, SMART_TRIGGER, now, 0
            )
            self._start(smart, now)
            return
        request = self.queue.pop_next(self.eligible)
        if request is not None:
            self._start(request, now)

    def _fire_due(self, now: datetime) -> None:
        decisions = self.schedule.due(self.memory.last_fired, now)
        for decision in decisions:
            self.memory.last_fired[decision.type] = decision.tick
        for decision in decisions:
            mode = self._scheduled_mode(decision.type, now)
            self.request(decision.type, mode, trigger="schedule")

    def _scheduled_mode(self, type: SyncType, now: datetime) -> SyncMode:
        """Scheduled runs are incremental; a full one (which also finds deletions) runs when
        the last full sync of the type is older than ``full_sync_every``."""
        last_full = self.memory.last_full.get(type)
        if last_full is None or now - last_full >= self.config.full_sync_every:
            return SyncMode.FULL
        return SyncMode.INCREMENTAL

    def _expire(self, now: datetime) -> None:
        if not self.sessions.paused:
            return
        expired = self.sessions.expire(now)
        for session_id in expired.lease_expired:
            self._events.emit("session_expired", now, session=session_id)
        if expired.safety_timeout:
            self._events.emit(
                "safety_timeout",
                now,
                dropped=len(expired.dropped),
                timeout_s=int(self.config.safety_timeout.total_seconds()),
            )
        if expired.ended and not self.sessions.paused:
            reason = "safety timeout" if expired.safety_timeout else "session leases expired"
            self._on_resume(now, reason=reason)

    def _on_pause(self, now: datetime) -> None:
        running = self.running
        self._events.emit(
            "syncs_paused",
            now,
            sessions=self.sessions.count,
            running=None if running is None else running.request.type,
            waiting=len(self.queue),
        )

    def _on_resume(self, now: datetime, *, reason: str) -> None:
        self._events.emit("syncs_resumed", now, reason=reason, waiting=len(self.queue))
        self._kick()

    # -- running ----------------------------------------------------------------------------

    def _start(self, request: SyncRequest, now: datetime) -> None:
        running = Running(request, now)
        self.running = running
        pending = None if running.smart else self._runs.resumable_run(request.type)
        resumes = pending if pending is not None and pending.continues_as(request.mode) else None
        self._events.emit(
            "sync_resumed" if resumes else "sync_started",
            now,
            type=request.type,
            mode=resumes.mode if resumes else request.mode,
            trigger=request.trigger,
            from_page=resumes.checkpoint.pages if resumes else None,
        )
        running.task = asyncio.create_task(self._execute(running), name=f"sync-{request.type}")

    async def _execute(self, running: Running) -> None:
        request = running.request

        def on_page(run: SyncRun) -> None:
            running.run = run
            self._events.emit(
                "sync_progress",
                self._clock.now(),
                type=request.type,
                pages=run.checkpoint.pages,
                fetched=run.counts.fetched,
            )

        run = await self._watched(
            request,
            lambda: self._runner.run(
                request.type,
                request.mode,
                trigger=request.trigger,
                should_yield=lambda: self._should_yield(running),
                on_page=on_page,
                resume=not running.smart,
            ),
        )
        now = self._clock.now()
        self.running = None
        self._finish(running, run, now)
        self._dispatch()

    async def _watched(
        self, request: SyncRequest, start: Callable[[], Awaitable[SyncRun]]
    ) -> SyncRun:
        """Run a sync under the watchdog: past ``max_run_time`` it is cancelled and failed."""
        type = request.type
        limit = self.config.max_run_time_by_type.get(type, self.config.max_run_time)
        finished = await within(self._clock, limit, start())
        if finished is not None:
            return finished
        self._events.emit(
            "sync_watchdog", self._clock.now(), type=type, limit_s=int(limit.total_seconds())
        )
        hung = self._runs.resumable_run(type)
        if hung is None:  # it hung before its run was even recorded
            hung = self._runs.start_run(
                type,
                request.mode,
                trigger=request.trigger,
                since=None,
                started_at=self._clock.now(),
            )
        return self._runs.finish_run(
            hung.id,
            RunStatus.FAILED,
            finished_at=self._clock.now(),
            error=f"exceeded the maximum run time of {int(limit.total_seconds())} s",
        )

    def _finish(self, running: Running, run: SyncRun, now: datetime) -> None:
        request = running.request
        if run.status == RunStatus.COMPLETED:
            if run.mode == SyncMode.FULL:
                self.memory.last_full[request.type] = now
            counts = run.counts
            self._events.emit(
                "sync_completed",
                now,
                type=request.type,
                mode=run.mode,
                trigger=request.trigger,
                fetched=counts.fetched,
                inserted=counts.inserted,
                updated=counts.updated,
                unchanged=counts.unchanged,
                deleted=counts.deleted,
                quarantined=counts.quarantined,
                pages=run.checkpoint.pages,
                duration_s=round((now - running.started_at).total_seconds(), 3),
            )
        elif run.status == RunStatus.INTERRUPTED:
            self._events.emit(
                "sync_preempted",
                now,
                type=request.type,
                reason=running.yield_reason,
                pages=run.checkpoint.pages,
            )
            if not self._stopping:
                self.queue.request(
                    request.type, run.mode, self.schedule.priority(request.type), "resume", now
                )
        else:
            self._events.emit(
                "sync_failed", now, type=request.type, mode=run.mode, reason=run.error
            )
        if running.smart and self._smart is not None:
            slot, self._smart = self._smart, None
            result = SmartSyncResult.from_run(run, slot.requested_at, now)
            self.memory.last_smart = result
            self._events.emit(
                "smart_sync_completed",
                now,
                status=result.status,
                fetched=result.fetched,
                inserted=result.inserted,
                updated=result.updated,
                duration_s=round(result.duration_s, 3),
                sync_s=round(result.sync_s, 3),
            )
            if not slot.future.done():
                slot.future.set_result(result)
