"""The orchestrator: the single runner that decides what syncs with the ERP, and when.

Everything that changes what runs arrives as a command (:mod:`erpsync.domain.commands`)
through :meth:`Orchestrator.handle`. The decisions are the pure domain's (queue, schedule,
sessions, dispatch); this module holds the state they look at, applies them, runs one
operation at a time through the sync engine, and logs each coordination step.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TypeVar, cast

from erpsync.domain.answers import (
    AllRequested,
    FormClosed,
    FormOpened,
    FormPinged,
    RequestOutcome,
    ScheduleChanged,
    SyncRequested,
)
from erpsync.domain.commands import (
    ChangeSchedule,
    CloseForm,
    Command,
    OpenForm,
    PingForm,
    RequestAll,
    RequestSync,
)
from erpsync.domain.dispatch import Operation, Situation, next_start, wait_reason, yield_reason
from erpsync.domain.queue import EnqueueOutcome, SyncQueue
from erpsync.domain.runs import RunStatus, SyncRun
from erpsync.domain.schedule import Schedule, scheduled_mode, validate_entry
from erpsync.domain.snapshot import QueuedView, Snapshot
from erpsync.domain.types import DEFAULT_SCHEDULE, SyncMode, SyncType, Trigger, TypeSchedule
from erpsync.errors import InvalidCommandError
from erpsync.ports import Clock, ScheduleStore, SyncEngine, SyncJob
from erpsync.services.events import EventAction, EventBus
from erpsync.services.orchestrator_config import OrchestratorConfig
from erpsync.services.orchestrator_state import Running, RunWatch
from erpsync.services.order_forms import OrderForms

A = TypeVar("A")


class Orchestrator:
    def __init__(
        self,
        engine: SyncEngine,
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
        self._engine = engine
        self._schedules = schedules
        self._clock = clock
        self._events = events
        self._config = config or OrchestratorConfig()
        self._schedule = Schedule(anchor=anchor or clock.now())
        self._queue = SyncQueue()
        self._forms = OrderForms(self._config, clock, events)
        self._running: Running | None = None
        self._last_fired: dict[SyncType, datetime | None] = dict(last_fired or {})
        self._last_full: dict[SyncType, datetime] = {}
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the schedule changes and what the run history remembers, then start the loop
        of timers, lease expiry and dispatch."""
        changed = await asyncio.to_thread(self._schedules.load)
        self._schedule = Schedule(
            anchor=self._schedule.anchor, entries={**DEFAULT_SCHEDULE, **changed}
        )
        self._last_full.update(await self._engine.last_full_syncs())
        self._emit(EventAction.ORCHESTRATOR_STARTED, anchor=self._schedule.anchor)
        self._loop_task = asyncio.create_task(self._loop(), name="erpsync-orchestrator")

    async def stop(self, grace_s: float = 10.0) -> None:
        """Stop taking work; a running sync stops at its next page boundary (or is cancelled
        after ``grace_s``), keeping its checkpoint for the next start."""
        self._stopping = True
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        running = self._running
        if running is not None and running.task is not None:
            done, _ = await asyncio.wait({running.task}, timeout=grace_s)
            if not done:
                running.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await running.task
        self._forms.smart.cancel()

    async def run_until_idle(self) -> None:
        """Drain mode: dispatch and wait until nothing runs and nothing eligible is queued.

        Time does not move here; tests move a fake clock and call this again.
        """
        while True:
            self._dispatch()
            running = self._running
            if running is None or running.task is None:
                await asyncio.sleep(0)
                if self._running is None and self._next() is None:
                    return
                continue
            await asyncio.wait({running.task})

    async def _loop(self) -> None:
        while True:
            self._dispatch()
            deadlines = [self._forms.next_deadline()]
            if self._config.scheduler:
                deadlines.append(self._schedule.wake_at(self._last_fired))
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

    # -- commands ---------------------------------------------------------------------------

    async def handle(self, command: Command[A]) -> A:
        """Carry out one command and return its answer.

        Raises:
            InvalidScheduleError: a schedule entry out of limits.
            InvalidCommandError: a command this orchestrator does not know.
        """
        answer: object
        match command:
            case RequestSync(type=type, mode=mode, trigger=trigger):
                answer = self._request(type, mode, trigger)
            case RequestAll(mode=mode, trigger=trigger):
                ordered = sorted(SyncType, key=lambda t: -self._schedule.priority(t))
                answer = AllRequested(tuple(self._request(t, mode, trigger) for t in ordered))
            case OpenForm(session_id=session_id):
                answer = await self._open_form(session_id)
            case PingForm(session_id=session_id, active=active):
                known = self._forms.ping(session_id, active=active)
                self._wake.set()
                answer = FormPinged(known, self._forms.state())
            case CloseForm(session_id=session_id):
                closed = self._forms.close(session_id, waiting=len(self._queue))
                self._wake.set()
                self._dispatch()
                answer = FormClosed(closed, self._forms.state())
            case ChangeSchedule(entry=entry):
                answer = await self._change_schedule(entry)
            case _:
                raise InvalidCommandError(f"unknown command {command.__class__.__name__}")
        return cast(A, answer)

    def snapshot(self) -> Snapshot:
        """What this orchestrator is doing now, as data."""
        situation = self._situation()
        schedule = self._schedule
        running = self._running
        return Snapshot(
            anchor=schedule.anchor,
            schedule={t: schedule.entry(t) for t in SyncType},
            next_runs={t: schedule.next_due(t, self._last_fired.get(t)) for t in SyncType}
            if self._config.scheduler
            else {},
            last_fired={t: at for t, at in self._last_fired.items() if at is not None},
            last_full=dict(self._last_full),
            queue=tuple(
                QueuedView(
                    r.type, r.mode, r.priority, r.trigger, r.requested_at, wait_reason(r, situation)
                )
                for r in self._queue.entries()
            ),
            running=None
            if running is None
            else running.view(yield_reason(running.operation, situation)),
            sessions=self._forms.count,
            safety_deadline=self._forms.safety_deadline(),
            safety_timeout_s=int(self._config.safety_timeout.total_seconds()),
            smart_waiting=situation.smart_waiting,
            last_smart=self._forms.smart.last,
        )

    def _request(self, type: SyncType, mode: SyncMode, trigger: Trigger) -> SyncRequested:
        answer = self._accept(type, mode, trigger, self._clock.now())
        if answer.position == 0:  # merged into the running sync
            return answer
        self._dispatch()
        running = self._running
        if (
            answer.outcome == RequestOutcome.QUEUED
            and type not in self._queue
            and running is not None
            and not running.operation.smart
            and running.operation.type == type
        ):
            return SyncRequested(type, RequestOutcome.STARTED, answer.mode)
        return SyncRequested(type, answer.outcome, answer.mode, self._queue.position(type))

    def _accept(
        self, type: SyncType, mode: SyncMode, trigger: Trigger, now: datetime
    ) -> SyncRequested:
        """Queue a request, or merge it into the running sync or the queued request."""
        self._emit(EventAction.SYNC_REQUESTED, type=type, mode=mode, trigger=trigger)
        running = self._running
        if running is not None and running.stopping is None:
            op = running.operation
            if not op.smart and op.type == type and op.mode.stronger(mode) == op.mode:
                self._emit(EventAction.SYNC_MERGED, type=type, into="running", trigger=trigger)
                return SyncRequested(type, RequestOutcome.MERGED, op.mode, 0)
        enqueued = self._queue.request(type, mode, self._schedule.priority(type), trigger, now)
        merged = enqueued.outcome == EnqueueOutcome.MERGED
        wait = wait_reason(enqueued.request, self._situation())
        self._emit(
            EventAction.SYNC_MERGED if merged else EventAction.SYNC_QUEUED,
            type=type,
            mode=enqueued.request.mode,
            position=enqueued.position,
            reason=wait.reason,
            behind=wait.behind,
        )
        outcome = RequestOutcome.MERGED if merged else RequestOutcome.QUEUED
        return SyncRequested(type, outcome, enqueued.request.mode, enqueued.position)

    async def _open_form(self, session_id: str) -> FormOpened:
        """Open (or re-register) an order-form session and bring customers up to date.

        Other syncs pause at once; a sync other than ``customers`` that is running stops at
        its next page boundary. A smart sync already in flight is joined, and a recent one is
        reused rather than repeated.
        """
        running = self._running
        self._forms.open(
            session_id,
            running=None if running is None else running.operation.type,
            waiting=len(self._queue),
        )
        self._wake.set()  # the loop must learn the new lease and safety deadlines
        smart = self._forms.smart
        reused = smart.reusable(self._clock.now())
        if reused is not None:
            self._emit(EventAction.SMART_SYNC_REUSED, session=session_id, run=reused.run_id)
            return FormOpened(reused, self._forms.state())
        future, new = smart.ask(self._clock.now())
        if new:
            self._emit(EventAction.SMART_SYNC_REQUESTED, session=session_id)
            self._dispatch()
        else:
            self._emit(EventAction.SMART_SYNC_JOINED, session=session_id)
        result = await asyncio.shield(future)
        return FormOpened(result, self._forms.state())

    async def _change_schedule(self, entry: TypeSchedule) -> ScheduleChanged:
        """Validate, keep, then apply at once: what is due under the old entry fires first.

        Raises:
            InvalidScheduleError: the entry breaks the limits.
        """
        validate_entry(entry)
        await asyncio.to_thread(self._schedules.save, entry)
        now = self._clock.now()
        if self._config.scheduler:
            self._fire_due(now)
        self._schedule = self._schedule.with_entry(entry, now)
        self._queue.reprioritise(entry.type, entry.priority)
        self._emit(
            EventAction.SCHEDULE_CHANGED,
            type=entry.type,
            priority=entry.priority,
            interval_s=int(entry.interval.total_seconds()),
            offset_s=int(entry.offset.total_seconds()),
            next_run=self._schedule.next_due(entry.type, self._last_fired.get(entry.type)),
        )
        self._wake.set()
        return ScheduleChanged(entry)

    # -- applying the decisions -------------------------------------------------------------

    def _situation(self) -> Situation:
        running = self._running
        return Situation(
            forms_open=self._forms.open_anywhere,
            smart_waiting=self._forms.smart.waiting,
            running=None if running is None else running.operation,
            shutting_down=self._stopping,
            preemption=self._config.preemption,
            smart_mode=self._config.smart_sync_mode,
        )

    def _next(self) -> Operation | None:
        return next_start(self._queue.entries(), self._situation())

    def _dispatch(self) -> None:
        """Apply what time has made due, then start the next operation if none runs."""
        now = self._clock.now()
        if self._forms.expire(waiting=len(self._queue)):
            self._wake.set()
        if self._config.scheduler and not self._stopping:
            self._fire_due(now)
        operation = self._next()
        if operation is None:
            return
        if operation.smart:
            self._forms.smart.start()
        else:
            self._queue.remove(operation.type)
        running = Running(operation, now)
        self._running = running
        running.task = asyncio.create_task(self._execute(running), name=f"sync-{operation.type}")

    def _fire_due(self, now: datetime) -> None:
        decisions = self._schedule.due(self._last_fired, now)
        for decision in decisions:
            self._last_fired[decision.type] = decision.tick
        for decision in decisions:
            mode = scheduled_mode(
                self._last_full.get(decision.type), now, self._config.full_sync_every
            )
            self._accept(decision.type, mode, Trigger.SCHEDULE, now)

    # -- running ----------------------------------------------------------------------------

    def _time_limit(self, type: SyncType) -> timedelta:
        return self._config.max_run_time_by_type.get(type, self._config.max_run_time)

    async def _execute(self, running: Running) -> None:
        op = running.operation
        limit = self._time_limit(op.type)
        watch = RunWatch(running, self._events, self._clock, limit)
        run = await self._engine.run(
            SyncJob(op.type, op.mode, op.trigger, resume=not op.smart),
            yield_reason=lambda: yield_reason(op, self._situation()),
            observer=watch,
            time_limit=limit,
        )
        self._running = None
        watch.ended(run)
        self._finish(op, run, self._clock.now())
        self._dispatch()

    def _finish(self, op: Operation, run: SyncRun, now: datetime) -> None:
        """What a run's end changes: the last full sync, a preempted sync back in the queue
        (to continue from its checkpoint), the forms waiting for a smart sync."""
        if run.status == RunStatus.COMPLETED and run.mode == SyncMode.FULL:
            self._last_full[op.type] = now
        if run.status == RunStatus.INTERRUPTED and not self._stopping:
            priority = self._schedule.priority(op.type)
            self._queue.request(op.type, run.mode, priority, Trigger.RESUME, now)
        if op.smart:
            result = self._forms.smart.finish(run, now)
            self._emit(
                EventAction.SMART_SYNC_COMPLETED,
                status=result.status,
                fetched=result.fetched,
                inserted=result.inserted,
                updated=result.updated,
                duration_s=round(result.duration_s, 3),
                sync_s=round(result.sync_s, 3),
            )

    # -- small helpers ----------------------------------------------------------------------

    def _emit(self, action: EventAction, **fields: object) -> None:
        self._events.emit(action, self._clock.now(), **fields)
