from __future__ import annotations

import math

import pytest

from erpsync.demo_erp.config import LatencyProfile, Volumes
from erpsync.demo_erp.latency import INSTANT, REALISTIC, latency_model
from erpsync.domain.catalog import SPECS
from erpsync.domain.types import SyncType


def _full_sync_seconds(type: SyncType, count: int, page_size: int) -> float:
    pages = [min(page_size, count - start) for start in range(0, count, page_size)]
    return sum(REALISTIC.page_delay(type, items) for items in pages)


@pytest.mark.parametrize("page_size", [100, 250, 500, 1000, SPECS[SyncType.CUSTOMERS].page_size])
def test_a_full_customer_sync_takes_15_to_20_seconds(page_size: int) -> None:
    seconds = _full_sync_seconds(SyncType.CUSTOMERS, 1500, page_size)

    assert 15.0 <= seconds <= 20.0


def test_an_incremental_customer_sync_takes_a_few_tenths_of_a_second() -> None:
    for changed in (0, 1, 5, 10):
        assert 0.2 <= REALISTIC.page_delay(SyncType.CUSTOMERS, changed) <= 0.4


def test_a_product_page_of_500_takes_at_most_a_second() -> None:
    assert REALISTIC.page_delay(SyncType.PRODUCTS, 500) <= 1.0


@pytest.mark.parametrize("type", [t for t in SyncType if t is not SyncType.CUSTOMERS])
def test_other_types_page_at_their_catalogue_size_in_about_a_second(type: SyncType) -> None:
    assert 0.3 < REALISTIC.page_delay(type, SPECS[type].page_size) <= 1.2


@pytest.mark.parametrize("type", list(SyncType))
def test_every_full_sync_takes_under_half_a_minute(type: SyncType) -> None:
    count = Volumes().of(type)
    page_size = SPECS[type].page_size

    seconds = _full_sync_seconds(type, count, page_size)

    assert math.ceil(count / page_size) * REALISTIC.base_seconds <= seconds < 30


def test_the_instant_profile_never_waits() -> None:
    assert latency_model(LatencyProfile.INSTANT) is INSTANT
    assert all(INSTANT.page_delay(t, 1000) == 0 for t in SyncType)
    assert latency_model(LatencyProfile.REALISTIC) is REALISTIC
