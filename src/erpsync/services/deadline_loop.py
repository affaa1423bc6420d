"""A loop that does its step now, then again at the earliest deadline, or when woken."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from datetime import datetime

from erpsync.ports import Clock


class DeadlineLoop:
    """Runs ``step``, then waits on ``clock`` until the earliest of ``deadlines()`` (``None``
    ones are ignored; with none, until woken), or until :meth:`wake` is called, and again.

    Whoever changes a deadline wakes the loop, so it never sleeps past one.
    """

    def __init__(
        self,
        clock: Clock,
        step: Callable[[], None],
        deadlines: Callable[[], Iterable[datetime | None]],
        *,
        name: str,
    ) -> None:
        self._clock = clock
        self._step = step
        self._deadlines = deadlines
        self._name = name
        self._woken = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def wake(self) -> None:
        self._woken.set()

    async def _run(self) -> None:
        while True:
            self._step()
            upcoming = [d for d in self._deadlines() if d is not None]
            delay = None
            if upcoming:
                delay = max(0.0, (min(upcoming) - self._clock.now()).total_seconds())
            await self._wait(delay)

    async def _wait(self, delay: float | None) -> None:
        self._woken.clear()
        tasks: set[asyncio.Task[object]] = {asyncio.create_task(self._woken.wait())}
        if delay is not None:
            tasks.add(asyncio.create_task(self._clock.sleep(delay)))
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
