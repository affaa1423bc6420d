"""Orders sent to the ERP: a submission's content, its states and the rules between them.

Pressing "Invia" records a :class:`Submission` (the exact order sent, an idempotency key)
before any ERP call. It is then ``queued`` → ``sending`` → ``placed`` (the ERP's number) or
``rejected`` (the ERP's reasons). A transient failure sends it back to ``queued`` with a time
for the next attempt; every attempt repeats the same key with the same body, so the ERP holds
one order per submission whatever failed in between (SPEC §2.13). A refusal is final for that
content: an edited draft becomes a new submission with a new key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from erpsync.domain.drafts import Draft
from erpsync.errors import InvalidInputError, InvalidTransitionError


class SubmissionState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    PLACED = "placed"
    REJECTED = "rejected"

    @property
    def pending(self) -> bool:
        """Still to reach the ERP (or to learn that it did)."""
        return self in (SubmissionState.QUEUED, SubmissionState.SENDING)

    @property
    def holds_draft(self) -> bool:
        """The draft may not change: it is on its way, or it is an ERP order now."""
        return self != SubmissionState.REJECTED


@dataclass(frozen=True)
class OrderLine:
    product_code: str
    qty: int
    unit_price: Decimal
    discount: Decimal = Decimal(0)


@dataclass(frozen=True)
class OrderRequest:
    """The order as the ERP receives it (the write contract's body).

    ``client_reference`` is the draft's id: the orders sync finds the order by it.
    """

    client_reference: str
    customer_code: str
    agent_code: str | None
    order_date: date
    lines: tuple[OrderLine, ...]
    notes: str = ""

    @classmethod
    def of_draft(cls, draft: Draft, agent_code: str | None, on: date) -> OrderRequest:
        return cls(
            client_reference=draft.id,
            customer_code=draft.customer_code,
            agent_code=agent_code,
            order_date=on,
            lines=tuple(
                OrderLine(li.product_code, li.qty, li.unit_price, li.discount) for li in draft.lines
            ),
            notes=draft.notes,
        )

    def body(self) -> dict[str, Any]:
        return {
            "client_reference": self.client_reference,
            "customer_code": self.customer_code,
            "agent_code": self.agent_code,
            "date": self.order_date.isoformat(),
            "notes": self.notes,
            "lines": [
                {
                    "product_code": li.product_code,
                    "qty": str(li.qty),
                    "unit_price": str(li.unit_price),
                    "discount": str(li.discount),
                }
                for li in self.lines
            ],
        }

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> OrderRequest:
        """Read back a body made by :meth:`body` (the outbox keeps it as JSON).

        Raises:
            InvalidInputError: it is not such a body.
        """
        try:
            return cls(
                client_reference=str(body["client_reference"]),
                customer_code=str(body["customer_code"]),
                agent_code=None if body["agent_code"] is None else str(body["agent_code"]),
                order_date=date.fromisoformat(body["date"]),
                lines=tuple(
                    OrderLine(
                        str(li["product_code"]),
                        int(li["qty"]),
                        Decimal(li["unit_price"]),
                        Decimal(li["discount"]),
                    )
                    for li in body["lines"]
                ),
                notes=str(body["notes"]),
            )
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            raise InvalidInputError(f"not an order body: {exc!r}") from exc

    def content(self) -> str:
        """The body as text, once and for all: every attempt sends exactly these bytes."""
        return json.dumps(self.body(), sort_keys=True, separators=(",", ":"))

    @property
    def content_digest(self) -> str:
        """What the agent decided (customer, lines, notes), whatever the day it is sent: the
        same content refused once is refused again."""
        content = {k: v for k, v in self.body().items() if k in ("customer_code", "lines", "notes")}
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Reason:
    """One reason the ERP gave for refusing an order; ``line`` counts from 1."""

    message: str
    code: str = ""
    field: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class PlacedOrder:
    """The ERP's answer to an order it holds: its number and state; ``replayed`` when it
    answered a repeat of a key it had already taken."""

    number: str
    state: str
    replayed: bool = False


@dataclass(frozen=True)
class Refusal:
    """The ERP's answer to an order it will not take: final for that content."""

    detail: str
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True)
class RetryPolicy:
    """How long a submission waits after a transient failure: doubling from ``first`` up to
    ``longest``, never giving up (an order is never dropped)."""

    first: timedelta = timedelta(seconds=2)
    longest: timedelta = timedelta(minutes=5)

    def delay(self, attempts: int) -> timedelta:
        return min(self.longest, self.first * (1 << max(0, min(attempts - 1, 20))))


