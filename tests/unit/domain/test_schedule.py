from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from erpsync.domain.schedule import (
    MAX_INTERVAL,
    MAX_OFFSET,
    MIN_INTERVAL,
    InvalidScheduleError,
    Schedule,
    validate_entry,
)
from erpsync.domain.types import DEFAULT_SCHEDULE, SyncType, TypeSchedule
from erpsync.errors import ErpSyncError

T = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)
ORDERS, CUSTOMERS, DDT = SyncType.ORDERS, SyncType.CUSTOMERS, SyncType.DDT
INVOICES, PRICES, PRODUCTS = SyncType.INVOICES, SyncType.PRICES, SyncType.PRODUCTS

EXPECTED_FIRST_THREE_HOURS = {
    ORDERS: list(range(0, 180, 10)),
    CUSTOMERS: [5, 35, 65, 95, 125, 155],
    PRICES: [10, 40, 70, 100, 130, 160],
    INVOICES: [15, 45, 75, 105, 135, 165],
    DDT: [20, 65, 110, 155],
    PRODUCTS: [30, 120],
}


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def at(minute: float) -> datetime:
    return T + minutes(minute)


def fires_when_woken_at(schedule: Schedule, wakeups: list[datetime]) -> dict[SyncType, list[int]]:
    last: dict[SyncType, datetime | None] = {}
    fired: dict[SyncType, list[int]] = {t: [] for t in SyncType}
    for now in wakeups:
        for decision in schedule.due(last, now):
            assert decision.tick is not None
            last[decision.type] = decision.tick
            fired[decision.type].append(int((decision.tick - T) / minutes(1)))
    return fired


def test_the_default_schedule_fires_on_the_approved_grid_every_minute() -> None:
    fired = fires_when_woken_at(Schedule(T), [at(m) for m in range(180)])

    assert fired == EXPECTED_FIRST_THREE_HOURS


def test_a_loop_sleeping_until_wake_at_sees_the_same_fires() -> None:
    schedule = Schedule(T)
    last: dict[SyncType, datetime | None] = {}
    fired: dict[SyncType, list[int]] = {t: [] for t in SyncType}
    now = T - minutes(3)
    while (now := max(now, schedule.wake_at(last))) < at(180):
        for decision in schedule.due(last, now):
            assert decision.tick == now
            assert decision.coalesced == 0
            last[decision.type] = decision.tick
            fired[decision.type].append(int((now - T) / minutes(1)))

    assert fired == EXPECTED_FIRST_THREE_HOURS


def test_due_lists_types_highest_priority_first() -> None:
    decisions = Schedule(T).due({}, at(30))

    assert [d.type for d in decisions] == [ORDERS, CUSTOMERS, DDT, INVOICES, PRICES, PRODUCTS]
    assert [d.coalesced for d in decisions] == [3, 0, 0, 0, 0, 0]


@pytest.mark.parametrize(("type", "offset"), [(ORDERS, 0), (CUSTOMERS, 5), (PRODUCTS, 30)])
def test_first_due_is_anchor_plus_offset(type: SyncType, offset: int) -> None:
    assert Schedule(T).first_due(type) == at(offset)


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (None, 20),
        (-60, 20),
        (0, 20),
        (19.99, 20),
        (20, 65),
        (64, 65),
        (65, 110),
        (199, 200),
        (200, 245),
    ],
)
def test_next_due_is_the_first_tick_strictly_after(after: float | None, expected: int) -> None:
    schedule = Schedule(T)

    assert schedule.next_due(DDT, None if after is None else at(after)) == at(expected)


def test_a_late_wakeup_coalesces_missed_ticks_into_one_run_on_the_grid() -> None:
    decision = Schedule(T).due_between(ORDERS, at(0), at(37))

    assert decision.fire
    assert decision.tick == at(30)
    assert decision.coalesced == 2
    assert decision.next_due == at(40)


def test_nothing_fires_between_ticks() -> None:
    decision = Schedule(T).due_between(ORDERS, at(30), at(39.9))

    assert not decision.fire
    assert decision.tick is None
    assert decision.next_due == at(40)


def test_nothing_fires_before_the_first_tick() -> None:
    decision = Schedule(T).due_between(PRODUCTS, None, at(29))

    assert not decision.fire
    assert decision.next_due == at(30)


def test_wake_at_is_in_the_past_when_a_tick_is_owed() -> None:
    schedule = Schedule(T)
    last = {t: schedule.first_due(t) for t in SyncType}

    assert schedule.wake_at({}) == at(0)
    assert schedule.wake_at(last) == at(10)
    assert schedule.wake_at({**last, ORDERS: at(-10)}) == at(0)


