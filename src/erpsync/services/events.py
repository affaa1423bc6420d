"""Coordination events: one structured log line a step, and a feed for live pages."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

log = logging.getLogger("erpsync.coordination")


class EventAction(StrEnum):
    """Every coordination step, by the name its log line and its live event carry."""

    ORCHESTRATOR_STARTED = "orchestrator_started"
    SYNC_REQUESTED = "sync_requested"
    SYNC_QUEUED = "sync_queued"
    SYNC_MERGED = "sync_merged"
    SYNC_STARTED = "sync_started"
    SYNC_RESUMED = "sync_resumed"
    SYNC_PROGRESS = "sync_progress"
    SYNC_COMPLETED = "sync_completed"
    SYNC_FAILED = "sync_failed"
    SYNC_PREEMPTED = "sync_preempted"
    SYNC_WATCHDOG = "sync_watchdog"
    #: A sync starts though order forms are open: they held it back past its budget.
    SYNC_OVERDUE = "sync_overdue"
    SESSION_OPENED = "session_opened"
    SESSION_CLOSED = "session_closed"
    SESSION_EXPIRED = "session_expired"
    SAFETY_TIMEOUT = "safety_timeout"
    SYNCS_PAUSED = "syncs_paused"
    SYNCS_RESUMED = "syncs_resumed"
    SMART_SYNC_REQUESTED = "smart_sync_requested"
    SMART_SYNC_JOINED = "smart_sync_joined"
    SMART_SYNC_TIMED_OUT = "smart_sync_timed_out"
    SMART_SYNC_COMPLETED = "smart_sync_completed"
    SCHEDULE_CHANGED = "schedule_changed"
    #: A first start loads the types whose mirror is empty (SPEC §2.14); and it has ended.
    HYDRATION_STARTED = "hydration_started"
    HYDRATION_COMPLETED = "hydration_completed"
    #: An order to send to the ERP is recorded (or found again at start) and waits its turn.
    SUBMISSION_QUEUED = "submission_queued"
    SUBMISSION_STARTED = "submission_started"
    ORDER_PLACED = "order_placed"
    ORDER_REJECTED = "order_rejected"
    #: An attempt got no answer to go by: the same key goes again after a delay.
    SUBMISSION_RETRIED = "submission_retried"
    ROLE_ACQUIRED = "role_acquired"
    ROLE_RELEASED = "role_released"
    #: For live pages only: they missed events and should reload the whole status.
    RESYNC = "resync"

    @property
    def level(self) -> int:
        """Failures and the safety timeout are warnings; progress and resyncs, frequent and
        not coordination steps, are debug lines."""
        if self in _WARNINGS:
            return logging.WARNING
        if self in _QUIET:
            return logging.DEBUG
        return logging.INFO

    @property
    def changes_runs(self) -> bool:
        """Whether the run history changes with this step (a run began or ended)."""
        return self in _RUN_STEPS


_WARNINGS = frozenset(
    {
        EventAction.SYNC_FAILED,
        EventAction.SAFETY_TIMEOUT,
        EventAction.SYNC_WATCHDOG,
        EventAction.SMART_SYNC_TIMED_OUT,
        EventAction.SUBMISSION_RETRIED,
    }
)
_QUIET = frozenset({EventAction.SYNC_PROGRESS, EventAction.RESYNC})
_RUN_STEPS = frozenset(
    {
        EventAction.RESYNC,
        EventAction.SYNC_STARTED,
        EventAction.SYNC_RESUMED,
        EventAction.SYNC_COMPLETED,
        EventAction.SYNC_FAILED,
        EventAction.SYNC_PREEMPTED,
    }
)


@dataclass(frozen=True)
class Event:
    seq: int
    action: EventAction
    at: datetime
    fields: Mapping[str, Any] = field(default_factory=dict)


def format_fields(fields: Mapping[str, Any]) -> str:
    parts = []
    for key, value in fields.items():
        if value is None:
            continue
        text = str(value)
        parts.append(f"{key}={text!r}" if " " in text or not text else f"{key}={text}")
    return " ".join(parts)


class EventBus:
    """Logs every coordination step as ``action=… key=value …`` and hands it to subscribers.

    A subscriber that falls behind loses its oldest events rather than slowing the service;
    its next read starts with a ``resync`` event telling it to reload the full status.
    """

    def __init__(self, *, buffer: int = 256, history: int = 200) -> None:
        self._seq = itertools.count(1)
        self._subscribers: set[asyncio.Queue[Event]] = set()
        self._listeners: list[Callable[[Event], None]] = []
        self._buffer = buffer
        self._recent: deque[Event] = deque(maxlen=history)

    def listen(self, listener: Callable[[Event], None]) -> None:
        """Call ``listener`` with every step as it is emitted (it must not block)."""
        self._listeners.append(listener)

    @property
    def subscribers(self) -> int:
        """How many live feeds are subscribed (an event stream each)."""
        return len(self._subscribers)

    @property
    def recent(self) -> list[Event]:
        """The latest events, oldest first."""
        return list(self._recent)

    def emit(self, action: EventAction, at: datetime, **fields: Any) -> Event:
        event = Event(next(self._seq), action, at, fields)
        step = {"action": action.value, **{k: v for k, v in fields.items() if v is not None}}
        log.log(
            action.level,
            "action=%s %s",
            action.value,
            format_fields(fields),
            extra={"step": step},
        )
        self._recent.append(event)
        for listener in self._listeners:
            listener(event)
        for queue in self._subscribers:
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
                queue.put_nowait(Event(event.seq, EventAction.RESYNC, at))
            else:
                queue.put_nowait(event)
        return event

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[Event]]:
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=self._buffer)
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)
