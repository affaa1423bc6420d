"""Sending drafts: recorded before anything else, once per draft, only the agent's own, with
the agent's code; a refused draft goes again only once it changed."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine

from erpsync.adapters.db.drafts import SqlDraftStore
from erpsync.adapters.db.submissions import SqlSubmissionStore
from erpsync.domain.commands import Command, SendOrders
from erpsync.domain.submissions import PlacedOrder, Reason, SubmissionState
from erpsync.domain.users import User
from erpsync.errors import OrchestratorUnavailableError, OrderRefusedError, RecordNotFoundError
from erpsync.services.drafts import DraftInput, DraftService, LineInput
from erpsync.services.submissions import SubmissionService
from erpsync.testing import FakeClock

A = TypeVar("A")


class Told:
    """A :class:`~erpsync.services.control.Control` that keeps the commands it is given."""

    def __init__(self, *, down: bool = False) -> None:
        self.commands: list[Command[Any]] = []
        self.down = down

    async def handle(self, command: Command[A]) -> A:
        if self.down:
            raise OrchestratorUnavailableError("no orchestrator answered within 5 s")
        self.commands.append(command)
        return None  # type: ignore[return-value]

    async def snapshot(self) -> Any:
        raise NotImplementedError


@pytest.fixture
def service(sqlite_engine: Engine, clock: FakeClock, drafts: DraftService) -> SubmissionService:
    keys = (f"k{n:04d}" for n in itertools.count(1))
    return SubmissionService(
        SqlDraftStore(sqlite_engine),
        SqlSubmissionStore(sqlite_engine),
        clock,
        new_id=lambda: next(keys),
    )


def order(qty: int = 200, customer: str = "C1") -> DraftInput:
    return DraftInput(customer, (LineInput("P1", qty, Decimal("0.12")),), "")


async def test_a_draft_is_recorded_then_the_orchestrator_is_told(
    service: SubmissionService, drafts: DraftService, people: tuple[User, User]
) -> None:
    anna, _ = people
    drafts.create(anna, "draft-0001", order())
    told = Told()
    [sent] = await service.send(anna, ["draft-0001"], told)
    assert sent.submission is not None and sent.error is None
    assert sent.submission.state == SubmissionState.QUEUED
    assert sent.submission.request.agent_code == "A01", "the signed-in agent's code"
    assert service.outbox.pending() == [sent.submission]
    assert told.commands == [SendOrders(("k0001",))]


async def test_pressing_again_queues_nothing_more(
    service: SubmissionService, drafts: DraftService, people: tuple[User, User]
) -> None:
    anna, _ = people
    drafts.create(anna, "draft-0001", order())
    drafts.create(anna, "draft-0002", order())
    told = Told()
    [first] = await service.send(anna, ["draft-0001"], told)
    again = await service.send(anna, ["draft-0001", "draft-0002", "draft-0001"], told)
    assert [s.draft_id for s in again] == ["draft-0001", "draft-0002"]
    assert again[0].submission == first.submission
    assert len(service.outbox.pending()) == 2


async def test_another_agents_draft_is_not_found_and_nothing_is_recorded(
    service: SubmissionService, drafts: DraftService, people: tuple[User, User]
) -> None:
    anna, bruno = people
    drafts.create(anna, "draft-anna1", order())
    drafts.create(bruno, "draft-bruno", order(customer="C3"))
    with pytest.raises(RecordNotFoundError):
        await service.send(bruno, ["draft-bruno", "draft-anna1"], Told())
    assert service.outbox.pending() == []


async def test_a_refused_draft_goes_again_only_once_it_changed(
    service: SubmissionService, drafts: DraftService, people: tuple[User, User], clock: FakeClock
) -> None:
    anna, _ = people
    drafts.create(anna, "draft-0001", order())
    [sent] = await service.send(anna, ["draft-0001"], Told())
    assert sent.submission is not None
    reason = Reason("line 1: quantity 200 is below the minimum of 300", "below_minimum")
    service.outbox.save(sent.submission.sending(clock.now()).rejected((reason,), clock.now()))
    [refused] = await service.send(anna, ["draft-0001"], Told())
    assert refused.submission is None
    assert isinstance(refused.error, OrderRefusedError)
    assert "below the minimum of 300" in str(refused.error)
    await clock.advance(60)
    drafts.update(anna, "draft-0001", order(300))
    [again] = await service.send(anna, ["draft-0001"], Told())
    assert again.submission is not None and again.submission.key == "k0002", "a new key"
    assert again.submission.request.lines[0].qty == 300


async def test_an_order_is_kept_when_the_orchestrator_cannot_be_told(
    service: SubmissionService,
    drafts: DraftService,
    people: tuple[User, User],
    caplog: pytest.LogCaptureFixture,
) -> None:
    anna, _ = people
    drafts.create(anna, "draft-0001", order())
    [sent] = await service.send(anna, ["draft-0001"], Told(down=True))
    assert sent.submission is not None and service.outbox.pending() == [sent.submission]
    assert "action=submission_wake_failed user=anna submissions=1" in caplog.text


async def test_invia_tutte_sends_in_the_order_given(
    sqlite_engine: Engine, clock: FakeClock, drafts: DraftService, people: tuple[User, User]
) -> None:
    """Whatever the ids drawn (random in the service: here they sort backwards)."""
    keys = (f"k{n:04d}" for n in itertools.count(9999, -1))
    service = SubmissionService(
        SqlDraftStore(sqlite_engine),
        SqlSubmissionStore(sqlite_engine),
        clock,
        new_id=lambda: next(keys),
    )
    anna, _ = people
    ids = [f"draft-{n:04d}" for n in (5, 1, 4, 2, 3)]
    for draft_id in ids:
        drafts.create(anna, draft_id, order())
    await service.send(anna, ids, Told())
    assert [s.draft_id for s in service.outbox.pending()] == ids


async def test_the_book_splits_the_drafts_the_erp_holds_from_the_others(
    service: SubmissionService, drafts: DraftService, people: tuple[User, User], clock: FakeClock
) -> None:
    anna, bruno = people
    for n in (1, 2, 3):
        drafts.create(anna, f"draft-000{n}", order())
        await clock.advance(1)
    drafts.create(bruno, "draft-bruno", order(customer="C3"))
    sent = await service.send(anna, ["draft-0001", "draft-0002"], Told())
    first, second = (s.submission for s in sent)
    assert first is not None and second is not None
    service.outbox.save(
        first.sending(clock.now()).placed(PlacedOrder("ORD-1", "open"), clock.now())
    )

    book = service.book(anna)
    assert [d.id for d, _ in book.drafts] == ["draft-0003", "draft-0002", "draft-0001"]
    assert [d.id for d, _ in book.placed] == ["draft-0001"]
    assert [(d.id, s) for d, s in book.unsent] == [("draft-0003", None), ("draft-0002", second)]
