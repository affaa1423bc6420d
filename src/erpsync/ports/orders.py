"""Orders on their way to the ERP: the outbox that records them and the ERP that takes them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from erpsync.domain.submissions import PlacedOrder, Refusal, Submission


class ErpWriter(Protocol):
    """The ERP write contract: ``POST /api/v1/orders`` with an ``Idempotency-Key``."""

    async def place_order(self, content: str, key: str) -> PlacedOrder | Refusal:
        """Send the order ``content`` (the JSON body, sent as it is) under ``key``, in one
        ERP call: the placed order (the first time, and the same order again for a repeat
        of the key with the same body), or the ERP's refusal.

        Raises:
            ErpUnavailableError: no answer to go by (a timeout, a lost connection, the ERP
                busy or down): the caller repeats the same key later.
            IdempotencyConflictError: the ERP holds another body under ``key``.
        """


class SubmissionStore(Protocol):
    """The outbox, in the mirror's database, shared by every replica.

    A draft has at most one submission that is not rejected: :meth:`queue` returns the one
    there is rather than adding a second, whichever replica asks. State changes made by the
    orchestrator (:meth:`save`) are fenced like the mirror's writes.
    """

    def queue(self, submissions: Sequence[Submission]) -> list[Submission]:
        """Record new ``queued`` submissions in one transaction; for a draft that already has
        a live one, that one is returned instead, in the same position."""

    def get(self, submission_id: str) -> Submission | None: ...

    def save(self, submission: Submission) -> Submission:
        """Store the submission's new state (fenced: raises ``LostRoleError`` in a process
        that no longer holds the orchestrator role)."""

    def latest(self, owner_id: int, draft_ids: Sequence[str]) -> dict[str, Submission]:
        """The newest submission of each of the owner's drafts that has one, with the ERP
        state the mirror now shows for placed orders."""

    def placed(self, owner_id: int, limit: int = 200) -> list[Submission]:
        """The owner's placed submissions, newest first."""

    def pending(self) -> list[Submission]:
        """Every ``queued`` or ``sending`` submission, oldest first."""

    def link_mirrored(self, now: datetime) -> list[Submission]:
        """Mark placed the pending submissions whose draft the mirror holds as an ERP order
        (the client reference), and return them."""

    def decided_since(self, since: datetime) -> dict[str, int]:
        """How many submissions were placed and rejected since ``since``."""
