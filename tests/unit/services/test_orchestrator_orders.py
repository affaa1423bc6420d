"""Orders sent to the ERP by the orchestrator: their place among the operations, their
retries, and what a restart or the orders sync makes of them (SPEC §2.12, §2.13)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from erpsync.domain.commands import SendOrders
from erpsync.domain.dispatch import YieldReason
from erpsync.domain.submissions import Reason, Refusal, Submission, SubmissionState
from erpsync.domain.types import SyncMode, SyncType
from erpsync.errors import InvalidCommandError
from erpsync.services.orchestrator import Orchestrator
from erpsync.services.order_lane import OrderLane
from erpsync.services.order_sender import OrderSender
from erpsync.services.sync_runner import SyncRunner
from erpsync.testing.orders import MirroredOrder, WriteFault, submission_of
from tests.unit.services.conftest import PAGED, World


@pytest.fixture
def sends_orders() -> bool:
    return True


async def send(world: World, *drafts: str, minutes: int = 0) -> list[Submission]:
    """Record submissions of ``drafts`` (``minutes`` apart) and tell the orchestrator."""
    queued = []
    for n, draft in enumerate(drafts):
        at = world.clock.now() + timedelta(minutes=minutes * n)
        queued += world.outbox.queue([submission_of(draft, at)])
    await world.orchestrator.handle(SendOrders(tuple(s.id for s in queued)))
    return queued


def state(world: World, draft: str) -> Submission:
    found = world.outbox.get(f"sub-key-{draft}")
    assert found is not None
    return found


async def test_an_order_goes_out_while_forms_are_open_and_syncs_stay_paused(
    world: World,
) -> None:
    await world.open_form("tab-0000001")
    await world.request(SyncType.PRODUCTS)
    await send(world, "draft-0001")
    await world.orchestrator.run_until_idle()
    placed = state(world, "draft-0001")
    assert placed.state == SubmissionState.PLACED
    assert placed.erp_number == world.erp.numbers[0]
    assert world.queued() == [SyncType.PRODUCTS], "open forms still hold the sync back"
    assert [e.action.value for e in world.actions("submission_started", "order_placed")] == [
        "submission_started",
        "order_placed",
    ]


async def test_a_running_sync_gives_way_to_an_order_at_its_next_page_and_resumes(
    world: World,
) -> None:
    world.source.gate(SyncType.PRODUCTS)
    await world.request(SyncType.PRODUCTS, SyncMode.FULL)
    await world.until(world.blocked_on(SyncType.PRODUCTS), "products waits for its page")
    await send(world, "draft-0001")
    running = world.snapshot().running
    assert running is not None and running.stopping == YieldReason.SUBMISSION
    world.source.open(SyncType.PRODUCTS)
    await world.orchestrator.run_until_idle()
    steps = [
        e.action.value
        for e in world.actions(
            "sync_preempted", "submission_started", "order_placed", "sync_resumed"
        )
    ]
    assert steps == ["sync_preempted", "submission_started", "order_placed", "sync_resumed"]
    preempted = world.actions("sync_preempted")[0]
    assert preempted.fields["reason"] == YieldReason.SUBMISSION
    assert world.actions("sync_completed")[-1].fields["type"] == SyncType.PRODUCTS
    assert world.erp.overlaps == 0


async def test_orders_go_first_come_first_served(world: World) -> None:
    world.erp.gate = asyncio.Event()
    await send(world, "draft-0003", "draft-0001", "draft-0002", minutes=1)
    await world.settle()
    orders = world.snapshot().orders
    assert [o.draft_id for o in orders] == ["draft-0003", "draft-0001", "draft-0002"]
    assert orders[0].sending_since is not None, "the one being sent comes first"
    assert all(o.sending_since is None for o in orders[1:])
    world.erp.gate.set()
    await world.orchestrator.run_until_idle()
    started = [e.fields["draft"] for e in world.actions("submission_started")]
    assert started == ["draft-0003", "draft-0001", "draft-0002"]
    assert world.snapshot().orders == ()


async def test_a_lost_answer_is_sent_again_with_the_same_key_and_makes_one_order(
    world: World,
) -> None:
    world.erp.faults.append(WriteFault.LOSE_ANSWER)
    await send(world, "draft-0001")
    await world.orchestrator.run_until_idle()
    waiting = state(world, "draft-0001")
    assert waiting.state == SubmissionState.QUEUED
    assert waiting.next_attempt_at == world.clock.now() + timedelta(seconds=2)
    assert "answer was lost" in (waiting.last_error or "")
    retried = world.actions("submission_retried")[0]
    assert retried.fields["attempt"] == 1
    await world.clock.advance(2)
    await world.orchestrator.run_until_idle()
    placed = state(world, "draft-0001")
    assert placed.state == SubmissionState.PLACED
    assert placed.attempts == 2
    assert len(world.erp.orders) == 1, "the repeat got the same order back"
    assert world.actions("order_placed")[0].fields["replayed"] is True


async def test_an_erp_down_for_long_is_retried_ever_more_slowly_and_never_given_up(
    world: World,
) -> None:
    world.erp.faults.extend([WriteFault.FAIL_BEFORE_COMMIT] * 12)
    await send(world, "draft-0001")
    waits = []
    for _ in range(12):
        await world.orchestrator.run_until_idle()
        waiting = state(world, "draft-0001")
        assert waiting.next_attempt_at is not None
        wait = waiting.next_attempt_at - world.clock.now()
        waits.append(int(wait.total_seconds()))
        await world.clock.advance(wait.total_seconds())
    assert waits == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300, 300]
    await world.orchestrator.run_until_idle()
    assert state(world, "draft-0001").state == SubmissionState.PLACED
    assert len(world.erp.orders) == 1


async def test_a_refusal_is_final(world: World) -> None:
    reason = Reason("customer C00001 is blocked", "customer_blocked", "customer_code")
    world.erp.refuse = lambda request: Refusal("the ERP refused the order", (reason,))
    await send(world, "draft-0001")
    await world.orchestrator.run_until_idle()
    await world.clock.advance(3600)
    await world.orchestrator.run_until_idle()
    rejected = state(world, "draft-0001")
    assert rejected.state == SubmissionState.REJECTED
    assert rejected.reasons == (reason,)
    assert world.erp.calls == 1, "a refusal is never retried"
    assert world.actions("order_rejected")[0].fields["reasons"] == "customer C00001 is blocked"


async def test_a_new_orchestrator_sends_again_what_its_predecessor_left_sending(
    world: World,
) -> None:
    """The process was killed after the ERP created the order and before it heard back."""
    world.erp.after_commit = asyncio.Event()
    await send(world, "draft-0001")
    await world.until(lambda: len(world.erp.orders) == 1, "the ERP holds the order")
    await world.orchestrator.stop(grace_s=0)
    assert state(world, "draft-0001").state == SubmissionState.SENDING
    world.erp.after_commit = None
    successor = Orchestrator(
        SyncRunner(world.source, world.mirror, world.runs, world.clock, specs=PAGED),
        world.schedules,
        world.clock,
        world.events,
        orders=OrderLane(
            OrderSender(world.outbox, world.erp, world.clock, world.events),
            world.clock,
            world.events,
        ),
    )
    await successor.start()
    await successor.run_until_idle()
    await successor.stop(grace_s=1)
    placed = state(world, "draft-0001")
    assert placed.state == SubmissionState.PLACED
    assert placed.erp_number == world.erp.numbers[0]
    assert len(world.erp.orders) == 1
    assert world.actions("submission_queued")[-1].fields["trigger"] == "resume"


async def test_the_orders_sync_marks_placed_an_order_whose_answer_was_lost(
    world: World,
) -> None:
    world.erp.faults.append(WriteFault.LOSE_ANSWER)
    await send(world, "draft-0001")
    await world.orchestrator.run_until_idle()
    assert state(world, "draft-0001").state == SubmissionState.QUEUED
    number = world.erp.numbers[0]
    # the orders sync brings it
    world.outbox.mirror.append(MirroredOrder.of(state(world, "draft-0001"), number, "confermato"))
    await world.request(SyncType.ORDERS)
    await world.orchestrator.run_until_idle()
    placed = state(world, "draft-0001")
    assert placed.state == SubmissionState.PLACED
    assert (placed.erp_number, placed.erp_state) == (number, "confermato")
    assert world.actions("order_placed")[0].fields["via"] == "orders_sync"
    await world.clock.advance(5)
    await world.orchestrator.run_until_idle()
    assert world.erp.calls == 1, "a placed order is not sent again"


async def test_orders_found_at_the_periodic_look_are_sent(world: World) -> None:
    """An order recorded while its wake-up was lost (the holder was away) is found."""
    await world.orchestrator.start()
    world.outbox.queue([submission_of("draft-0001", world.clock.now())])
    await world.clock.advance(30)
    await world.until(
        lambda: state(world, "draft-0001").state == SubmissionState.PLACED, "order placed"
    )
    assert world.actions("submission_queued")[0].fields["trigger"] == "schedule"


async def test_an_orchestrator_built_without_an_order_lane_refuses_send_orders(
    world: World,
) -> None:
    plain = Orchestrator(
        SyncRunner(world.source, world.mirror, world.runs, world.clock, specs=PAGED),
        world.schedules,
        world.clock,
        world.events,
    )
    with pytest.raises(InvalidCommandError, match="unknown command SendOrders"):
        await plain.handle(SendOrders(("sub-x",)))


async def test_the_running_loop_sends_again_when_the_retry_delay_ends(world: World) -> None:
    """No one calls the orchestrator: its own loop wakes when the delay is over."""
    await world.orchestrator.start()
    world.erp.faults.append(WriteFault.FAIL_BEFORE_COMMIT)
    await send(world, "draft-0001")
    await world.until(
        lambda: state(world, "draft-0001").next_attempt_at is not None, "the first attempt failed"
    )
    await world.clock.advance(2)
    await world.until(
        lambda: state(world, "draft-0001").state == SubmissionState.PLACED, "placed on its own"
    )
