"""A time limit on a piece of work, measured on the injected clock."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from datetime import timedelta
from typing import TypeVar

from erpsync.ports import Clock

T = TypeVar("T")


async def within(clock: Clock, limit: timedelta, work: Awaitable[T]) -> T | None:
    """The result of ``work``, or ``None`` when ``limit`` passed first (``work`` is then
    cancelled and awaited, so nothing of it runs on)."""
    task = asyncio.ensure_future(work)
    timer = asyncio.ensure_future(clock.sleep(limit.total_seconds()))
    try:
        await asyncio.wait({task, timer}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()  # whoever cancels us cancels the work too
        raise
    finally:
        timer.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return None
