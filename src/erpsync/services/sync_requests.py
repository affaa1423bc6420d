"""Sync requests as they arrive: merged into the running sync or into the request already
queued, or queued; each step logged with why the request waits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from erpsync.domain.answers import RequestOutcome, SyncRequested
from erpsync.domain.dispatch import Situation, SyncOperation, wait_reason
from erpsync.domain.queue import EnqueueOutcome, SyncQueue
from erpsync.domain.runs import RunStatus, SyncRun
from erpsync.domain.types import SyncMode, SyncType, Trigger
from erpsync.ports import Clock
from erpsync.services.events import EventAction, EventBus
from erpsync.services.orchestrator_state import Running
from erpsync.services.timetable import Timetable


class SyncRequests:
    def __init__(
        self, queue: SyncQueue, timetable: Timetable, events: EventBus, clock: Clock
    ) -> None:
        self._queue = queue
        self._timetable = timetable
        self._events = events
        self._clock = clock

    def accept(
        self,
        type: SyncType,
        mode: SyncMode,
        trigger: Trigger,
        now: datetime,
        *,
        running: Running | None,
        situation: Callable[[], Situation],
    ) -> SyncRequested:
        """Queue a request, or merge it into the running sync (when that covers it and is
        not stopping) or into the queued request of its type."""
        self._emit(EventAction.SYNC_REQUESTED, type=type, mode=mode, trigger=trigger)
        if running is not None and running.stopping is None:
            op = running.operation
            if not op.smart and op.type == type and op.mode.stronger(mode) == op.mode:
                self._emit(EventAction.SYNC_MERGED, type=type, into="running", trigger=trigger)
                return SyncRequested(type, RequestOutcome.MERGED, op.mode, 0)
        enqueued = self._queue.request(type, mode, self._timetable.priority(type), trigger, now)
        merged = enqueued.outcome == EnqueueOutcome.MERGED
        wait = wait_reason(enqueued.request, situation())
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

    def ended(self, op: SyncOperation, run: SyncRun, now: datetime, *, stopping: bool) -> None:
        """A sync ended. A preempted one goes back to the queue to continue from its
        checkpoint (unless the service stops), wanted since it first was: open forms' hold on
        it keeps counting."""
        if run.status != RunStatus.INTERRUPTED or stopping:
            return
        priority = self._timetable.priority(op.type)
        self._queue.request(op.type, run.mode, priority, Trigger.RESUME, op.requested_at or now)

    def _emit(self, action: EventAction, **fields: object) -> None:
        self._events.emit(action, self._clock.now(), **fields)
