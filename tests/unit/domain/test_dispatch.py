"""What starts next, when a running sync gives way, why a request waits: for any state."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from erpsync.domain.dispatch import (
    OperationKind,
    Situation,
    SubmitOperation,
    SyncOperation,
    Wait,
    WaitReason,
    YieldReason,
    may_start,
    next_start,
    overdue,
    overdue_at,
    wait_reason,
    yield_reason,
)
from erpsync.domain.queue import SyncQueue, SyncRequest
from erpsync.domain.types import SyncMode, SyncType, Trigger

T = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
TYPES = st.sampled_from(list(SyncType))
MODES = st.sampled_from(list(SyncMode))
SYNCS = st.builds(
    SyncOperation,
    st.sampled_from([OperationKind.SYNC, OperationKind.SMART_SYNC]),
    TYPES,
    MODES,
    st.sampled_from(list(Trigger)),
    overdue=st.booleans(),
)
SUBMISSION_IDS = st.sampled_from(["s-1", "s-2"])
OPERATIONS = SYNCS | st.builds(SubmitOperation, SUBMISSION_IDS)
MINUTES = st.integers(0, 600).map(lambda m: timedelta(minutes=m))
SITUATIONS = st.builds(
    Situation,
    now=MINUTES.map(lambda m: T + m),
    forms_open=st.booleans(),
    smart_waiting=st.booleans(),
    submission_ready=st.none() | SUBMISSION_IDS,
    interactive_last=st.booleans(),
    running=st.none() | OPERATIONS,
    shutting_down=st.booleans(),
    preemption=st.booleans(),
    smart_mode=MODES,
    budgets=st.dictionaries(TYPES, MINUTES),
)


@st.composite
def queues(draw: st.DrawFn) -> list[SyncRequest]:
    queue = SyncQueue()
    for type, mode, priority, minutes in draw(
        st.lists(st.tuples(TYPES, MODES, st.integers(1, 9), MINUTES), max_size=8)
    ):
        queue.request(type, mode, priority, Trigger.MANUAL, T + minutes)
    return queue.entries()


def test_only_customers_start_while_a_form_is_open() -> None:
    assert may_start(SyncType.CUSTOMERS, forms_open=True)
    assert not may_start(SyncType.ORDERS, forms_open=True)
    assert may_start(SyncType.ORDERS, forms_open=False)


@given(queues(), SITUATIONS)
def test_what_starts_next(queue: list[SyncRequest], situation: Situation) -> None:
    chosen = next_start(queue, situation)
    if situation.running is not None or situation.shutting_down:
        assert chosen is None, "one operation at a time, and nothing new while stopping"
        return
    overdue_ones = [r for r in queue if overdue(r, situation)]
    interactive = situation.smart_waiting or situation.submission_ready is not None
    if interactive and situation.interactive_last and overdue_ones and situation.preemption:
        # without preemption a sync never gives way, so it never takes a turn from a form
        assert chosen == SyncOperation.sync(overdue_ones[0], overdue=True), (
            "after interactive work, an overdue sync has its turn"
        )
        return
    if situation.smart_waiting:
        assert chosen == SyncOperation(
            OperationKind.SMART_SYNC, SyncType.CUSTOMERS, situation.smart_mode, Trigger.SMART
        )
        return
    if situation.submission_ready is not None:
        assert chosen == SubmitOperation(situation.submission_ready), (
            "an order goes before every sync, open forms or not"
        )
        return
    eligible = [
        r
        for r in queue
        if may_start(r.type, forms_open=situation.forms_open) or overdue(r, situation)
    ]
    if not eligible:
        assert chosen is None
        return
    first = eligible[0]
    assert chosen == SyncOperation.sync(first, overdue=overdue(first, situation)), (
        "the first eligible request in run order"
    )
    assert all(first.run_order <= r.run_order for r in eligible)
    assert wait_reason(first, situation) == Wait(WaitReason.STARTING)
    if isinstance(chosen, SyncOperation) and chosen.overdue:
        assert situation.forms_open, "only open forms hold a sync back"
        assert situation.now - first.requested_at >= situation.budgets[first.type]


@given(SYNCS, SITUATIONS)
def test_when_a_running_sync_gives_way(running: SyncOperation, situation: Situation) -> None:
    reason = yield_reason(running, situation)
    if situation.shutting_down:
        assert reason == YieldReason.SHUTDOWN
    elif running.smart or not situation.preemption:
        assert reason is None, "the smart sync never gives way but to a shutdown"
    elif situation.forms_open and running.type != SyncType.CUSTOMERS and not running.overdue:
        assert reason == YieldReason.FORMS_OPEN
    elif situation.smart_waiting:
        assert reason == YieldReason.SMART_SYNC
    elif situation.submission_ready is not None:
        assert reason == YieldReason.SUBMISSION, "overdue or not, a sync gives way to an order"
    else:
        assert reason is None


@given(queues(), SITUATIONS)
def test_why_a_queued_request_waits(queue: list[SyncRequest], situation: Situation) -> None:
    for request in queue:
        wait = wait_reason(request, situation)
        held = not may_start(request.type, forms_open=situation.forms_open)
        if held and not overdue(request, situation):
            assert wait == Wait(WaitReason.FORMS_OPEN)
        elif isinstance(situation.running, SubmitOperation):
            assert wait == Wait(WaitReason.BEHIND_ORDERS)
        elif situation.running is not None:
            assert wait == Wait(WaitReason.BEHIND_RUNNING, situation.running.type)
        else:
            assert wait == Wait(WaitReason.STARTING)


def test_a_queued_request_says_why_it_waits() -> None:
    request = SyncRequest(SyncType.PRICES, SyncMode.INCREMENTAL, 2, Trigger.MANUAL, T, 0)
    smart = SyncOperation(
        OperationKind.SMART_SYNC, SyncType.CUSTOMERS, SyncMode.INCREMENTAL, Trigger.SMART
    )
    orders = SyncOperation(OperationKind.SYNC, SyncType.ORDERS, SyncMode.FULL, Trigger.SCHEDULE)
    paused = wait_reason(request, Situation(T, forms_open=True, running=smart))
    assert paused == Wait(WaitReason.FORMS_OPEN)
    behind = wait_reason(request, Situation(T, running=orders))
    assert behind == Wait(WaitReason.BEHIND_RUNNING, SyncType.ORDERS)
    assert wait_reason(request, Situation(T)) == Wait(WaitReason.STARTING)
    sending = wait_reason(request, Situation(T, running=SubmitOperation("s-1")))
    assert sending == Wait(WaitReason.BEHIND_ORDERS)


def test_a_sync_held_back_past_its_budget_runs_between_smart_syncs_and_yields_to_them() -> None:
    prices = SyncRequest(SyncType.PRICES, SyncMode.INCREMENTAL, 2, Trigger.SCHEDULE, T, 0)
    budgets = {SyncType.PRICES: timedelta(minutes=60)}
    early = Situation(T + timedelta(minutes=59), forms_open=True, budgets=budgets)
    assert next_start([prices], early) is None
    due = Situation(T + timedelta(minutes=60), forms_open=True, budgets=budgets)
    started = next_start([prices], due)
    assert started == SyncOperation.sync(prices, overdue=True)
    assert isinstance(started, SyncOperation)
    assert yield_reason(started, due) is None, "open forms are why it is overdue"
    smart_comes = Situation(due.now, forms_open=True, smart_waiting=True, budgets=budgets)
    assert yield_reason(started, smart_comes) == YieldReason.SMART_SYNC


def test_a_customers_sync_behind_smart_syncs_past_its_budget_takes_turns_with_them() -> None:
    """The gate lets ``customers`` through, but a form opening every few seconds keeps a smart
    sync always waiting, and the smart sync goes first: past its budget, the scheduled one
    takes its turn after each, and gives way to the next at its page boundary."""
    full = SyncRequest(SyncType.CUSTOMERS, SyncMode.FULL, 5, Trigger.SCHEDULE, T, 0)
    budgets = {SyncType.CUSTOMERS: timedelta(minutes=60)}
    busy = Situation(
        T + timedelta(minutes=59),
        forms_open=True,
        smart_waiting=True,
        interactive_last=True,
        budgets=budgets,
    )
    smart = SyncOperation(
        OperationKind.SMART_SYNC, SyncType.CUSTOMERS, SyncMode.INCREMENTAL, Trigger.SMART
    )
    assert next_start([full], busy) == smart
    due = replace(busy, now=T + timedelta(minutes=60))
    started = next_start([full], due)
    assert started == SyncOperation.sync(full, overdue=True)
    assert isinstance(started, SyncOperation)
    assert yield_reason(started, due) == YieldReason.SMART_SYNC, "a page of progress a turn"
    assert next_start([full], replace(due, interactive_last=False)) == smart
    idle = replace(due, forms_open=False, smart_waiting=False, interactive_last=False)
    assert next_start([full], idle) == SyncOperation.sync(full), "no forms: not overdue"


@given(queues(), SITUATIONS)
def test_the_dispatch_knows_when_the_next_request_becomes_overdue(
    queue: list[SyncRequest], situation: Situation
) -> None:
    """Nothing turns overdue before that moment, something does at it, and it is never now or
    past (a loop waiting for it would spin)."""
    at = overdue_at(queue, situation)
    turned = {id(r) for r in queue if not overdue(r, situation)}
    if at is None:
        later = replace(situation, now=situation.now + timedelta(days=365))
        assert not any(overdue(r, later) for r in queue if id(r) in turned)
        return
    assert at > situation.now
    just_before = replace(situation, now=at - timedelta(microseconds=1))
    at_it = replace(situation, now=at)
    assert not any(overdue(r, just_before) for r in queue if id(r) in turned)
    assert any(overdue(r, at_it) for r in queue if id(r) in turned)


def test_an_order_waiting_goes_after_the_smart_sync_and_before_every_sync() -> None:
    customers = SyncRequest(SyncType.CUSTOMERS, SyncMode.INCREMENTAL, 1, Trigger.MANUAL, T, 0)
    both = Situation(T, smart_waiting=True, submission_ready="s-1")
    assert next_start([customers], both) == SyncOperation(
        OperationKind.SMART_SYNC, SyncType.CUSTOMERS, SyncMode.INCREMENTAL, Trigger.SMART
    )
    forms = Situation(T, forms_open=True, submission_ready="s-1")
    assert next_start([customers], forms) == SubmitOperation("s-1"), "forms do not hold it"
    assert next_start([customers], Situation(T)) == SyncOperation.sync(customers)
