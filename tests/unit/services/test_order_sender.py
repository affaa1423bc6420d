"""One attempt at an order: marked sending first, then placed, refused or retried."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from erpsync.domain.submissions import OrderRequest, Reason, Refusal, SubmissionState
from erpsync.errors import ErpUnavailableError, IdempotencyConflictError, LostRoleError
from erpsync.services.events import EventBus
from erpsync.services.order_sender import OrderSender
from erpsync.testing import FakeClock
from erpsync.testing.orders import FakeErp, InMemorySubmissionStore, WriteFault, submission_of


@pytest.fixture
def outbox() -> InMemorySubmissionStore:
    return InMemorySubmissionStore()


@pytest.fixture
def erp() -> FakeErp:
    return FakeErp()


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def sender(
    outbox: InMemorySubmissionStore, erp: FakeErp, clock: FakeClock, bus: EventBus
) -> OrderSender:
    return OrderSender(outbox, erp, clock, bus, time_limit=timedelta(seconds=20))


def recorded(outbox: InMemorySubmissionStore, clock: FakeClock, draft: str = "draft-0001") -> str:
    [queued] = outbox.queue([submission_of(draft, clock.now())])
    return queued.id


async def test_an_order_is_marked_sending_before_the_erp_call_then_placed(
    sender: OrderSender,
    outbox: InMemorySubmissionStore,
    erp: FakeErp,
    clock: FakeClock,
    bus: EventBus,
) -> None:
    submission_id = recorded(outbox, clock)
    seen: list[SubmissionState | None] = []

    def look(request: OrderRequest) -> None:
        stored = outbox.get(submission_id)
        seen.append(None if stored is None else stored.state)

    erp.refuse = look
    placed = await sender.send(submission_id)
    assert seen == [SubmissionState.SENDING], "the record says sending while the ERP is asked"
    assert placed is not None and placed.state == SubmissionState.PLACED
    assert placed.erp_number == erp.numbers[0]
    steps = [(e.action.value, e.fields.get("draft")) for e in bus.recent]
    assert steps == [("submission_started", "draft-0001"), ("order_placed", "draft-0001")]
    assert bus.recent[1].fields["owner"] == 1, "the agent's events carry the owner"
    assert bus.recent[1].fields["number"] == erp.numbers[0], "the line names the ERP number"
    assert bus.recent[1].fields["duration_s"] >= 0, "and how long the ERP took"


async def test_a_refusal_keeps_the_erps_reasons(
    sender: OrderSender, outbox: InMemorySubmissionStore, erp: FakeErp, clock: FakeClock
) -> None:
    reasons = (Reason("line 1: quantity 5 is below the minimum of 6", "below_minimum", "lines", 1),)
    erp.refuse = lambda request: Refusal("the ERP refused the order", reasons)
    refused = await sender.send(recorded(outbox, clock))
    assert refused is not None and refused.reasons == reasons
    erp.refuse = lambda request: Refusal("blocked customer")
    bare = await sender.send(recorded(outbox, clock, "draft-0002"))
    assert bare is not None and bare.reasons == (Reason("blocked customer"),)


async def test_no_answer_to_go_by_is_retried_later_with_its_cause(
    sender: OrderSender,
    outbox: InMemorySubmissionStore,
    erp: FakeErp,
    clock: FakeClock,
    bus: EventBus,
) -> None:
    erp.faults.append(WriteFault.FAIL_BEFORE_COMMIT)
    waiting = await sender.send(recorded(outbox, clock))
    assert waiting is not None and waiting.state == SubmissionState.QUEUED
    assert waiting.last_error == "ERP answered 503: the ERP is temporarily unavailable"
    retried = bus.recent[-1]
    assert retried.action.value == "submission_retried"
    assert retried.fields["next_attempt_at"] == clock.now() + timedelta(seconds=2)
    assert retried.fields["cause"] == waiting.last_error, "the line says why it goes again"


async def test_an_erp_that_never_answers_is_given_up_on_after_the_time_limit(
    sender: OrderSender, outbox: InMemorySubmissionStore, erp: FakeErp, clock: FakeClock
) -> None:
    erp.gate = asyncio.Event()
    attempt = asyncio.create_task(sender.send(recorded(outbox, clock)))
    for _ in range(5000):  # the call begins after two store round trips in threads
        if erp.in_flight:
            break
        await asyncio.sleep(0.001)
    await clock.advance(20)
    waiting = await attempt
    assert waiting is not None and waiting.state == SubmissionState.QUEUED
    assert waiting.last_error == "no answer from the ERP within 20 s"
    assert erp.in_flight == 0, "the call was cancelled"


async def test_a_key_the_erp_holds_for_another_body_keeps_the_draft_locked_for_an_operator(
    sender: OrderSender, outbox: InMemorySubmissionStore, erp: FakeErp, clock: FakeClock
) -> None:
    """Never a refusal: that would free the draft to be changed and sent as a second order."""

    async def conflict(*_: object) -> None:
        raise IdempotencyConflictError("key key-draft-0001 was used for another order")

    erp.place_order = conflict  # type: ignore[method-assign, assignment]
    waiting = await sender.send(recorded(outbox, clock))
    assert waiting is not None and waiting.state == SubmissionState.QUEUED
    assert waiting.state.holds_draft
    assert "an operator must look" in (waiting.last_error or "")


async def test_every_attempt_sends_the_content_recorded_byte_for_byte(
    sender: OrderSender, outbox: InMemorySubmissionStore, erp: FakeErp, clock: FakeClock
) -> None:
    sent: list[tuple[str, str]] = []

    async def record(content: str, key: str) -> None:
        sent.append((content, key))
        raise ErpUnavailableError("ERP unreachable: ReadTimeout")

    erp.place_order = record  # type: ignore[method-assign, assignment]
    submission_id = recorded(outbox, clock)
    await sender.send(submission_id)
    await clock.advance(2)
    await sender.send(submission_id)
    stored = outbox.get(submission_id)
    assert stored is not None
    assert sent == [(stored.content, stored.key)] * 2


async def test_a_decided_or_unknown_submission_is_not_sent(
    sender: OrderSender, outbox: InMemorySubmissionStore, erp: FakeErp, clock: FakeClock
) -> None:
    submission_id = recorded(outbox, clock)
    await sender.send(submission_id)
    again = await sender.send(submission_id)
    assert again is not None and again.state == SubmissionState.PLACED
    assert await sender.send("nobody") is None
    assert erp.calls == 1


async def test_a_process_that_lost_the_role_records_nothing_and_calls_no_erp(
    sender: OrderSender, outbox: InMemorySubmissionStore, erp: FakeErp, clock: FakeClock
) -> None:
    submission_id = recorded(outbox, clock)
    outbox.fenced_out = True
    with pytest.raises(LostRoleError):
        await sender.send(submission_id)
    assert erp.calls == 0
    assert outbox.get(submission_id).state == SubmissionState.QUEUED  # type: ignore[union-attr]
