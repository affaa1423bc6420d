"""The orchestrator's lane for orders: what it knows of the outbox, and what it does when the
database or the role fails under it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from erpsync.domain.submissions import SubmissionState
from erpsync.domain.types import Trigger
from erpsync.services.events import EventBus
from erpsync.services.order_lane import OrderLane
from erpsync.services.order_sender import OrderSender
from erpsync.testing import FakeClock
from erpsync.testing.orders import FakeErp, InMemorySubmissionStore, MirroredOrder, submission_of


@pytest.fixture
def outbox() -> InMemorySubmissionStore:
    return InMemorySubmissionStore()


@pytest.fixture
def lane(outbox: InMemorySubmissionStore, clock: FakeClock) -> OrderLane:
    bus = EventBus()
    return OrderLane(
        OrderSender(outbox, FakeErp(), clock, bus), clock, bus, poll_every=timedelta(seconds=30)
    )


async def test_it_takes_in_the_pending_rows_once_and_only_those(
    lane: OrderLane, outbox: InMemorySubmissionStore, clock: FakeClock
) -> None:
    [first, second] = outbox.queue(
        [submission_of("draft-0001", clock.now()), submission_of("draft-0002", clock.now())]
    )
    assert [s.id for s in await lane.load()] == [first.id, second.id]
    assert await lane.load() == [], "known already"
    accepted = await lane.accept((first.id, "nobody"))
    assert accepted.waiting == (first.id,) and accepted.queue_length == 2
    assert lane.ready(clock.now()) == first.id


async def test_the_next_look_at_the_outbox_is_a_deadline_of_the_loop(
    lane: OrderLane, outbox: InMemorySubmissionStore, clock: FakeClock
) -> None:
    assert lane.wake_at(clock.now()) == clock.now() + timedelta(seconds=30)
    assert not lane.poll(clock.now(), found=lambda: None), "not yet"
    outbox.queue([submission_of("draft-0001", clock.now())])
    await clock.advance(30)
    found: list[bool] = []
    assert lane.poll(clock.now(), found=lambda: found.append(True))
    assert not lane.poll(clock.now(), found=lambda: None), "one look at a time"
    for _ in range(5000):  # the look reads the outbox in a worker thread
        if found:
            break
        await asyncio.sleep(0.001)
    assert found == [True] and len(lane) == 1


async def test_an_attempt_that_could_not_be_recorded_waits_before_the_next(
    lane: OrderLane, outbox: InMemorySubmissionStore, clock: FakeClock
) -> None:
    [queued] = outbox.queue([submission_of("draft-0001", clock.now())])
    await lane.load()
    outbox.fenced_out = True
    await lane.send(queued.id, retry_after=timedelta(seconds=30))
    assert lane.ready(clock.now()) is None, "not again at once"
    assert lane.ready(clock.now() + timedelta(seconds=30)) == queued.id
    outbox.fenced_out = False
    await lane.send(queued.id, retry_after=timedelta(seconds=30))
    assert len(lane) == 0
    assert outbox.get(queued.id).state == SubmissionState.PLACED  # type: ignore[union-attr]


async def test_orders_the_mirror_holds_are_linked_and_leave_the_lane(
    lane: OrderLane, outbox: InMemorySubmissionStore, clock: FakeClock
) -> None:
    [queued] = outbox.queue([submission_of("draft-0001", clock.now())])
    await lane.load()
    outbox.mirror.append(MirroredOrder.of(queued, "OV000042", "confermato"))
    await lane.link_mirrored()
    assert len(lane) == 0
    linked = outbox.get(queued.id)
    assert linked is not None and (linked.state, linked.erp_number) == (
        SubmissionState.PLACED,
        "OV000042",
    )


async def test_a_look_begun_before_a_decision_does_not_bring_the_order_back(
    lane: OrderLane, outbox: InMemorySubmissionStore, clock: FakeClock
) -> None:
    [queued] = outbox.queue([submission_of("draft-0001", clock.now())])
    await lane.load()
    read_before = outbox.pending()  # what a look at the outbox read, before the send
    await lane.send(queued.id, retry_after=timedelta(seconds=30))
    assert len(lane) == 0
    outbox.pending = lambda: read_before  # type: ignore[method-assign]  # its answer lands now
    assert await lane.load(Trigger.SCHEDULE) == [], "decided here: stays out"
    assert len(lane) == 0


async def test_a_slow_look_at_the_outbox_moves_the_next_one_on(
    lane: OrderLane, outbox: InMemorySubmissionStore, clock: FakeClock
) -> None:
    """Else the loop, told the look is due, would spin while the slow one runs."""
    await clock.advance(30)
    assert lane.poll(clock.now(), found=lambda: None)
    await clock.advance(30)
    lane.poll(clock.now(), found=lambda: None)  # the first one has not ended yet
    assert lane.wake_at(clock.now()) == clock.now() + timedelta(seconds=30)