def test_a_non_utc_anchor_is_kept_in_utc() -> None:
    rome = timezone(timedelta(hours=2))
    schedule = Schedule(T.astimezone(rome))

    assert schedule.anchor == T
    assert schedule.anchor.tzinfo is UTC
    assert schedule.first_due(CUSTOMERS).tzinfo is UTC


# --- run-time changes -------------------------------------------------------------------------


def products_every(interval: int, offset: int = 30, priority: int = 1) -> TypeSchedule:
    return TypeSchedule(PRODUCTS, priority, minutes(interval), minutes(offset))


def test_a_change_runs_on_the_first_new_tick_at_or_after_it() -> None:
    schedule = Schedule(T).with_entry(products_every(10), at(101))

    decision = schedule.due_between(PRODUCTS, at(30), at(101))

    assert not decision.fire
    assert decision.next_due == at(110)
    assert schedule.first_due(PRODUCTS) == at(110)


def test_a_change_on_a_tick_of_the_new_grid_fires_at_once() -> None:
    schedule = Schedule(T).with_entry(products_every(10), at(100))

    decision = schedule.due_between(PRODUCTS, at(30), at(100))

    assert (decision.fire, decision.tick, decision.coalesced) == (True, at(100), 0)


def test_a_longer_interval_keeps_the_grid_anchored_at_the_start() -> None:
    schedule = Schedule(T).with_entry(TypeSchedule(ORDERS, 6, minutes(60), minutes(0)), at(23))

    assert schedule.next_due(ORDERS, at(20)) == at(60)
    assert fires_when_woken_at(schedule, [at(m) for m in range(23, 180)])[ORDERS] == [60, 120]


def test_a_tick_of_the_old_grid_left_unfired_by_a_change_is_dropped() -> None:
    schedule = Schedule(T).with_entry(TypeSchedule(ORDERS, 6, minutes(15), minutes(0)), at(21))

    assert not schedule.due_between(ORDERS, at(10), at(21)).fire


def test_a_priority_change_leaves_the_grid_alone() -> None:
    schedule = Schedule(T).with_entry(products_every(90, priority=50), at(45))

    assert schedule.priority(PRODUCTS) == 50
    assert schedule.changed_at == {}
    assert schedule.due_between(PRODUCTS, None, at(45)).tick == at(30)


def test_a_change_returns_a_new_schedule() -> None:
    before = Schedule(T)

    after = before.with_entry(products_every(45), at(5))

    assert before.entry(PRODUCTS) == DEFAULT_SCHEDULE[PRODUCTS]
    assert after.entry(PRODUCTS).interval == minutes(45)
    assert after != before
    assert Schedule(T) == before


def test_entries_cannot_be_changed_in_place() -> None:
    entries = dict(DEFAULT_SCHEDULE)
    schedule = Schedule(T, entries)
    entries[ORDERS] = TypeSchedule(ORDERS, 6, minutes(99), minutes(0))

    assert schedule.entry(ORDERS) == DEFAULT_SCHEDULE[ORDERS]
    with pytest.raises(TypeError):
        schedule.entries[ORDERS] = entries[ORDERS]  # type: ignore[index]


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interval", "offset", "priority", "message"),
    [
        (MIN_INTERVAL - timedelta(seconds=1), minutes(0), 1, "interval"),
        (MAX_INTERVAL + timedelta(microseconds=1), minutes(0), 1, "interval"),
        (minutes(10), -timedelta(seconds=1), 1, "offset"),
        (minutes(10), MAX_OFFSET, 1, "offset"),
        (minutes(10), minutes(0), 0, "priority"),
        (minutes(10), minutes(0), 101, "priority"),
    ],
)
def test_an_entry_out_of_limits_is_rejected(
    interval: timedelta, offset: timedelta, priority: int, message: str
) -> None:
    entry = TypeSchedule(PRICES, priority, interval, offset)

    with pytest.raises(InvalidScheduleError, match=f"prices: .*{message}") as raised:
        Schedule(T).with_entry(entry, at(1))

    assert isinstance(raised.value, ValueError)
    assert isinstance(raised.value, ErpSyncError)


