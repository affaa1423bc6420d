"""The Smart Customer Syncs that order forms wait for, coalesced.

A form always gets a smart sync that started after it opened, so its answer is never older
than the form: a form that opens while one is running waits for the follow-up, and every form
that opens meanwhile shares that same follow-up. However many forms open at once, that costs
at most two smart syncs.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from erpsync.domain.answers import SmartSyncResult
from erpsync.domain.runs import SyncRun


@dataclass
class _Slot:
    future: asyncio.Future[SmartSyncResult]
    requested_at: datetime


class SmartSyncs:
    def __init__(self) -> None:
        self._running: _Slot | None = None
        self._next: _Slot | None = None
        self.last: SmartSyncResult | None = None

    @property
    def waiting(self) -> bool:
        """A form waits for a smart sync that has not started yet."""
        return self._next is not None

    def ask(self, now: datetime) -> tuple[asyncio.Future[SmartSyncResult], bool]:
        """The smart sync a form waits for, and whether it was asked for just now (else the
        form joins the one that is waiting to start)."""
        if self._next is not None:
            return self._next.future, False
        future: asyncio.Future[SmartSyncResult] = asyncio.get_running_loop().create_future()
        self._next = _Slot(future, now)
        return future, True

    def start(self) -> None:
        """The waiting smart sync starts: forms that open from now on need the next one."""
        self._running, self._next = self._next, None

    def finish(self, run: SyncRun, now: datetime) -> SmartSyncResult:
        """The running smart sync ended as ``run``: every form waiting for it gets the result."""
        slot, self._running = self._running, None
        requested_at = slot.requested_at if slot is not None else run.started_at
        result = SmartSyncResult.from_run(run, requested_at, now)
        self.last = result
        if slot is not None and not slot.future.done():
            slot.future.set_result(result)
        return result

    def cancel(self) -> None:
        for slot in (self._running, self._next):
            if slot is not None and not slot.future.done():
                slot.future.cancel()
