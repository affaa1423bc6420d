"""Sends one recorded order to the ERP and records what became of it.

Every attempt is marked ``sending`` before the ERP call and repeats the submission's key, so
whatever happens between the ERP's commit and the record here (a lost answer, a crash, a new
holder of the orchestrator role) the next attempt gets the same order back instead of a
second one. Nothing but the ERP's own answer ends a submission: every other failure is
retried after a delay, never given up.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from erpsync.domain.submissions import (
    PlacedOrder,
    Reason,
    Refusal,
    RetryPolicy,
    Submission,
)
from erpsync.errors import ErpSyncError, IdempotencyConflictError
from erpsync.ports import Clock, ErpWriter, SubmissionStore
from erpsync.services.events import EventAction, EventBus
from erpsync.services.watchdog import within

log = logging.getLogger(__name__)


class OrderSender:
    def __init__(
        self,
        store: SubmissionStore,
        writer: ErpWriter,
        clock: Clock,
        events: EventBus,
        *,
        retry: RetryPolicy | None = None,
        time_limit: timedelta = timedelta(minutes=2),
    ) -> None:
        self.store = store
        self._writer = writer
        self._clock = clock
        self._events = events
        self._retry = retry or RetryPolicy()
        self._time_limit = time_limit

    async def send(self, submission_id: str) -> Submission | None:
        """One attempt; the submission as it is afterwards (``None`` if it does not exist).

        Raises:
            LostRoleError: this process no longer holds the orchestrator role; nothing of
                this attempt was recorded, and the new holder sends it again.
        """
        current = await asyncio.to_thread(self.store.get, submission_id)
        if current is None or not current.state.pending:
            return current
        sending = await asyncio.to_thread(self.store.save, current.sending(self._clock.now()))
        if not sending.state.pending:  # the orders sync found it placed meanwhile
            return sending
        self._emit(EventAction.SUBMISSION_STARTED, sending, attempt=sending.attempts)
        started = self._clock.now()
        outcome = await self._attempt(sending)
        now = self._clock.now()
        if isinstance(outcome, PlacedOrder):
            result = sending.placed(outcome, now)
        elif isinstance(outcome, Refusal):
            result = sending.rejected(outcome.reasons or (Reason(outcome.detail),), now)
        else:
            result = sending.retry_later(outcome, now, self._retry)
        saved = await asyncio.to_thread(self.store.save, result)
        self._report(saved, outcome, (now - started).total_seconds())
        return saved

    async def _attempt(self, sending: Submission) -> PlacedOrder | Refusal | str:
        """The ERP's answer, or why there is none to go by."""
        try:
            answer = await within(
                self._clock,
                self._time_limit,
                self._writer.place_order(sending.content, sending.key),
            )
        except IdempotencyConflictError as exc:
            # The ERP holds an order under this key already: never a refusal (that would let
            # the draft be changed and sent again as a second order). It stays on its way,
            # tried now and then, for an operator to settle with the ERP.
            log.error(
                "action=idempotency_conflict submission=%s draft=%s key=%s: %s",
                sending.id,
                sending.draft_id,
                sending.key,
                exc,
            )
            return f"the ERP holds another order under this key; an operator must look: {exc}"
        except ErpSyncError as exc:  # no answer to go by: the same key goes again later
            return str(exc) or exc.__class__.__name__
        except Exception as exc:  # an unforeseen failure is retried too, never dropped
            log.exception("action=submission_failed submission=%s", sending.id)
            return f"{exc.__class__.__name__}: {exc}".strip().rstrip(":")
        if answer is None:
            limit_s = int(self._time_limit.total_seconds())
            return f"no answer from the ERP within {limit_s} s"
        return answer

    def _report(
        self, saved: Submission, outcome: PlacedOrder | Refusal | str, took_s: float
    ) -> None:
        if isinstance(outcome, PlacedOrder):
            self._emit(
                EventAction.ORDER_PLACED,
                saved,
                number=saved.erp_number,
                erp_state=saved.erp_state,
                replayed=outcome.replayed or None,
                duration_s=round(took_s, 3),
                waited_s=round((self._clock.now() - saved.created_at).total_seconds(), 3),
            )
        elif isinstance(outcome, Refusal):
            self._emit(
                EventAction.ORDER_REJECTED,
                saved,
                reasons="; ".join(r.message for r in saved.reasons),
            )
        else:
            self._emit(
                EventAction.SUBMISSION_RETRIED,
                saved,
                attempt=saved.attempts,
                cause=outcome,
                next_attempt_at=saved.next_attempt_at,
            )

    def linked(self, submission: Submission) -> None:
        """The orders sync found the order in the ERP: it was placed though no answer said
        so."""
        self._emit(
            EventAction.ORDER_PLACED,
            submission,
            number=submission.erp_number,
            erp_state=submission.erp_state,
            via="orders_sync",
        )

    def _emit(self, action: EventAction, submission: Submission, **fields: object) -> None:
        self._events.emit(
            action,
            self._clock.now(),
            submission=submission.id,
            draft=submission.draft_id,
            owner=submission.owner_id,
            customer=submission.request.customer_code,
            **fields,
        )