@pytest.mark.parametrize(
    ("interval", "offset", "priority"),
    [
        (MIN_INTERVAL, minutes(0), 1),
        (MAX_INTERVAL, MAX_OFFSET - timedelta(microseconds=1), 100),
    ],
)
def test_entries_on_the_limits_are_accepted(
    interval: timedelta, offset: timedelta, priority: int
) -> None:
    entry = TypeSchedule(PRICES, priority, interval, offset)

    assert validate_entry(entry) is entry


def test_a_naive_anchor_is_rejected() -> None:
    with pytest.raises(InvalidScheduleError, match="timezone-aware"):
        Schedule(datetime(2024, 5, 6, 8, 0))


def test_every_type_needs_an_entry() -> None:
    entries = {t: e for t, e in DEFAULT_SCHEDULE.items() if t is not DDT}

    with pytest.raises(InvalidScheduleError, match="no schedule for ddt"):
        Schedule(T, entries)


def test_an_entry_must_be_filed_under_its_type() -> None:
    entries = {**DEFAULT_SCHEDULE, DDT: DEFAULT_SCHEDULE[ORDERS]}

    with pytest.raises(InvalidScheduleError, match="orders filed under ddt"):
        Schedule(T, entries)


# --- properties -------------------------------------------------------------------------------

zones = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(-timedelta(hours=5.5))])
anchors = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=zones
)
intervals = st.timedeltas(min_value=MIN_INTERVAL, max_value=MAX_INTERVAL)
offsets = st.timedeltas(min_value=timedelta(0), max_value=MAX_OFFSET - timedelta(microseconds=1))
steps = st.one_of(
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(minutes=5)),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
)


def ticks_up_to(base: datetime, interval: timedelta, moment: datetime) -> int:
    """How many grid ticks ``base + k·interval`` (k >= 0) fall at or before ``moment``."""
    return 0 if moment < base else (moment - base) // interval + 1


@given(anchor=anchors, interval=intervals, offset=offsets, wakeups=st.lists(steps, max_size=40))
def test_fires_stay_on_the_grid_never_repeat_and_coalesce_missed_ticks(
    anchor: datetime, interval: timedelta, offset: timedelta, wakeups: list[timedelta]
) -> None:
    entry = TypeSchedule(ORDERS, 6, interval, offset)
    schedule = Schedule(anchor, {**DEFAULT_SCHEDULE, ORDERS: entry})
    base = anchor + offset
    last: datetime | None = None
    accounted = 0
    now = anchor
    for step in wakeups:
        now += step
        owed = ticks_up_to(base, interval, now) - (
            0 if last is None else ticks_up_to(base, interval, last)
        )
        decision = schedule.due_between(ORDERS, last, now)

        assert decision.fire == (owed > 0)
        assert decision.next_due > now
        assert (decision.next_due - base) % interval == timedelta(0)
        if decision.fire:
            assert decision.tick is not None
            assert (decision.tick - base) % interval == timedelta(0)
            assert base <= decision.tick <= now < decision.tick + interval
            assert last is None or decision.tick > last
            assert decision.coalesced == owed - 1
            assert decision.next_due == decision.tick + interval
            accounted += decision.coalesced + 1
            last = decision.tick
        else:
            assert decision.next_due - interval <= max(now, base - interval)

    assert accounted == (ticks_up_to(base, interval, now) if wakeups else 0)


@given(
    anchor=anchors,
    old=intervals,
    new=intervals,
    offset=offsets,
    before=st.lists(steps, max_size=10),
    change_after=steps,
    after=st.lists(steps, max_size=10),
)
def test_after_a_change_fires_follow_the_new_grid_from_the_change(
    anchor: datetime,
    old: timedelta,
    new: timedelta,
    offset: timedelta,
    before: list[timedelta],
    change_after: timedelta,
    after: list[timedelta],
) -> None:
    schedule = Schedule(anchor, {**DEFAULT_SCHEDULE, PRICES: TypeSchedule(PRICES, 2, old, offset)})
    last: datetime | None = None
    now = anchor
    for step in before:
        now += step
        last = schedule.due_between(PRICES, last, now).tick or last
    changed_at = now + change_after
    schedule = schedule.with_entry(TypeSchedule(PRICES, 2, new, offset), changed_at)
    now = changed_at
    for step in after:
        now += step
        decision = schedule.due_between(PRICES, last, now)
        if decision.tick is not None:
            assert decision.tick >= changed_at or new == old
            assert (decision.tick - anchor - offset) % new == timedelta(0)
            assert last is None or decision.tick > last
            last = decision.tick
        first_owed = max(now + timedelta(microseconds=1), changed_at)
        assert decision.next_due == anchor + offset or decision.next_due - new < first_owed
