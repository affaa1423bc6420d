"""Sending an agent's drafts to the ERP: "Invia" records the submission in the outbox, in one
transaction and before any ERP call, then tells the orchestrator in charge.

Pressing twice queues once (a draft has one live submission); the agent code sent is the
signed-in agent's; an agent sends only their own drafts (another's is not found). A draft
the ERP refused goes again only once it changed: the same content would be refused again.
If the orchestrator cannot be told now, the order waits in the outbox, where the orchestrator
finds it at its next look.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from erpsync.domain.commands import SendOrders
from erpsync.domain.drafts import Draft
from erpsync.domain.submissions import Submission, SubmissionState, may_send
from erpsync.domain.users import User
from erpsync.errors import (
    ErpSyncError,
    InvalidCommandError,
    OrderRefusedError,
    UnavailableError,
)
from erpsync.ports import Clock, DraftStore, SubmissionStore
from erpsync.services.control import Control

log = logging.getLogger(__name__)

#: Drafts one "Invia tutte" may send.
MAX_BATCH = 200


@dataclass(frozen=True)
class Sent:
    """What became of one draft of a send: its submission, or why it was not sent."""

    draft_id: str
    submission: Submission | None
    error: ErpSyncError | None = None


@dataclass(frozen=True)
class DraftBook:
    """A user's drafts, newest first, each with its latest submission to the ERP."""

    drafts: list[tuple[Draft, Submission | None]]

    @staticmethod
    def _placed(submission: Submission | None) -> bool:
        return submission is not None and submission.state == SubmissionState.PLACED

    @property
    def placed(self) -> list[tuple[Draft, Submission | None]]:
        """The ones the ERP holds now ("Inviati")."""
        return [(d, s) for d, s in self.drafts if self._placed(s)]

    @property
    def unsent(self) -> list[tuple[Draft, Submission | None]]:
        """The ones not placed yet: what the order form calls "bozze"."""
        return [(d, s) for d, s in self.drafts if not self._placed(s)]


class SubmissionService:
    def __init__(
        self,
        drafts: DraftStore,
        outbox: SubmissionStore,
        clock: Clock,
        *,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._drafts = drafts
        self.outbox = outbox
        self._clock = clock
        self._new_id = new_id

    async def send(self, user: User, draft_ids: Sequence[str], control: Control) -> list[Sent]:
        """Record and send the user's drafts, in the order given (repeats once).

        Raises:
            RecordNotFoundError: a draft is not the user's (nothing is recorded then).
            DraftChangedError: a draft changed while being recorded (nothing is recorded).
        """
        sent = await asyncio.to_thread(self._record, user, list(dict.fromkeys(draft_ids)))
        waiting = tuple(
            s.submission.id for s in sent if s.submission and s.submission.state.pending
        )
        if waiting:
            try:
                await control.handle(SendOrders(waiting))
            except (UnavailableError, InvalidCommandError) as exc:  # down, or an older holder
                log.warning(
                    "action=submission_wake_failed user=%s submissions=%d reason=%r",
                    user.name,
                    len(waiting),
                    str(exc),
                )
        return sent

    def _record(self, user: User, draft_ids: list[str]) -> list[Sent]:
        drafts = [self._drafts.get(user.id, draft_id) for draft_id in draft_ids]
        latest = self.outbox.latest(user.id, draft_ids)
        now = self._clock.now()
        results: dict[str, Sent] = {}
        new: list[Submission] = []
        for draft in drafts:
            known = latest.get(draft.id)
            if known is not None and known.state.holds_draft:
                results[draft.id] = Sent(draft.id, known)
            elif known is not None and not may_send(draft, known):
                results[draft.id] = Sent(draft.id, None, _refused_again(known))
            else:
                key = self._new_id()
                # a microsecond apart: the outbox sends a batch in the order it was given
                at = now + timedelta(microseconds=len(new))
                new.append(Submission.of_draft(draft, user.agent_code, at, id=key, key=key))
        for submission in self.outbox.queue(new):
            results[submission.draft_id] = Sent(submission.draft_id, submission)
            log.info(
                "action=submission_recorded user=%s draft=%s submission=%s state=%s",
                user.name,
                submission.draft_id,
                submission.id,
                submission.state,
            )
        return [results[d.id] for d in drafts]

    def latest(self, user: User, draft_ids: Sequence[str]) -> dict[str, Submission]:
        return self.outbox.latest(user.id, draft_ids)

    def book(self, user: User) -> DraftBook:
        """The user's drafts with their submissions, as the drafts list and page show them."""
        mine = self._drafts.owned_by(user.id)
        latest = self.latest(user, [d.id for d in mine])
        return DraftBook([(d, latest.get(d.id)) for d in mine])


def _refused_again(refused: Submission) -> OrderRefusedError:
    reasons = "; ".join(r.message for r in refused.reasons) or "no reason given"
    return OrderRefusedError(
        f"the ERP refused draft {refused.draft_id!r} as it is ({reasons}); "
        "change it before sending it again"
    )
