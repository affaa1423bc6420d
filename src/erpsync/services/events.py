"""Coordination events: one structured log line a step, and a feed for live pages."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

log = logging.getLogger("erpsync.coordination")

#: Steps worth a warning in the log rather than an info line.
WARNING_ACTIONS = frozenset({"sync_failed", "safety_timeout", "sync_watchdog"})
#: Frequent steps for live pages, not coordination steps: logged at debug level only.
QUIET_ACTIONS = frozenset({"sync_progress", "resync"})


@dataclass(frozen=True)
class Event:
    seq: int
    action: str
    at: datetime
    fields: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "action": self.action, "at": self.at.isoformat(), **self.fields}


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
        self._buffer = buffer
        self._recent: deque[Event] = deque(maxlen=history)

    @property
    def recent(self) -> list[Event]:
        """The latest events, oldest first."""
        return list(self._recent)

    def emit(self, action: str, at: datetime, **fields: Any) -> Event:
        event = Event(next(self._seq), action, at, fields)
        level = logging.INFO
        if action in WARNING_ACTIONS:
            level = logging.WARNING
        elif action in QUIET_ACTIONS:
            level = logging.DEBUG
        log.log(level, "action=%s %s", action, format_fields(fields))
        self._recent.append(event)
        for queue in self._subscribers:
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
                queue.put_nowait(Event(event.seq, "resync", at))
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
