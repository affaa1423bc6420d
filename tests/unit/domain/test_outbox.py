"""The orders waiting to be sent: first come, first served; retry delays respected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from erpsync.domain.outbox import OutboxQueue
from erpsync.domain.submissions import PlacedOrder, RetryPolicy
from erpsync.testing.orders import submission_of

T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_the_oldest_ready_order_goes_first_and_decided_ones_leave() -> None:
    queue = OutboxQueue()
    later = submission_of("draft-0002", T + timedelta(minutes=1))
    first = submission_of("draft-0001", T)
    assert queue.put(later) and queue.put(first)
    assert not queue.put(first), "known already"
    assert [s.draft_id for s in queue.entries()] == ["draft-0001", "draft-0002"]
    assert queue.position(later.id) == 2 and queue.position("nobody") is None
    assert queue.next_ready(T) == first
    queue.put(first.sending(T).placed(PlacedOrder("OV1", "inserito"), T))
    assert first.id not in queue and len(queue) == 1
    queue.drop(later.id)
    assert len(queue) == 0 and queue.next_ready(T) is None


def test_an_order_waiting_out_its_delay_lets_the_next_go_and_wakes_the_loop() -> None:
    queue = OutboxQueue()
    waiting = submission_of("draft-0001", T).sending(T).retry_later("503", T, RetryPolicy())
    queue.put(waiting)
    assert queue.next_ready(T) is None
    assert queue.wake_at(T) == T + timedelta(seconds=2)
    fresh = submission_of("draft-0002", T + timedelta(seconds=1))
    queue.put(fresh)
    assert queue.next_ready(T + timedelta(seconds=1)) == fresh
    assert queue.wake_at(T + timedelta(seconds=1)) is None, "something may go now"
    assert queue.next_ready(T + timedelta(seconds=2)) == waiting, "older, and ready again"
