"""The orchestrator's lane for orders on their way to the ERP.

It keeps the holder's copy of the outbox's pending rows (filled at start, by ``SendOrders``
and by a look at the table every ``poll_every``, so an order recorded while no holder
listened is never forgotten), says which order may go next, sends it through the
:class:`OrderSender`, and links orders the orders sync found in the ERP to their submissions.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from erpsync.domain.answers import OrdersAccepted
from erpsync.domain.dispatch import SubmitOperation
from erpsync.domain.outbox import OutboxQueue
from erpsync.domain.snapshot import OrderView
from erpsync.domain.submissions import Submission
from erpsync.domain.types import Trigger
from erpsync.ports import Clock
from erpsync.services.events import EventAction, EventBus
from erpsync.services.order_sender import OrderSender

log = logging.getLogger(__name__)
DECIDED_KEPT = 1000


@dataclass
class Sending:
    """The order being sent now."""

    operation: SubmitOperation
    started_at: datetime
    task: asyncio.Task[None] | None = None

    @property
    def submission_id(self) -> str:
        return self.operation.submission_id


class OrderLane:
    def __init__(
        self,
        sender: OrderSender,
        clock: Clock,
        events: EventBus,
        *,
        poll_every: timedelta = timedelta(seconds=30),
    ) -> None:
        self._sender = sender
        self._clock = clock
        self._events = events
        self._queue = OutboxQueue()
        self._poll_every = poll_every
        self._next_poll = clock.now() + poll_every
        self._polling: asyncio.Task[None] | None = None
        self._sending: str | None = None
        #: Submissions decided here lately: a look at the outbox begun before the decision
        #: must not bring them back.
        self._decided: deque[str] = deque(maxlen=DECIDED_KEPT)

    def __len__(self) -> int:
        return len(self._queue)

    async def load(self, trigger: Trigger = Trigger.RESUME) -> list[Submission]:
        """Take in every pending row of the outbox; the ones new here are returned."""
        pending = await asyncio.to_thread(self._sender.store.pending)
        return self._take(pending, trigger)

    async def accept(self, submission_ids: tuple[str, ...]) -> OrdersAccepted:
        found = []
        for submission_id in submission_ids:
            known = await asyncio.to_thread(self._sender.store.get, submission_id)
            if known is not None:
                found.append(known)
        self._take(found, Trigger.MANUAL)
        waiting = tuple(s.id for s in found if s.id in self._queue)
        return OrdersAccepted(waiting, len(self._queue))

    def _take(self, submissions: list[Submission], trigger: Trigger) -> list[Submission]:
        """Put in line what was read of the outbox, unless this lane knows better: the one
        being sent, one decided since, or a newer copy of one in line."""
        fresh = []
        for s in submissions:
            known = self._queue.get(s.id)
            stale = known is not None and known.updated_at >= s.updated_at
            if s.id != self._sending and s.id not in self._decided and not stale:
                fresh.append(s)
        new = [s for s in fresh if self._queue.put(s)]
        for s in new:
            self._events.emit(
                EventAction.SUBMISSION_QUEUED,
                self._clock.now(),
                submission=s.id,
                draft=s.draft_id,
                owner=s.owner_id,
                customer=s.request.customer_code,
                position=self._queue.position(s.id),
                trigger=trigger,
                attempts=s.attempts or None,
            )
        return new

    # -- the dispatch's questions -----------------------------------------------------------

    def ready(self, now: datetime) -> str | None:
        ready = self._queue.next_ready(now)
        return None if ready is None else ready.id

    def wake_at(self, now: datetime) -> datetime | None:
        """The next moment the lane has something to do: a retry delay ending, or a look at
        the outbox."""
        retry = self._queue.wake_at(now)
        return self._next_poll if retry is None else min(retry, self._next_poll)

    def poll(self, now: datetime, found: Callable[[], None]) -> bool:
        """Look at the outbox again when it is time, in the background, calling ``found``
        if that brings orders to send; True when a look started."""
        if now < self._next_poll:
            return False
        self._next_poll = now + self._poll_every
        if self._polling is not None and not self._polling.done():
            return True  # the last look is still on its way: the next one comes later
        self._polling = asyncio.create_task(self._poll(found), name="erpsync-outbox-poll")
        return True

    async def _poll(self, found: Callable[[], None]) -> None:
        try:
            new = await self.load(Trigger.SCHEDULE)
        except Exception:
            log.exception("action=outbox_poll_failed")
            return
        if new:
            found()

    def views(self, sending: Sending | None) -> tuple[OrderView, ...]:
        entries = self._queue.entries()
        if sending is not None:
            entries.sort(key=lambda s: s.id != sending.submission_id)
        return tuple(
            OrderView(
                submission_id=s.id,
                draft_id=s.draft_id,
                owner=s.owner_id,
                customer_code=s.request.customer_code,
                queued_at=s.created_at,
                attempts=s.attempts,
                agent_code=s.request.agent_code,
                sending_since=sending.started_at
                if sending is not None and sending.submission_id == s.id
                else None,
                next_attempt_at=s.next_attempt_at,
                last_error=s.last_error,
            )
            for s in entries
        )

    # -- the work ---------------------------------------------------------------------------

    async def send(self, submission_id: str, retry_after: timedelta) -> None:
        """One attempt at the order; if it could not even be recorded (the database, a lost
        role), it waits ``retry_after`` here before the next."""
        self._sending = submission_id
        try:
            result = await self._sender.send(submission_id)
        except Exception:
            log.exception("action=submission_crashed submission=%s", submission_id)
            known = self._queue.get(submission_id)
            if known is not None:
                later = self._clock.now() + retry_after
                self._queue.put(replace(known, next_attempt_at=later))
            return
        finally:
            self._sending = None
        if result is None:  # gone from the outbox (its user was removed)
            self._queue.drop(submission_id)
        else:
            self._keep(result)

    async def link_mirrored(self) -> None:
        """After an orders sync: the orders the ERP holds for pending submissions."""
        try:
            linked = await asyncio.to_thread(self._sender.store.link_mirrored, self._clock.now())
        except Exception:
            log.exception("action=submission_link_failed")
            return
        for submission in linked:
            self._keep(submission)
            self._sender.linked(submission)

    def _keep(self, submission: Submission) -> None:
        self._queue.put(submission)
        if not submission.state.pending:
            self._decided.append(submission.id)
