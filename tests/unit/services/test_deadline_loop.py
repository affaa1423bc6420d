"""The loop that wakes at the earliest deadline or when woken, on the fake clock."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from erpsync.services.deadline_loop import DeadlineLoop
from erpsync.testing import FakeClock


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_the_step_runs_at_once_at_each_deadline_and_when_woken() -> None:
    clock = FakeClock()
    steps: list[datetime] = []
    deadline: list[datetime | None] = [clock.now() + timedelta(seconds=30)]
    loop = DeadlineLoop(clock, lambda: steps.append(clock.now()), lambda: deadline, name="t")
    start = clock.now()
    loop.start()
    await settle()
    assert steps == [start]
    await clock.advance(29)
    await settle()
    assert len(steps) == 1, "not before the deadline"
    await clock.advance(1)
    await settle()
    assert steps[-1] == start + timedelta(seconds=30)
    deadline[0] = None  # nothing to wait for: only a wake-up runs the step again
    await clock.advance(3600)
    await settle()
    count = len(steps)
    loop.wake()
    await settle()
    assert len(steps) == count + 1
    await loop.stop()
