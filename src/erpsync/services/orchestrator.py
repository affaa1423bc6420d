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
from datetime import datetime
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
    SendOrders,
)
from erpsync.domain.dispatch import (
    Operation,
    Situation,
    SubmitOperation,
    SyncOperation,
    next_start,
    overdue_at,
    wait_reason,
    yield_reason,
)
from erpsync.domain.queue import SyncQueue
from erpsync.domain.runs import RunStatus, SyncRun
from erpsync.domain.schedule import validate_entry
from erpsync.domain.snapshot import QueuedView, Snapshot
from erpsync.domain.types import SyncMode, SyncType, Trigger, TypeSchedule
from erpsync.errors import InvalidCommandError
from erpsync.ports import Clock, ScheduleStore, SyncEngine, SyncJob
from erpsync.services.deadline_loop import DeadlineLoop
from erpsync.services.events import EventAction, EventBus
from erpsync.services.hydration import ColdStart
from erpsync.services.orchestrator_config import OrchestratorConfig
from erpsync.services.orchestrator_state import Running, RunWatch
from erpsync.services.order_forms import OrderForms
from erpsync.services.order_lane import OrderLane, Sending
from erpsync.services.sync_requests import SyncRequests
from erpsync.services.timetable import Timetable

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
        orders: OrderLane | None = None,
    ) -> None:
        """``anchor`` is when the deployment started (now by default): the schedule's grids
        hang on it. ``last_fired`` carries over, from a previous holder of the orchestrator
        role, the ticks already fired, so a new holder does not repeat them. ``orders`` sends
        the orders agents submit (without it, ``SendOrders`` is refused)."""
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
        self._requests = SyncRequests(self._queue, self._timetable, events, clock)
        self._forms = OrderForms(config, clock, events)
        self._cold_start = ColdStart(clock, events, enabled=config.hydrate_on_start)
        self._running: Running | Sending | None = None
        self._orders = orders
        self._loop = DeadlineLoop(
            clock, self._dispatch, self._deadlines, name="erpsync-orchestrator"
        )
        self._stopping = False
        self._interactive_last = False

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the schedule and what the run history remembers, go on with what was left
        unfinished, hydrate the empty types, then start the loop of timers, leases, dispatch."""
        changed = await asyncio.to_thread(self._schedules.load)
        self._timetable.load(changed, await self._engine.last_full_syncs())
        self._emit(EventAction.ORCHESTRATOR_STARTED, anchor=self._timetable.anchor)
        for run in await self._engine.recover():  # continue what a stopped process left
            self._accept(run.type, run.mode, Trigger.RESUME, self._clock.now())
        await self._cold_start.begin(self._engine, self._timetable.by_priority(), self._accept)
        if self._orders is not None:  # and the orders it had not finished sending
            await self._orders.load()
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
                # No wake: a heartbeat only moves deadlines later (the lease, the safety timeout)
                known = self._forms.ping(session_id, owner=owner, active=active)
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
            case SendOrders(submission_ids=ids) if self._orders is not None:
                answer = await self._orders.accept(ids)
                self._loop.wake()
                self._dispatch()
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
            running=running.view(yield_reason(running.operation, situation))
            if isinstance(running, Running)
            else None,
            sessions=self._forms.count,
            safety_deadline=self._forms.safety_deadline(),
            safety_timeout_s=int(self._config.safety_timeout.total_seconds()),
            page_deadline_s=self._config.page_deadline.total_seconds(),
            smart_waiting=situation.smart_waiting,
            last_smart=self._forms.smart.last,
            hydration=self._cold_start.current,
            orders=()
            if self._orders is None
            else self._orders.views(running if isinstance(running, Sending) else None),
        )

    def _request(self, type: SyncType, mode: SyncMode, trigger: Trigger) -> SyncRequested:
        answer = self._accept(type, mode, trigger, self._clock.now())
        if answer.position == 0:  # merged into the running sync
            return answer
        self._loop.wake()  # a request held back by open forms has a moment it becomes overdue
        self._dispatch()
        running = self._running
        if (
            answer.outcome == RequestOutcome.QUEUED
            and type not in self._queue
            and isinstance(running, Running)
            and not running.operation.smart
            and running.operation.type == type
        ):
            return SyncRequested(type, RequestOutcome.STARTED, answer.mode)
        return SyncRequested(type, answer.outcome, answer.mode, self._queue.position(type))

    def _accept(
        self, type: SyncType, mode: SyncMode, trigger: Trigger, at: datetime
    ) -> SyncRequested:
        sync = self._running if isinstance(self._running, Running) else None
        return self._requests.accept(
            type, mode, trigger, at, running=sync, situation=self._situation
        )

    async def _open_form(self, command: OpenForm) -> FormOpened:
        """Open (or re-register) an order-form session and bring customers up to date.

        Other syncs pause at once; a sync other than ``customers`` that is running stops at
        its next page boundary. The form gets a smart sync that starts after it opened (see
        :mod:`smart_sync`), or, when that has not ended within ``smart_answer_within``, an
        answer saying so while the sync goes on in the background.
        """
        running = self._running
        future, asked_at = self._forms.open(
            command,
            running=running.operation if isinstance(running, Running) else None,
            waiting=len(self._queue),
        )
        self._loop.wake()  # the loop must learn the new lease and safety deadlines
        self._dispatch()
        result = await self._forms.smart_result(command.session_id, future, asked_at)
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
        now = self._clock.now()
        return Situation(
            now=now,
            budgets={t: e.interval * budget for t, e in self._timetable.entries().items()},
            forms_open=self._forms.open_anywhere,
            smart_waiting=self._forms.smart.waiting,
            submission_ready=None if self._orders is None else self._orders.ready(now),
            interactive_last=self._interactive_last,
            running=None if running is None else running.operation,
            shutting_down=self._stopping,
            preemption=self._config.preemption,
            smart_mode=self._config.smart_sync_mode,
        )

    def _next(self) -> Operation | None:
        return next_start(self._queue.entries(), self._situation())

    def _deadlines(self) -> tuple[datetime | None, ...]:
        lane = None if self._orders is None else self._orders.wake_at(self._clock.now())
        held = overdue_at(self._queue.entries(), self._situation())
        return self._forms.next_deadline(), self._timetable.wake_at(), held, lane

    def _dispatch(self) -> None:
        """Apply what time has made due, then start the next operation if none runs."""
        now = self._clock.now()
        if self._forms.expire(waiting=len(self._queue)):
            self._loop.wake()
        if not self._stopping:
            for due in self._timetable.due(now):
                self._accept(due.type, due.mode, Trigger.SCHEDULE, now)
            if self._orders is not None and self._orders.poll(now, found=self._loop.wake):
                self._loop.wake()  # the next look is due later now
        operation = self._next()
        if operation is None:
            return
        current: Running | Sending
        if isinstance(operation, SubmitOperation):
            current = Sending(operation, now)
            work = self._execute_submission(current)
        else:
            self._take(operation, now)
            current = Running(operation, now)
            work = self._execute(current)
        self._running = current
        current.task = asyncio.create_task(work, name=f"erp-{operation.kind}")

    def _take(self, operation: SyncOperation, now: datetime) -> None:
        """A sync starts: out of the queue (or the smart sync's slot)."""
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

    # -- running ----------------------------------------------------------------------------

    async def _execute_submission(self, sending: Sending) -> None:
        assert self._orders is not None
        await self._orders.send(sending.operation.submission_id, self._config.page_deadline)
        self._running = None
        self._interactive_last = True
        self._loop.wake()  # a retry delay may have begun: the loop must wake for its end
        self._dispatch()

    async def _execute(self, running: Running) -> None:
        op = running.operation
        limit = self._config.time_limit(op.type)
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
        if op.type == SyncType.ORDERS and run.status == RunStatus.COMPLETED and self._orders:
            await self._orders.link_mirrored()  # orders placed though their answer was lost
        self._running = None
        self._interactive_last = op.smart
        watch.ended(run)
        self._finish(op, run, self._clock.now())
        self._loop.wake()  # a preempted sync back in the queue has a moment it becomes overdue
        self._dispatch()

    def _finish(self, op: SyncOperation, run: SyncRun, now: datetime) -> None:
        """What a run's end changes: the last full sync, a preempted sync back in the queue
        (to continue from its checkpoint), the hydration, the forms waiting for a smart sync."""
        if run.status == RunStatus.COMPLETED and run.mode == SyncMode.FULL:
            self._timetable.completed_full(op.type, now)
        self._requests.ended(op, run, now, stopping=self._stopping)
        self._cold_start.ended(op, run, now)
        if op.smart:
            self._forms.smart_finished(run)

    def _emit(self, action: EventAction, **fields: object) -> None:
        self._events.emit(action, self._clock.now(), **fields)
