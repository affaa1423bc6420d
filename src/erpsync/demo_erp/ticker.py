"""The ticker: life in the ERP, so every sync finds something to do."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from erpsync.demo_erp.store import Dataset
from erpsync.domain.types import SyncType

logger = logging.getLogger(__name__)

TICKED_TYPES = (SyncType.CUSTOMERS, SyncType.ORDERS, SyncType.INVOICES)
MAX_CHANGES_PER_TYPE = 3


def tick(dataset: Dataset, rng: random.Random) -> dict[SyncType, int]:
    """Change one to three random customers, orders and invoices; return how many of each."""
    changed = {
        type: len(dataset.touch(type, rng.randint(1, MAX_CHANGES_PER_TYPE), rng))
        for type in TICKED_TYPES
    }
    logger.info(
        "action=demo_erp_tick %s", " ".join(f"{type}={count}" for type, count in changed.items())
    )
    return changed


async def run_ticker(
    dataset: Dataset,
    rng: random.Random,
    interval: float,
    sleep: Callable[[float], Awaitable[None]],
) -> None:
    while True:
        await sleep(interval)
        tick(dataset, rng)


@asynccontextmanager
async def ticker_running(
    dataset: Dataset,
    rng: random.Random,
    interval: float | None,
    sleep: Callable[[float], Awaitable[None]],
) -> AsyncIterator[None]:
    """Run the ticker in the background while the context is open (not at all without an
    interval)."""
    if interval is None:
        yield
        return
    task = asyncio.create_task(run_ticker(dataset, rng, interval, sleep), name="demo-erp-ticker")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
