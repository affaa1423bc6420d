"""The Smart Customer Syncs that order forms wait for.

One smart sync serves every form that asks while it is waiting or running: they all get its
result. A smart sync that completed within ``reuse_window`` is handed to a new form at once
instead of being repeated.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from erpsync.domain.answers import SmartSyncResult
from erpsync.domain.runs import RunStatus, SyncRun


@dataclass
class _Slot:
    future: asyncio.Future[SmartSyncResult]
    requested_at: datetime
    started: bool = False


class SmartSyncs:
    def __init__(self, reuse_window: timedelta) -> None:
        self._reuse_window = reuse_window
        self._slot: _Slot | None = None
        self.last: SmartSyncResult | None = None

    @property
    def waiting(self) -> bool:
        """A form asked for a smart sync that has not started yet."""
        return self._slot is not None and not self._slot.started

    def reusable(self, now: datetime) -> SmartSyncResult | None:
        """The latest result, when it completed recently enough to hand to a new form."""
        last = self.last
        if (
            last is None
            or last.status != RunStatus.COMPLETED
            or now - last.finished_at > self._reuse_window
        ):
            return None
        return SmartSyncResult(**{**last.__dict__, "reused": True})

    def ask(self, now: datetime) -> tuple[asyncio.Future[SmartSyncResult], bool]:
        """The smart sync a form waits for, and whether it was asked for just now (else the
        form joins the one waiting or running)."""
        if self._slot is not None:
            return self._slot.future, False
        future: asyncio.Future[SmartSyncResult] = asyncio.get_running_loop().create_future()
        self._slot = _Slot(future, now)
        return future, True

    def start(self) -> None:
        if self._slot is not None:
            self._slot.started = True

    def finish(self, run: SyncRun, now: datetime) -> SmartSyncResult:
        """The smart sync ended as ``run``: every form waiting for it gets the result."""
        slot, self._slot = self._slot, None
        requested_at = slot.requested_at if slot is not None else run.started_at
        result = SmartSyncResult.from_run(run, requested_at, now)
        self.last = result
        if slot is not None and not slot.future.done():
            slot.future.set_result(result)
        return result

    def cancel(self) -> None:
        if self._slot is not None and not self._slot.future.done():
            self._slot.future.cancel()