@dataclass(frozen=True)
class Submission:
    """One draft sent to the ERP.

    Attributes:
        id: The submission's own id.
        key: The idempotency key every attempt repeats.
        request: The order, frozen when "Invia" was pressed.
        content: The request's body as recorded: what every attempt sends, byte for byte
            (whatever a later release makes of :meth:`OrderRequest.body`).
        draft_version: The draft's ``updated_at`` the request was made from: it is recorded
            only if the draft has not changed since.
        attempts: ERP calls begun so far.
        next_attempt_at: After a transient failure, not before then.
        last_error: Why the last attempt did not get an answer.
        erp_number: The ERP's order number, once placed.
        erp_state: The ERP's state of the order, as last known.
        reasons: Why the ERP refused it.
        decided_at: When it was placed or refused.
    """

    id: str
    draft_id: str
    owner_id: int
    key: str
    request: OrderRequest
    content: str
    draft_version: datetime
    state: SubmissionState
    created_at: datetime
    updated_at: datetime
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    erp_number: str | None = None
    erp_state: str | None = None
    reasons: tuple[Reason, ...] = field(default=())
    decided_at: datetime | None = None

    @classmethod
    def of_draft(
        cls, draft: Draft, agent_code: str | None, at: datetime, *, id: str, key: str
    ) -> Submission:
        """A new queued submission of ``draft`` as it is now, dated ``at`` (UTC day)."""
        request = OrderRequest.of_draft(draft, agent_code, at.date())
        return cls(
            id=id,
            draft_id=draft.id,
            owner_id=draft.owner_id,
            key=key,
            request=request,
            content=request.content(),
            draft_version=draft.updated_at,
            state=SubmissionState.QUEUED,
            created_at=at,
            updated_at=at,
        )

    def ready(self, now: datetime) -> bool:
        """Pending, and not waiting out a retry delay."""
        return self.state.pending and (self.next_attempt_at is None or self.next_attempt_at <= now)

    def _require(self, action: str, *states: SubmissionState) -> None:
        if self.state not in states:
            raise InvalidTransitionError(
                f"submission {self.id} is {self.state}: it cannot be {action}"
            )

    def sending(self, at: datetime) -> Submission:
        """An attempt begins (again, after a crash, when it was left ``sending``)."""
        self._require("sent", SubmissionState.QUEUED, SubmissionState.SENDING)
        return replace(
            self,
            state=SubmissionState.SENDING,
            attempts=self.attempts + 1,
            next_attempt_at=None,
            updated_at=at,
        )

    def placed(self, order: PlacedOrder, at: datetime) -> Submission:
        """The ERP holds the order. Learning it twice (an answer, then the orders sync) keeps
        the first record; a different number for the same submission is a contradiction."""
        if self.state == SubmissionState.PLACED:
            if order.number != self.erp_number:
                raise InvalidTransitionError(
                    f"submission {self.id} is ERP order {self.erp_number}, not {order.number}"
                )
            return self if order.state == self.erp_state else replace(self, erp_state=order.state)
        self._require("placed", SubmissionState.QUEUED, SubmissionState.SENDING)
        return replace(
            self,
            state=SubmissionState.PLACED,
            erp_number=order.number,
            erp_state=order.state,
            next_attempt_at=None,
            last_error=None,
            updated_at=at,
            decided_at=at,
        )

    def rejected(self, reasons: tuple[Reason, ...], at: datetime) -> Submission:
        self._require("rejected", SubmissionState.SENDING)
        return replace(
            self,
            state=SubmissionState.REJECTED,
            reasons=reasons,
            next_attempt_at=None,
            updated_at=at,
            decided_at=at,
        )

    def retry_later(self, cause: str, at: datetime, policy: RetryPolicy) -> Submission:
        """The attempt got no answer to go by: try again, with the same key, after a delay."""
        self._require("retried", SubmissionState.SENDING)
        return replace(
            self,
            state=SubmissionState.QUEUED,
            next_attempt_at=at + policy.delay(self.attempts),
            last_error=cause[:500],
            updated_at=at,
        )


def may_send(draft: Draft, latest: Submission | None) -> bool:
    """Whether ``draft`` may go to the ERP now, its latest submission being ``latest``: never
    sent, or refused and changed since (the same content would be refused again)."""
    if latest is None:
        return True
    if latest.state.holds_draft:
        return False
    again = OrderRequest.of_draft(draft, None, latest.request.order_date)
    return again.content_digest != latest.request.content_digest
