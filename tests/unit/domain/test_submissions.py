"""A submission's states and the rules between them; the order body and its content."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from erpsync.domain.submissions import (
    OrderLine,
    OrderRequest,
    PlacedOrder,
    Reason,
    RetryPolicy,
    SubmissionState,
)
from erpsync.errors import InvalidInputError, InvalidTransitionError
from erpsync.testing.orders import submission_of

T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LATER = T + timedelta(seconds=3)


def test_a_submission_goes_queued_sending_placed() -> None:
    queued = submission_of("draft-0001", T)
    assert queued.state == SubmissionState.QUEUED and queued.ready(T)
    sending = queued.sending(T)
    assert (sending.state, sending.attempts) == (SubmissionState.SENDING, 1)
    placed = sending.placed(PlacedOrder("OV000123", "inserito"), LATER)
    assert (placed.erp_number, placed.erp_state, placed.decided_at) == (
        "OV000123",
        "inserito",
        LATER,
    )
    assert not placed.ready(LATER) and not placed.state.pending and placed.state.holds_draft


def test_learning_of_a_placed_order_twice_keeps_it_and_a_new_number_is_a_contradiction() -> None:
    placed = submission_of("draft-0001", T).sending(T).placed(PlacedOrder("OV1", "inserito"), T)
    assert placed.placed(PlacedOrder("OV1", "inserito"), LATER) is placed
    moved = placed.placed(PlacedOrder("OV1", "confermato"), LATER)
    assert moved.erp_state == "confermato" and moved.decided_at == T
    with pytest.raises(InvalidTransitionError, match="not OV2"):
        placed.placed(PlacedOrder("OV2", "inserito"), LATER)


def test_a_transient_failure_sends_it_back_to_the_queue_after_a_delay() -> None:
    sending = submission_of("draft-0001", T).sending(T)
    waiting = sending.retry_later("ReadTimeout", T, RetryPolicy())
    assert waiting.state == SubmissionState.QUEUED
    assert waiting.next_attempt_at == T + timedelta(seconds=2)
    assert not waiting.ready(T + timedelta(seconds=1)) and waiting.ready(waiting.next_attempt_at)
    again = waiting.sending(waiting.next_attempt_at)
    assert again.attempts == 2 and again.next_attempt_at is None and again.key == sending.key


def test_a_submission_left_sending_by_a_crash_may_be_sent_again() -> None:
    sending = submission_of("draft-0001", T).sending(T)
    assert sending.sending(LATER).attempts == 2


def test_only_a_submission_being_sent_can_be_refused_or_retried() -> None:
    queued = submission_of("draft-0001", T)
    with pytest.raises(InvalidTransitionError, match="it cannot be rejected"):
        queued.rejected((Reason("no"),), T)
    with pytest.raises(InvalidTransitionError, match="it cannot be retried"):
        queued.retry_later("boom", T, RetryPolicy())


def test_nothing_moves_a_decided_submission_back() -> None:
    rejected = submission_of("draft-0001", T).sending(T).rejected((Reason("blocked"),), T)
    assert rejected.state == SubmissionState.REJECTED and not rejected.state.holds_draft
    for step in (lambda: rejected.sending(T), lambda: rejected.placed(PlacedOrder("1", "x"), T)):
        with pytest.raises(InvalidTransitionError):
            step()


def test_the_retry_delay_doubles_up_to_its_ceiling() -> None:
    policy = RetryPolicy(first=timedelta(seconds=2), longest=timedelta(minutes=5))
    delays = [int(policy.delay(n).total_seconds()) for n in range(1, 12)]
    assert delays == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
    assert policy.delay(10_000) == timedelta(minutes=5)


CODES = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=12)
LINES = st.builds(
    OrderLine,
    CODES,
    st.integers(1, 100_000),
    st.decimals(min_value=0, max_value=10_000, places=2),
    st.decimals(min_value=0, max_value=100, places=2),
)
REQUESTS = st.builds(
    OrderRequest,
    st.text("abcdef0123456789-", min_size=8, max_size=64),
    CODES,
    st.none() | CODES,
    st.dates(date(2020, 1, 1), date(2040, 1, 1)),
    st.lists(LINES, min_size=1, max_size=5).map(tuple),
    st.text(max_size=50),
)


@given(REQUESTS)
def test_the_order_body_reads_back_as_it_was(request: OrderRequest) -> None:
    assert OrderRequest.from_body(request.body()) == request


def test_the_content_is_what_the_agent_decided_whatever_the_day() -> None:
    line = OrderLine("P0001", 6, Decimal("4.50"), Decimal(10))
    monday = OrderRequest("draft-0001", "C00001", "A01", date(2026, 11, 30), (line,))
    tuesday = OrderRequest("draft-0001", "C00001", "A01", date(2026, 12, 1), (line,))
    more = OrderRequest("draft-0001", "C00001", "A01", date(2026, 12, 1), (line, line))
    assert monday.content_digest == tuesday.content_digest
    assert more.content_digest != tuesday.content_digest


def test_a_body_that_is_not_an_order_is_refused_clearly() -> None:
    with pytest.raises(InvalidInputError, match="not an order body"):
        OrderRequest.from_body({"customer_code": "C1"})
