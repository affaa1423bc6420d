from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from erpsync.demo_erp.config import DemoErpConfig
from erpsync.demo_erp.data import generate_dataset
from erpsync.demo_erp.errors import InvalidFieldsError, RecordExistsError
from erpsync.demo_erp.store import Dataset
from erpsync.domain.types import SyncType
from erpsync.errors import RecordNotFoundError

from .conftest import ANCHOR, SMALL, SteppingClock

CUSTOMERS = SyncType.CUSTOMERS


def _dataset(clock: SteppingClock) -> Dataset:
    return Dataset.load(generate_dataset(DemoErpConfig(volumes=SMALL), ANCHOR), clock)


def _all_keys(dataset: Dataset, type: SyncType, limit: int) -> list[str]:
    keys: list[str] = []
    after = None
    while True:
        page = dataset.page(type, since=None, after=after, limit=limit)
        keys += [item["code" if type is CUSTOMERS else "number"] for item in page.items]
        if page.last is None:
            return keys
        after = page.last


def _order(item: dict[str, str], key: str) -> tuple[datetime, str]:
    return datetime.fromisoformat(item["updated_at"]), item[key]


@pytest.mark.parametrize("limit", [1, 7, 40, 1000])
def test_paging_serves_every_record_exactly_once_in_keyset_order(
    clock: SteppingClock, limit: int
) -> None:
    dataset = _dataset(clock)

    keys = _all_keys(dataset, CUSTOMERS, limit)

    assert sorted(keys) == sorted(dataset.table(CUSTOMERS).sorted_keys())
    assert len(keys) == len(set(keys))
    positions = [_order(dataset.get(CUSTOMERS, k), "code") for k in keys]
    assert positions == sorted(positions)


def test_the_last_full_page_has_no_next_cursor(clock: SteppingClock) -> None:
    dataset = _dataset(clock)

    page = dataset.page(CUSTOMERS, since=None, after=None, limit=SMALL.customers)

    assert len(page.items) == SMALL.customers
    assert page.last is None


def test_since_keeps_records_updated_at_or_after_it(clock: SteppingClock) -> None:
    dataset = _dataset(clock)
    everything = dataset.page(CUSTOMERS, since=None, after=None, limit=1000).items
    since = datetime.fromisoformat(everything[10]["updated_at"])

    page = dataset.page(CUSTOMERS, since=since, after=None, limit=1000)

    assert page.items == [i for i in everything if datetime.fromisoformat(i["updated_at"]) >= since]


def test_high_water_mark_is_the_latest_stamp_of_the_whole_type(clock: SteppingClock) -> None:
    dataset = _dataset(clock)
    everything = dataset.page(CUSTOMERS, since=None, after=None, limit=1000).items

    page = dataset.page(CUSTOMERS, since=None, after=None, limit=1)

    assert page.high_water_mark == datetime.fromisoformat(everything[-1]["updated_at"])


def test_a_record_changed_while_paging_moves_behind_the_cursor_and_is_still_seen(
    clock: SteppingClock,
) -> None:
    dataset = _dataset(clock)
    first = dataset.page(CUSTOMERS, since=None, after=None, limit=10)
    already_served = first.items[0]["code"]
    not_yet_served = dataset.page(CUSTOMERS, since=None, after=first.last, limit=1).items[0]
    dataset.update(CUSTOMERS, already_served, {"phone": "02 1234567"})
    dataset.update(CUSTOMERS, not_yet_served["code"], {"phone": "02 7654321"})

    rest = []
    after = first.last
    while after is not None:
        page = dataset.page(CUSTOMERS, since=None, after=after, limit=10)
        rest += page.items
        after = page.last

    served = [i["code"] for i in [*first.items, *rest]]
    assert set(served) == set(dataset.table(CUSTOMERS).sorted_keys())
    assert rest[-2:] == [
        dataset.get(CUSTOMERS, already_served),
        dataset.get(CUSTOMERS, not_yet_served["code"]),
    ]


def test_stamps_strictly_increase_even_when_the_clock_stands_still(clock: SteppingClock) -> None:
    dataset = _dataset(clock)

    stamps = [dataset.next_stamp() for _ in range(3)]

    assert stamps[0] == ANCHOR
    assert stamps[1] == ANCHOR + timedelta(microseconds=1)
    assert stamps[2] == ANCHOR + timedelta(microseconds=2)


