"""The schedule's state: what comes due, in which mode, and what a change does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from erpsync.domain.schedule import Schedule
from erpsync.domain.types import SyncMode, SyncType, TypeSchedule
from erpsync.errors import InvalidScheduleError
from erpsync.services.timetable import Due, Timetable

T = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


def timetable(*, enabled: bool = True) -> Timetable:
    return Timetable(T, last_fired={}, full_every=DAY, enabled=enabled)


def test_each_type_comes_due_once_per_tick_full_until_a_full_sync_completed() -> None:
    table = timetable()
    table.load({}, {SyncType.PRICES: T - timedelta(hours=1)})
    assert table.due(T) == [Due(SyncType.ORDERS, SyncMode.FULL)]
    assert table.due(T) == [], "a tick fires once"
    table.completed_full(SyncType.ORDERS, T + timedelta(minutes=1))
    assert table.due(T + timedelta(minutes=10)) == [
        Due(SyncType.ORDERS, SyncMode.INCREMENTAL),
        Due(SyncType.CUSTOMERS, SyncMode.FULL),
        Due(SyncType.PRICES, SyncMode.INCREMENTAL),
    ], "customers came due at T+5, prices at T+10; prices had a full sync an hour ago"
    assert table.wake_at() == T + timedelta(minutes=15), "invoices at T+15"


def test_a_change_fires_what_the_old_entry_made_due_then_takes_effect() -> None:
    table = timetable()
    table.due(T)
    entry = TypeSchedule(SyncType.PRODUCTS, 9, timedelta(minutes=15), timedelta(0))
    fired = table.change(entry, T + timedelta(minutes=31))
    assert Due(SyncType.PRODUCTS, SyncMode.FULL) in fired, "products was due at T+30"
    assert table.priority(SyncType.PRODUCTS) == 9
    assert table.by_priority()[0] == SyncType.PRODUCTS
    assert table.next_run(SyncType.PRODUCTS) == T + timedelta(minutes=45)
    with pytest.raises(InvalidScheduleError):
        table.change(TypeSchedule(SyncType.DDT, 4, timedelta(0), timedelta(0)), T)


def test_a_schedule_that_is_off_fires_nothing_and_shows_no_next_runs() -> None:
    table = timetable(enabled=False)
    assert table.due(T + DAY) == []
    assert table.wake_at() is None
    assert table.next_runs() == {}


def test_a_new_holder_does_not_fire_again_what_the_previous_one_fired() -> None:
    table = Timetable(T, last_fired={SyncType.ORDERS: T}, full_every=DAY, enabled=True)
    assert SyncType.ORDERS not in [d.type for d in table.due(T + timedelta(minutes=5))]
    assert table.last_fired()[SyncType.ORDERS] == T


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 40),  # minutes that pass first
            st.none() | st.sampled_from(list(SyncType)),  # a type whose entry changes then
            st.integers(1, 30),  # its new interval, minutes
        ),
        max_size=40,
    )
)
def test_what_comes_due_is_what_the_schedule_decides_at_every_look(
    steps: list[tuple[int, SyncType | None, int]],
) -> None:
    """The timetable keeps when the next tick is owed between looks; what it says is due, and
    when it wakes next, is what the schedule asked afresh decides for the ticks fired so far."""
    table = timetable()
    schedule = Schedule(anchor=T)
    fired: dict[SyncType, datetime | None] = {}
    now = T
    for minutes, changed, interval in steps:
        now += timedelta(minutes=minutes)
        expected = schedule.due(fired, now)
        for decision in expected:
            fired[decision.type] = decision.tick
        if changed is None:
            got = table.due(now)
        else:
            entry = TypeSchedule(changed, 5, timedelta(minutes=interval), timedelta(0))
            got = table.change(entry, now)
            schedule = schedule.with_entry(entry, now)
        assert [d.type for d in got] == [d.type for d in expected]
        assert table.wake_at() == schedule.wake_at(fired)
