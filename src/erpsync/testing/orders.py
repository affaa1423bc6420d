"""Fakes for orders on their way to the ERP: the outbox in memory, and an ERP that takes
orders by idempotency key and fails on cue, as the real ones do."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from erpsync.domain.drafts import Draft, DraftLine
from erpsync.domain.submissions import (
    OrderRequest,
    PlacedOrder,
    Refusal,
    Submission,
    SubmissionState,
)
from erpsync.errors import (
    ErpUnavailableError,
    IdempotencyConflictError,
    LostRoleError,
    RecordNotFoundError,
)


@dataclass(frozen=True)
class MirroredOrder:
    """An ERP order the orders sync brought in, as the outbox's link-back looks at it."""

    reference: str
    number: str
    state: str
    customer_code: str
    day: date

    @classmethod
    def of(cls, submission: Submission, number: str, state: str = "inserito") -> MirroredOrder:
        """The ERP order ``submission`` made."""
        request = submission.request
        return cls(
            request.client_reference, number, state, request.customer_code, request.order_date
        )


class InMemorySubmissionStore:
    """:class:`~erpsync.ports.SubmissionStore` in memory. It keeps no drafts, so it cannot
    check that a draft is unchanged (the SQL store does); ``mirror`` stands for the orders
    the orders sync brought in."""

    def __init__(self) -> None:
        self._rows: dict[str, Submission] = {}
        self.mirror: list[MirroredOrder] = []
        self.fenced_out = False

    def queue(self, submissions: Sequence[Submission]) -> list[Submission]:
        queued = []
        for submission in submissions:
            live = next(
                (
                    s
                    for s in self._rows.values()
                    if s.draft_id == submission.draft_id and s.state.holds_draft
                ),
                None,
            )
            if live is None:
                self._rows[submission.id] = submission
            queued.append(live or submission)
        return queued

    def get(self, submission_id: str) -> Submission | None:
        return self._rows.get(submission_id)

    def save(self, submission: Submission) -> Submission:
        if self.fenced_out:
            raise LostRoleError("this process does not hold the orchestrator role")
        stored = self._rows.get(submission.id)
        if stored is None:
            raise RecordNotFoundError("submission", submission.id)
        decided = not stored.state.pending
        if decided and (stored.state, stored.erp_number) != (
            submission.state,
            submission.erp_number,
        ):
            return stored
        self._rows[submission.id] = submission
        return submission

    def _with_erp_state(self, s: Submission) -> Submission:
        for order in self.mirror:
            if order.number == s.erp_number:
                return replace(s, erp_state=order.state)
        return s

    def latest(self, owner_id: int, draft_ids: Sequence[str]) -> dict[str, Submission]:
        found: dict[str, Submission] = {}
        for s in sorted(self._rows.values(), key=lambda s: (s.created_at, s.id)):
            live = s.draft_id in found and found[s.draft_id].state.holds_draft
            if s.owner_id == owner_id and s.draft_id in draft_ids and not live:
                found[s.draft_id] = self._with_erp_state(s)
        return found

    def placed(self, owner_id: int, limit: int = 200) -> list[Submission]:
        mine = [
            self._with_erp_state(s)
            for s in self._rows.values()
            if s.owner_id == owner_id and s.state == SubmissionState.PLACED
        ]
        return sorted(mine, key=lambda s: s.decided_at or s.created_at, reverse=True)[:limit]

    def pending(self) -> list[Submission]:
        waiting = [s for s in self._rows.values() if s.state.pending]
        return sorted(waiting, key=lambda s: (s.created_at, s.id))

    def link_mirrored(self, now: datetime) -> list[Submission]:
        linked = []
        for s in self.pending():
            request = s.request
            mine = [
                o
                for o in self.mirror
                if (o.reference, o.customer_code, o.day)
                == (s.draft_id, request.customer_code, request.order_date)
            ]
            if len(mine) == 1:  # several: ambiguous, left for an operator
                linked.append(self.save(s.placed(PlacedOrder(mine[0].number, mine[0].state), now)))
        return linked

    def decided_since(self, since: datetime) -> dict[str, int]:
        counts = {SubmissionState.PLACED.value: 0, SubmissionState.REJECTED.value: 0}
        for s in self._rows.values():
            if s.decided_at is not None and s.decided_at >= since:
                counts[s.state.value] += 1
        return counts


