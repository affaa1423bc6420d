"""The orchestrator's cold start: at start-up, a full sync of every type whose mirror is empty,
asked for at once in priority order; its progress, followed as runs end; a log line as it
begins and as it ends (see :mod:`erpsync.domain.hydration`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from erpsync.domain.dispatch import SyncOperation
from erpsync.domain.hydration import Hydration
from erpsync.domain.runs import RunStatus, SyncRun
from erpsync.domain.types import SyncMode, SyncType, Trigger
from erpsync.ports import Clock, SyncEngine
from erpsync.services.events import EventAction, EventBus

#: How the hydration asks for a sync: the orchestrator's own way of accepting a request.
Accept = Callable[[SyncType, SyncMode, Trigger, datetime], object]


class ColdStart:
    """Args:
    enabled: Whether a start hydrates at all (off: the orchestrator starts with the grid).
    """

    def __init__(self, clock: Clock, events: EventBus, *, enabled: bool) -> None:
        self._clock = clock
        self._events = events
        self._enabled = enabled
        self.current: Hydration | None = None

    async def begin(self, engine: SyncEngine, order: Sequence[SyncType], accept: Accept) -> None:
        """Ask for a full sync of each empty type, in ``order`` (highest priority first)."""
        if not self._enabled:
            return
        empty = set(await engine.empty_types())
        types = tuple(t for t in order if t in empty)
        if not types:
            return
        now = self._clock.now()
        self.current = Hydration(now, types)
        self._events.emit(
            EventAction.HYDRATION_STARTED, now, types=",".join(t.value for t in types)
        )
        for type in types:
            accept(type, SyncMode.FULL, Trigger.HYDRATION, now)

    def ended(self, op: SyncOperation, run: SyncRun, now: datetime) -> None:
        """A run ended: a completed one hydrates its type; a failed one fails it, unless it was
        a Smart Customer Sync (the hydration's own request is still to run)."""
        hydration = self.current
        if hydration is None or not hydration.active:
            return
        if run.status == RunStatus.COMPLETED:
            hydration = hydration.ended(op.type, completed=True, at=now)
        elif run.status == RunStatus.FAILED and not op.smart:
            hydration = hydration.ended(op.type, completed=False, at=now)
        self.current = hydration
        if not hydration.active:
            self._events.emit(
                EventAction.HYDRATION_COMPLETED,
                now,
                done=len(hydration.done),
                total=len(hydration.types),
                failed=",".join(t.value for t in hydration.failed) or None,
                duration_s=round((now - hydration.began_at).total_seconds(), 3),
            )
