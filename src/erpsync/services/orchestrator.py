"""The orchestrator: the single runner that decides what syncs with the ERP, and when.

Everything that changes what runs arrives as a command (:mod:`erpsync.domain.commands`)
through :meth:`Orchestrator.handle`. The decisions are the pure domain's (queue, schedule,
sessions, dispatch); this module holds the state they look at, applies them, runs one
operation at a time through the sync engine, and logs each coordination step.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
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
    SmartSyncResult,
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
from erpsync.domain.schedule import validate_entry
from erpsync.domain.snapshot import QueuedView, Snapshot
from erpsync.domain.types import SyncMode, SyncType, Trigger, TypeSchedule
from erpsync.errors import InvalidCommandError
from erpsync.ports import Clock, ScheduleStore, SyncEngine, SyncJob
from erpsync.services.deadline_loop import DeadlineLoop
from erpsync.services.events import EventAction, EventBus
from erpsync.services.orchestrator_config import OrchestratorConfig
from erpsync.services.orchestrator_state import Running, RunWatch
from erpsync.services.order_forms import OrderForms
from erpsync.services.timetable import Timetable
from erpsync.services.watchdog import within

A = TypeVar("A")
log = logging.getLogger(__name__)


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
        self._config = config = config or OrchestratorConfig()
        self._timetable = Timetable(
            anchor or clock.now(),
            last_fired=last_fired or {},
            full_every=config.full_sync_every,
            enabled=config.scheduler,
        )
        self._queue = SyncQueue()
        self._forms = OrderForms(config, clock, events)
        self._running: Running | None = None
        self._loop = DeadlineLoop(
            clock,
            self._dispatch,
            lambda: (self._forms.next_deadline(), self._timetable.wake_at()),
            name="erpsync-orchestrator",
        )
        self._stopping = False

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the schedule changes and what the run history remembers, then start the loop
        of timers, lease expiry and dispatch."""
        changed = await asyncio.to_thread(self._schedules.load)
        self._timetable.load(changed, await self._engine.last_full_syncs())
        self._emit(EventAction.ORCHESTRATOR_STARTED, anchor=self._timetable.anchor)
        for run in await self._engine.recover():  # continue what a stopped process left
            self._accept(run.type, run.mode, Trigger.RESUME, self._clock.now())
        self._loop.start()

    async def stop(self, grace_s: float = 10.0) -> None:
        """Stop taking work; a running sync stops at its next page boundary (or is cancelled
        after ``grace_s``), keeping its checkpoint for the next start."""
        self._stopping = True
        await self._loop.stop()
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
                ordered = self._timetable.by_priority()
                answer = AllRequested(tuple(self._request(t, mode, trigger) for t in ordered))
            case OpenForm():
                answer = await self._open_form(command)
            case PingForm(session_id=session_id, owner=owner, active=active):
                known = self._forms.ping(session_id, owner=owner, active=active)
                self._loop.wake()
                answer = FormPinged(known, self._forms.state())
            case CloseForm(session_id=session_id, owner=owner, instance=instance):
                closed = self._forms.close(
                    session_id, owner=owner, instance=instance, waiting=len(self._queue)
                )
                self._loop.wake()
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
        timetable = self._timetable
        running = self._running
        return Snapshot(
            anchor=timetable.anchor,
            schedule=timetable.entries(),
            next_runs=timetable.next_runs(),
            last_fired=timetable.last_fired(),
            last_full=timetable.last_full(),
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
            page_deadline_s=self._config.page_deadline.total_seconds(),
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
        enqueued = self._queue.request(type, mode, self._timetable.priority(type), trigger, now)
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

    async def _open_form(self, command: OpenForm) -> FormOpened:
        """Open (or re-register) an order-form session and bring customers up to date.

        Other syncs pause at once; a sync other than ``customers`` that is running stops at
        its next page boundary. The form gets a smart sync that starts after it opened (see
        :mod:`smart_sync`), or, when that has not ended within ``smart_answer_within``, an
        answer saying so while the sync goes on in the background.
        """
        session_id = command.session_id
        running = self._running
        self._forms.open(
            session_id,
            owner=command.owner,
            instance=command.instance,
            running=None if running is None else running.operation.type,
            waiting=len(self._queue),
        )
        self._loop.wake()  # the loop must learn the new lease and safety deadlines
        asked_at = self._clock.now()
        future, new = self._forms.smart.ask(asked_at)
        if new:
            follow_up = running is not None and running.operation.smart
            self._emit(EventAction.SMART_SYNC_REQUESTED, session=session_id, follow_up=follow_up)
            self._dispatch()
        else:
            self._emit(EventAction.SMART_SYNC_JOINED, session=session_id)
        limit = self._config.smart_answer_within
        result = await within(self._clock, limit, asyncio.shield(future))
        if result is None:
            now = self._clock.now()
            result = SmartSyncResult.timed_out(asked_at, now, self._config.smart_sync_mode)
            self._emit(
                EventAction.SMART_SYNC_TIMED_OUT,
                session=session_id,
                waited_s=round(result.duration_s, 3),
            )
        return FormOpened(result, self._forms.state())

    async def _change_schedule(self, entry: TypeSchedule) -> ScheduleChanged:
        """Validate, keep, then apply at once: what is due under the old entry fires first.

        Raises:
            InvalidScheduleError: the entry breaks the limits.
        """
        validate_entry(entry)
        await asyncio.to_thread(self._schedules.save, entry)
        now = self._clock.now()
        for due in self._timetable.change(entry, now):
            self._accept(due.type, due.mode, Trigger.SCHEDULE, now)
        self._queue.reprioritise(entry.type, entry.priority)
        self._emit(
            EventAction.SCHEDULE_CHANGED,
            type=entry.type,
            priority=entry.priority,
            interval_s=int(entry.interval.total_seconds()),
            offset_s=int(entry.offset.total_seconds()),
            next_run=self._timetable.next_run(entry.type),
        )
        self._loop.wake()
        return ScheduleChanged(entry)

    # -- applying the decisions -------------------------------------------------------------

    def _situation(self) -> Situation:
        running = self._running
        budget = self._config.starvation_budget
        return Situation(
            now=self._clock.now(),
            budgets={t: e.interval * budget for t, e in self._timetable.entries().items()},
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
            self._loop.wake()
        if not self._stopping:
            for due in self._timetable.due(now):
                self._accept(due.type, due.mode, Trigger.SCHEDULE, now)
        operation = self._next()
        if operation is None:
            return
        if operation.smart:
            self._forms.smart.start()
        else:
            self._queue.remove(operation.type)
        if operation.overdue and operation.requested_at is not None:
            self._emit(
                EventAction.SYNC_OVERDUE,
                type=operation.type,
                held_s=int((now - operation.requested_at).total_seconds()),
                sessions=self._forms.count,
            )
        running = Running(operation, now)
        self._running = running
        running.task = asyncio.create_task(self._execute(running), name=f"sync-{operation.type}")

    # -- running ----------------------------------------------------------------------------

    def _time_limit(self, type: SyncType) -> timedelta:
        return self._config.max_run_time_by_type.get(type, self._config.max_run_time)

    async def _execute(self, running: Running) -> None:
        op = running.operation
        limit = self._time_limit(op.type)
        watch = RunWatch(running, self._events, self._clock, limit)
        try:
            run = await self._engine.run(
                SyncJob(op.type, op.mode, op.trigger, resume=not op.smart),
                yield_reason=lambda: yield_reason(op, self._situation()),
                observer=watch,
                time_limit=limit,
            )
        except Exception as exc:  # the engine records its own failures: its store failed
            log.exception("action=sync_crashed type=%s", op.type.value)
            run = running.lost(self._clock.now(), exc)
        self._running = None
        watch.ended(run)
        self._finish(op, run, self._clock.now())
        self._dispatch()

    def _finish(self, op: Operation, run: SyncRun, now: datetime) -> None:
        """What a run's end changes: the last full sync, a preempted sync back in the queue
        (to continue from its checkpoint), the forms waiting for a smart sync."""
        if run.status == RunStatus.COMPLETED and run.mode == SyncMode.FULL:
            self._timetable.completed_full(op.type, now)
        if run.status == RunStatus.INTERRUPTED and not self._stopping:
            # back in the queue, wanted since it first was: open forms' hold keeps counting
            priority = self._timetable.priority(op.type)
            wanted = op.requested_at or now
            self._queue.request(op.type, run.mode, priority, Trigger.RESUME, wanted)
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