def test_stamps_follow_the_clock_when_it_moves(clock: SteppingClock) -> None:
    dataset = _dataset(clock)
    dataset.next_stamp()
    clock.advance(60)

    assert dataset.next_stamp() == ANCHOR + timedelta(seconds=60)


def test_create_stamps_now_and_fills_absent_fields(clock: SteppingClock) -> None:
    dataset = _dataset(clock)

    record = dataset.create(CUSTOMERS, {"code": "C999999", "name": "Bar Sport S.n.c."})

    assert record["updated_at"] == ANCHOR.isoformat()
    assert record["city"] is None
    assert dataset.get(CUSTOMERS, "C999999") == record
    assert dataset.page(CUSTOMERS, since=ANCHOR, after=None, limit=10).items == [record]


def test_create_refuses_a_taken_key(clock: SteppingClock) -> None:
    dataset = _dataset(clock)

    with pytest.raises(RecordExistsError):
        dataset.create(CUSTOMERS, {"code": "C000001", "name": "Doppione S.r.l."})


def test_create_refuses_invalid_fields(clock: SteppingClock) -> None:
    dataset = _dataset(clock)

    with pytest.raises(InvalidFieldsError, match="name: required"):
        dataset.create(CUSTOMERS, {"code": "C999999"})


def test_update_keeps_other_fields_as_they_were(clock: SteppingClock) -> None:
    dataset = _dataset(clock)
    before = dataset.get(SyncType.ORDERS, "OV000001")

    after = dataset.update(SyncType.ORDERS, "OV000001", {"state": "annullato"})

    assert after == {**before, "state": "annullato", "updated_at": ANCHOR.isoformat()}


def test_update_and_delete_of_an_unknown_key(clock: SteppingClock) -> None:
    dataset = _dataset(clock)

    with pytest.raises(RecordNotFoundError):
        dataset.update(CUSTOMERS, "C999999", {"name": "X"})
    with pytest.raises(RecordNotFoundError):
        dataset.delete(CUSTOMERS, "C999999")


def test_a_deleted_record_is_no_longer_served(clock: SteppingClock) -> None:
    dataset = _dataset(clock)

    dataset.delete(CUSTOMERS, "C000003")

    assert "C000003" not in _all_keys(dataset, CUSTOMERS, 7)
    assert dataset.count(CUSTOMERS) == SMALL.customers - 1


def test_touch_changes_the_asked_number_of_records(clock: SteppingClock) -> None:
    dataset = _dataset(clock)

    touched = dataset.touch(CUSTOMERS, 5, random.Random(1))

    assert len({t["code"] for t in touched}) == 5
    assert dataset.page(CUSTOMERS, since=ANCHOR, after=None, limit=100).items == touched


def test_touch_without_edit_only_moves_the_stamp(clock: SteppingClock) -> None:
    dataset = _dataset(clock)
    before = {k: dataset.get(CUSTOMERS, k) for k in dataset.table(CUSTOMERS).sorted_keys()}

    touched = dataset.touch(CUSTOMERS, 3, random.Random(1), edit=False)

    for record in touched:
        assert {**record, "updated_at": None} == {**before[record["code"]], "updated_at": None}


@settings(max_examples=40, deadline=None)
@given(
    limit=st.integers(min_value=1, max_value=15),
    script=st.lists(
        st.tuples(st.sampled_from(["update", "delete", "create"]), st.integers(0, 10_000)),
        max_size=30,
    ),
)
def test_paging_while_the_erp_changes_misses_no_record_that_lives_throughout(
    limit: int, script: list[tuple[str, int]]
) -> None:
    clock = SteppingClock()
    dataset = _dataset(clock)
    survivors = set(dataset.table(CUSTOMERS).sorted_keys())
    seen: set[str] = set()
    after = None
    steps = iter(script)
    created = 0
    while True:
        page = dataset.page(CUSTOMERS, since=None, after=after, limit=limit)
        seen.update(i["code"] for i in page.items)
        if page.last is None:
            break
        after = page.last
        action, pick = next(steps, ("none", 0))
        keys = dataset.table(CUSTOMERS).sorted_keys()
        if action == "update" and keys:
            dataset.update(CUSTOMERS, keys[pick % len(keys)], {"phone": str(pick)})
        elif action == "delete" and keys:
            key = keys[pick % len(keys)]
            dataset.delete(CUSTOMERS, key)
            survivors.discard(key)
        elif action == "create":
            created += 1
            dataset.create(CUSTOMERS, {"code": f"N{created:06d}", "name": "Nuovo"})
            survivors.add(f"N{created:06d}")
    assert survivors <= seen
