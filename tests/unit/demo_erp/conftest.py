from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from erpsync.demo_erp.config import DemoErpConfig, LatencyProfile, Volumes

ANCHOR = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


class SteppingClock:
    """A clock that stands still until told to move."""

    def __init__(self, now: datetime = ANCHOR) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


SMALL = Volumes(customers=40, products=30, prices=45, orders=25, ddt=28, invoices=26)


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock()


@pytest.fixture
def small_config() -> DemoErpConfig:
    return DemoErpConfig(volumes=SMALL, latency=LatencyProfile.INSTANT)
