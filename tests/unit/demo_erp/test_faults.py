from __future__ import annotations

import pytest

from erpsync.demo_erp.config import DemoErpConfig, FaultSettings
from erpsync.demo_erp.data import generate_dataset
from erpsync.demo_erp.faults import Fault, FaultInjector, WriteFault
from erpsync.domain.catalog import SPECS
from erpsync.domain.records import clean_record
from erpsync.domain.types import SyncType
from erpsync.errors import InvalidRecordError

from .conftest import ANCHOR, SMALL


def test_no_faults_by_default() -> None:
    injector = FaultInjector(FaultSettings(), seed=7)

    assert {injector.next_request() for _ in range(100)} == {Fault.NONE}


def test_fail_next_fails_that_many_requests_then_recovers() -> None:
    injector = FaultInjector(FaultSettings(fail_next=2), seed=7)

    faults = [injector.next_request() for _ in range(4)]

    assert faults == [Fault.UNAVAILABLE, Fault.UNAVAILABLE, Fault.NONE, Fault.NONE]
    assert injector.settings.fail_next == 0


def test_rates_split_requests_between_errors_and_timeouts() -> None:
    injector = FaultInjector(FaultSettings(error_rate=0.5, timeout_rate=0.5), seed=7)

    faults = [injector.next_request() for _ in range(200)]

    assert set(faults) == {Fault.UNAVAILABLE, Fault.TIMEOUT}
    assert 60 < faults.count(Fault.UNAVAILABLE) < 140


def test_the_dice_are_reproducible() -> None:
    settings = FaultSettings(error_rate=0.3)

    def run() -> list[Fault]:
        injector = FaultInjector(settings, seed=3)
        return [injector.next_request() for _ in range(50)]

    assert run() == run()


def test_write_faults_count_down_one_per_write_in_the_order_they_strike() -> None:
    settings = FaultSettings(reject_next=2, fail_before_commit_next=1, lose_answer_next=1)
    injector = FaultInjector(settings, seed=7)

    faults = [injector.next_write() for _ in range(6)]

    assert faults == [
        WriteFault.UNAVAILABLE,
        WriteFault.REFUSED,
        WriteFault.REFUSED,
        WriteFault.ANSWER_LOST,
        WriteFault.NONE,
        WriteFault.NONE,
    ]
    assert injector.settings == FaultSettings()


def test_writes_leave_the_read_faults_and_their_dice_alone() -> None:
    settings = FaultSettings(error_rate=0.3, timeout_rate=0.3, fail_next=1, lose_answer_next=5)
    undisturbed = FaultInjector(settings, seed=3)
    written_to = FaultInjector(settings, seed=3)

    expected = [undisturbed.next_request() for _ in range(30)]
    seen = []
    for _ in range(30):
        written_to.next_write()
        seen.append(written_to.next_request())

    assert seen == expected


def test_reads_leave_the_write_faults_alone() -> None:
    injector = FaultInjector(FaultSettings(error_rate=1.0, reject_next=1), seed=7)

    for _ in range(5):
        injector.next_request()

    assert injector.next_write() is WriteFault.REFUSED


@pytest.mark.parametrize("type", list(SyncType))
def test_malformed_items_fail_validation_but_keep_key_and_stamp(type: SyncType) -> None:
    items = generate_dataset(DemoErpConfig(volumes=SMALL), ANCHOR)[type]
    injector = FaultInjector(FaultSettings(malformed_rate=1.0), seed=7)

    served, broken = injector.malform(SPECS[type], items)

    assert broken == len(items)
    for original, item in zip(items, served, strict=True):
        assert item[SPECS[type].key] == original[SPECS[type].key]
        assert item["updated_at"] == original["updated_at"]
        with pytest.raises(InvalidRecordError):
            clean_record(SPECS[type], item)


def test_malforming_leaves_the_originals_alone() -> None:
    items = generate_dataset(DemoErpConfig(volumes=SMALL), ANCHOR)[SyncType.CUSTOMERS]
    before = [dict(i) for i in items]

    FaultInjector(FaultSettings(malformed_rate=1.0), seed=7).malform(
        SPECS[SyncType.CUSTOMERS], items
    )

    assert items == before


def test_a_malformed_rate_breaks_about_that_share() -> None:
    items = generate_dataset(DemoErpConfig(volumes=SMALL), ANCHOR)[SyncType.PRICES]
    injector = FaultInjector(FaultSettings(malformed_rate=0.5), seed=7)

    _, broken = injector.malform(SPECS[SyncType.PRICES], items * 10)

    assert 150 < broken < 300
