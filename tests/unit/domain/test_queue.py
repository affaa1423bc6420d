from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from erpsync.domain.queue import EnqueueOutcome, SyncQueue, SyncRequest
from erpsync.domain.types import SyncMode, SyncType

T = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)
FULL, INCR = SyncMode.FULL, SyncMode.INCREMENTAL
ORDERS, CUSTOMERS, DDT = SyncType.ORDERS, SyncType.CUSTOMERS, SyncType.DDT
INVOICES, PRICES, PRODUCTS = SyncType.INVOICES, SyncType.PRICES, SyncType.PRODUCTS


def anything(_: SyncType) -> bool:
    return True


def only_customers(type: SyncType) -> bool:
    return type is CUSTOMERS


@pytest.fixture
def queue() -> SyncQueue:
    return SyncQueue()


def test_an_empty_queue_has_nothing_to_run(queue: SyncQueue) -> None:
    assert len(queue) == 0
    assert queue.entries() == []
    assert queue.peek_next(anything) is None
    assert queue.pop_next(anything) is None
    assert queue.position(ORDERS) is None
    assert ORDERS not in queue


def test_a_new_request_is_queued_with_its_position(queue: SyncQueue) -> None:
    enqueued = queue.request(PRICES, INCR, 2, "schedule", T)

    assert enqueued.outcome is EnqueueOutcome.QUEUED
    assert enqueued.position == 1
    assert enqueued.request == SyncRequest(PRICES, INCR, 2, "schedule", T, 0)
    assert PRICES in queue
    assert queue.get(PRICES) == enqueued.request


def test_entries_run_by_priority_then_arrival(queue: SyncQueue) -> None:
    queue.request(PRODUCTS, INCR, 1, "schedule", T)
    queue.request(INVOICES, INCR, 3, "schedule", T)
    queue.request(ORDERS, INCR, 6, "manual", T)
    queue.request(PRICES, INCR, 3, "manual", T)  # same priority as invoices, came later

    assert [e.type for e in queue.entries()] == [ORDERS, INVOICES, PRICES, PRODUCTS]
    assert [queue.position(t) for t in (ORDERS, INVOICES, PRICES, PRODUCTS)] == [1, 2, 3, 4]


def test_position_reports_place_after_the_request(queue: SyncQueue) -> None:
    queue.request(PRODUCTS, INCR, 1, "schedule", T)
    queue.request(PRICES, INCR, 2, "schedule", T)

    assert queue.request(DDT, INCR, 4, "schedule", T).position == 1
    assert queue.request(INVOICES, INCR, 3, "schedule", T).position == 2


@pytest.mark.parametrize(
    ("first", "second", "kept"),
    [(INCR, INCR, INCR), (INCR, FULL, FULL), (FULL, INCR, FULL), (FULL, FULL, FULL)],
)
def test_a_merge_keeps_the_stronger_mode(
    queue: SyncQueue, first: SyncMode, second: SyncMode, kept: SyncMode
) -> None:
    queue.request(CUSTOMERS, first, 5, "schedule", T)

    merged = queue.request(CUSTOMERS, second, 5, "manual", T + timedelta(minutes=1))

    assert merged.outcome is EnqueueOutcome.MERGED
    assert merged.request.mode is kept
    assert len(queue) == 1


def test_a_merge_keeps_the_first_arrival(queue: SyncQueue) -> None:
    first = queue.request(CUSTOMERS, INCR, 5, "schedule", T).request
    queue.request(PRICES, INCR, 5, "schedule", T)

    merged = queue.request(CUSTOMERS, FULL, 5, "manual", T + timedelta(minutes=1)).request

    assert (merged.seq, merged.trigger, merged.requested_at) == (first.seq, "schedule", T)
    assert [e.type for e in queue.entries()] == [CUSTOMERS, PRICES]


def test_a_merge_keeps_the_higher_priority_and_moves_up(queue: SyncQueue) -> None:
    queue.request(ORDERS, INCR, 6, "schedule", T)
    queue.request(PRODUCTS, INCR, 1, "schedule", T)

    raised = queue.request(PRODUCTS, INCR, 9, "manual", T)
    lowered = queue.request(PRODUCTS, INCR, 2, "manual", T)

    assert (raised.position, raised.request.priority) == (1, 9)
    assert (lowered.position, lowered.request.priority) == (1, 9)


def test_pop_takes_the_highest_priority_first(queue: SyncQueue) -> None:
    for type, priority in [(PRODUCTS, 1), (ORDERS, 6), (DDT, 4), (CUSTOMERS, 5)]:
        queue.request(type, INCR, priority, "schedule", T)

    popped = [queue.pop_next(anything) for _ in range(5)]

    assert [p.type if p else None for p in popped] == [ORDERS, CUSTOMERS, DDT, PRODUCTS, None]


