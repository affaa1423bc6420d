from __future__ import annotations

import asyncio
import random

from erpsync.demo_erp.config import DemoErpConfig
from erpsync.demo_erp.data import generate_dataset
from erpsync.demo_erp.edits import random_edit
from erpsync.demo_erp.store import Dataset
from erpsync.demo_erp.ticker import TICKED_TYPES, tick, ticker_running
from erpsync.domain.types import SyncType

from .conftest import ANCHOR, SMALL, SteppingClock


def _dataset() -> Dataset:
    return Dataset.load(generate_dataset(DemoErpConfig(volumes=SMALL), ANCHOR), SteppingClock())


def test_every_type_has_an_edit_that_keeps_the_record_valid() -> None:
    dataset = _dataset()
    rng = random.Random(3)
    for type in SyncType:
        for key in dataset.table(type).sorted_keys()[:10]:
            dataset.update(type, key, random_edit(type, dataset.get(type, key), rng))


def test_a_customer_edit_changes_what_it_says() -> None:
    dataset = _dataset()
    before = dataset.get(SyncType.CUSTOMERS, "C000001")

    changes = random_edit(SyncType.CUSTOMERS, before, random.Random(1))

    assert changes
    assert any(before[name] != value for name, value in changes.items())


def test_a_tick_changes_customers_orders_and_invoices_now() -> None:
    dataset = _dataset()

    changed = tick(dataset, random.Random(1))

    assert set(changed) == set(TICKED_TYPES)
    for type, count in changed.items():
        assert 1 <= count <= 3
        recent = dataset.page(type, since=ANCHOR, after=None, limit=100).items
        assert len(recent) == count


async def test_the_ticker_ticks_on_its_interval_until_stopped() -> None:
    dataset = _dataset()
    waits: list[float] = []
    second_wait = asyncio.Event()

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) > 1:
            second_wait.set()
            await asyncio.Event().wait()

    async with ticker_running(dataset, random.Random(1), 30.0, sleep):
        await asyncio.wait_for(second_wait.wait(), timeout=5)

    assert waits == [30.0, 30.0]
    assert dataset.page(SyncType.CUSTOMERS, since=ANCHOR, after=None, limit=10).items


async def test_no_interval_no_ticker() -> None:
    dataset = _dataset()

    async def sleep(seconds: float) -> None:
        raise AssertionError("the ticker should not run")

    async with ticker_running(dataset, random.Random(1), None, sleep):
        await asyncio.sleep(0)
