"""A time limit on the fake clock."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from erpsync.services.watchdog import within
from erpsync.testing import FakeClock


async def test_work_that_ends_in_time_gives_its_result() -> None:
    clock = FakeClock()

    async def quick() -> str:
        return "done"

    assert await within(clock, timedelta(seconds=5), quick()) == "done"
    assert clock.sleepers == 0


async def test_work_past_the_limit_is_cancelled() -> None:
    clock = FakeClock()
    cancelled = asyncio.Event()

    async def hang() -> str:
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()
        return "never"

    limited = asyncio.ensure_future(within(clock, timedelta(seconds=5), hang()))
    for _ in range(5):  # let the timer set itself
        await asyncio.sleep(0)
    assert clock.sleepers == 1
    await clock.advance(5)
    assert await limited is None
    assert cancelled.is_set()


async def test_cancelling_the_wait_cancels_the_work() -> None:
    clock = FakeClock()
    cancelled = asyncio.Event()

    async def hang() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()

    limited = asyncio.ensure_future(within(clock, timedelta(seconds=5), hang()))
    await asyncio.sleep(0)
    limited.cancel()
    await asyncio.gather(limited, return_exceptions=True)
    await asyncio.sleep(0)
    assert cancelled.is_set()
