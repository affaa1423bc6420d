"""The operation the orchestrator runs with the ERP, and how it follows its run."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from erpsync.domain.dispatch import SyncOperation, YieldReason
from erpsync.domain.runs import RunStatus, SyncRun
from erpsync.domain.snapshot import RunningView
from erpsync.errors import ErrorKind, error_kind
from erpsync.ports import Clock
from erpsync.services.events import EventAction, EventBus


@dataclass
class Running:
    """The one operation in progress; ``run`` once its row exists; ``stopping`` once it was
    asked to give way."""

    operation: SyncOperation
    started_at: datetime
    task: asyncio.Task[None] | None = None
    run: SyncRun | None = None
    stopping: YieldReason | None = None
    progress_at: datetime | None = None

    def lost(self, at: datetime, exc: BaseException) -> SyncRun:
        """How the run ended when its engine could not even record it."""
        op = self.operation
        run = self.run or SyncRun(0, op.type, op.mode, op.trigger, RunStatus.RUNNING, at)
        return run.failed(at, error_kind(exc), str(exc) or exc.__class__.__name__)

    def view(self, stopping: YieldReason | None) -> RunningView:
        run = self.run
        op = self.operation
        return RunningView(
            kind=op.kind,
            type=op.type,
            mode=run.mode if run else op.mode,
            trigger=op.trigger,
            started_at=self.started_at,
            pages=run.checkpoint.pages if run else 0,
            fetched=run.counts.fetched if run else 0,
            progress_at=self.progress_at or self.started_at,
            stopping=self.stopping or stopping,
            overdue=op.overdue,
        )


class RunWatch:
    """A :class:`~erpsync.ports.RunObserver` that keeps ``running`` up to date and logs each
    step of its run: started or resumed (with the mode the run really has), progress, and how
    it ended."""

    def __init__(
        self, running: Running, events: EventBus, clock: Clock, time_limit: timedelta
    ) -> None:
        self._running = running
        self._events = events
        self._clock = clock
        self._time_limit = time_limit

    def began(self, run: SyncRun, resumed: bool) -> None:
        self._running.run = run
        self._running.progress_at = self._clock.now()
        self._events.emit(
            EventAction.SYNC_RESUMED if resumed else EventAction.SYNC_STARTED,
            self._clock.now(),
            type=run.type,
            mode=run.mode,
            trigger=self._running.operation.trigger,
            from_page=run.checkpoint.pages if resumed else None,
            overdue=self._running.operation.overdue or None,
        )

    def progressed(self, run: SyncRun) -> None:
        self._running.run = run
        self._running.progress_at = self._clock.now()
        self._events.emit(
            EventAction.SYNC_PROGRESS,
            self._clock.now(),
            type=run.type,
            pages=run.checkpoint.pages,
            fetched=run.counts.fetched,
        )

    def stopping(self, reason: YieldReason) -> None:
        self._running.stopping = reason

    def ended(self, run: SyncRun) -> None:
        running, now = self._running, self._clock.now()
        op = running.operation
        if run.status == RunStatus.COMPLETED:
            counts = run.counts
            self._events.emit(
                EventAction.SYNC_COMPLETED,
                now,
                type=op.type,
                mode=run.mode,
                trigger=op.trigger,
                fetched=counts.fetched,
                inserted=counts.inserted,
                updated=counts.updated,
                unchanged=counts.unchanged,
                deleted=counts.deleted,
                quarantined=counts.quarantined,
                pages=run.checkpoint.pages,
                duration_s=round((now - running.started_at).total_seconds(), 3),
                running_s=round(run.running_s, 3),
            )
        elif run.status == RunStatus.INTERRUPTED:
            self._events.emit(
                EventAction.SYNC_PREEMPTED,
                now,
                type=op.type,
                reason=running.stopping,
                pages=run.checkpoint.pages,
            )
        else:
            if run.error_kind == ErrorKind.TIMED_OUT:
                limit_s = int(self._time_limit.total_seconds())
                self._events.emit(EventAction.SYNC_WATCHDOG, now, type=op.type, limit_s=limit_s)
            self._events.emit(
                EventAction.SYNC_FAILED,
                now,
                type=op.type,
                mode=run.mode,
                kind=run.error_kind,
                reason=run.error,
            )