class WriteFault(StrEnum):
    """What the next order write does instead of simply answering."""

    #: Answers 503 without creating the order.
    FAIL_BEFORE_COMMIT = "fail_before_commit"
    #: Creates the order, then the answer is lost (the client sees a timeout).
    LOSE_ANSWER = "lose_answer"
    #: Refuses the order.
    REJECT = "reject"


class FakeErp:
    """:class:`~erpsync.ports.ErpWriter` holding orders by idempotency key, as the write
    contract says: a repeat of a key with the same body gets the same order back.

    ``faults`` are used up one per call; ``refuse`` decides refusals by content; with
    ``gate`` set, a call waits on it before it does anything, with ``after_commit`` set,
    after it created the order and before it answers (a process killed there has placed an
    order it never heard of).
    """

    def __init__(self, refuse: Callable[[OrderRequest], Refusal | None] | None = None) -> None:
        self.orders: dict[str, tuple[str, PlacedOrder]] = {}
        self.faults: deque[WriteFault] = deque()
        self.refuse = refuse
        self.gate: asyncio.Event | None = None
        self.after_commit: asyncio.Event | None = None
        self.calls = 0
        self.in_flight = 0
        self.overlaps = 0

    @property
    def numbers(self) -> list[str]:
        return [placed.number for _, placed in self.orders.values()]

    async def place_order(self, content: str, key: str) -> PlacedOrder | Refusal:
        self.calls += 1
        if self.in_flight:
            self.overlaps += 1
        self.in_flight += 1
        try:
            if self.gate is not None:
                await self.gate.wait()
            answer = self._answer(content, key)
            if self.after_commit is not None:
                await self.after_commit.wait()
            return answer
        finally:
            self.in_flight -= 1

    def _answer(self, body: str, key: str) -> PlacedOrder | Refusal:
        fault = self.faults.popleft() if self.faults else None
        known = self.orders.get(key)
        if known is not None:
            if known[0] != body:
                raise IdempotencyConflictError(f"key {key} was used for another order")
            if fault == WriteFault.LOSE_ANSWER:
                raise ErpUnavailableError("ERP unreachable: ReadTimeout (the answer was lost)")
            return replace(known[1], replayed=True)
        if fault == WriteFault.FAIL_BEFORE_COMMIT:
            raise ErpUnavailableError("ERP answered 503: the ERP is temporarily unavailable")
        if fault == WriteFault.REJECT:
            return Refusal("the ERP refused the order", ())
        request = OrderRequest.from_body(json.loads(body))
        refusal = self.refuse(request) if self.refuse else None
        if refusal is not None:
            return refusal
        placed = PlacedOrder(f"OV{900000 + len(self.orders) + 1:06d}", "inserito")
        self.orders[key] = (body, placed)
        if fault == WriteFault.LOSE_ANSWER:
            raise ErpUnavailableError("ERP unreachable: ReadTimeout (the answer was lost)")
        return placed


def submission_of(
    draft_id: str,
    at: datetime,
    *,
    owner: int = 1,
    customer: str = "C00001",
    lines: int = 1,
    key: str | None = None,
) -> Submission:
    """A queued submission of a small draft, for tests; its key (and id) ``key``, by default
    one made from the draft's id."""
    draft = Draft(
        id=draft_id,
        owner_id=owner,
        customer_code=customer,
        customer_name=f"Cliente {customer}",
        lines=tuple(
            DraftLine(f"P{n:04d}", "Prodotto", 6 * n, Decimal("4.50"), Decimal(10))
            for n in range(1, lines + 1)
        ),
        created_at=at,
        updated_at=at,
    )
    key = key or f"key-{draft_id}"
    return Submission.of_draft(draft, "A01", at, id=f"sub-{key}", key=key)