def test_pop_skips_ineligible_entries_and_leaves_them_in_place(queue: SyncQueue) -> None:
    queue.request(ORDERS, INCR, 6, "schedule", T)
    queue.request(CUSTOMERS, INCR, 5, "smart", T)
    queue.request(PRICES, INCR, 2, "schedule", T)

    popped = queue.pop_next(only_customers)

    assert popped is not None
    assert popped.type is CUSTOMERS
    assert queue.pop_next(only_customers) is None
    assert [e.type for e in queue.entries()] == [ORDERS, PRICES]


def test_peek_does_not_remove(queue: SyncQueue) -> None:
    queue.request(ORDERS, INCR, 6, "schedule", T)

    assert queue.peek_next(anything) == queue.peek_next(anything) == queue.get(ORDERS)
    assert queue.peek_next(only_customers) is None
    assert len(queue) == 1


def test_a_type_requested_again_after_its_pop_goes_behind_its_peers(queue: SyncQueue) -> None:
    queue.request(INVOICES, INCR, 3, "schedule", T)
    queue.request(PRICES, INCR, 3, "schedule", T)
    queue.pop_next(anything)

    again = queue.request(INVOICES, INCR, 3, "resume", T)

    assert again.outcome is EnqueueOutcome.QUEUED
    assert [e.type for e in queue.entries()] == [PRICES, INVOICES]


def test_remove_returns_the_entry_once(queue: SyncQueue) -> None:
    entry = queue.request(DDT, FULL, 4, "manual", T).request

    assert queue.remove(DDT) == entry
    assert queue.remove(DDT) is None
    assert DDT not in queue


def test_reprioritise_sets_the_priority_either_way_and_keeps_arrival(queue: SyncQueue) -> None:
    queue.request(ORDERS, INCR, 6, "schedule", T)
    queue.request(PRODUCTS, INCR, 1, "schedule", T)
    queue.request(PRICES, INCR, 2, "schedule", T)

    raised = queue.reprioritise(PRODUCTS, 10)
    lowered = queue.reprioritise(ORDERS, 2)

    assert raised is not None
    assert lowered is not None
    assert (raised.priority, raised.seq) == (10, 1)
    assert [e.type for e in queue.entries()] == [PRODUCTS, ORDERS, PRICES]
    assert queue.reprioritise(DDT, 5) is None
    assert DDT not in queue


# --- properties -------------------------------------------------------------------------------

types = st.sampled_from(list(SyncType))
modes = st.sampled_from(list(SyncMode))
priorities = st.integers(min_value=1, max_value=8)


@dataclass
class Modelled:
    mode: SyncMode
    priority: int
    seq: int


class QueueMachine(RuleBasedStateMachine):
    """Random requests, pops, removals and reprioritisations against a plain-dict model."""

    def __init__(self) -> None:
        super().__init__()
        self.queue = SyncQueue()
        self.model: dict[SyncType, Modelled] = {}
        self.arrivals = 0
        self.now = T

    @rule(type=types, mode=modes, priority=priorities)
    def request(self, type: SyncType, mode: SyncMode, priority: int) -> None:
        self.now += timedelta(seconds=1)
        before = self.model.get(type)
        enqueued = self.queue.request(type, mode, priority, "manual", self.now)
        if before is None:
            assert enqueued.outcome is EnqueueOutcome.QUEUED
            self.model[type] = Modelled(mode, priority, self.arrivals)
            self.arrivals += 1
        else:
            assert enqueued.outcome is EnqueueOutcome.MERGED
            before.mode = before.mode.stronger(mode)
            before.priority = max(before.priority, priority)
        assert enqueued.request.mode is self.model[type].mode
        assert enqueued.request.priority == self.model[type].priority
        assert enqueued.position == self.expected_order().index(type) + 1

    @rule(allowed=st.frozensets(types))
    def pop(self, allowed: frozenset[SyncType]) -> None:
        candidates = [t for t in self.expected_order() if t in allowed]
        popped = self.queue.pop_next(lambda t: t in allowed)
        if not candidates:
            assert popped is None
            return
        assert popped is not None
        assert popped.type is candidates[0]
        best = max(self.model[t].priority for t in allowed if t in self.model)
        assert popped.priority == best
        del self.model[popped.type]

    @rule(type=types)
    def remove(self, type: SyncType) -> None:
        removed = self.queue.remove(type)
        assert (removed is None) == (self.model.pop(type, None) is None)

    @rule(type=types, priority=priorities)
    def reprioritise(self, type: SyncType, priority: int) -> None:
        updated = self.queue.reprioritise(type, priority)
        assert (updated is None) == (type not in self.model)
        if type in self.model:
            self.model[type].priority = priority

    def expected_order(self) -> list[SyncType]:
        return sorted(self.model, key=lambda t: (-self.model[t].priority, self.model[t].seq))

    @invariant()
    def matches_the_model(self) -> None:
        entries = self.queue.entries()
        assert len({e.type for e in entries}) == len(entries) == len(self.queue)
        assert [e.type for e in entries] == self.expected_order()
        for entry in entries:
            assert (entry.mode, entry.priority) == (
                self.model[entry.type].mode,
                self.model[entry.type].priority,
            )
            assert self.queue.position(entry.type) == entries.index(entry) + 1


TestQueueProperties = QueueMachine.TestCase
