"""The orchestrator's view of the orders waiting to be sent: first come, first served.

The outbox table is the record; this is the holder's working copy of its pending rows, so the
dispatch decision never waits on the database.
"""

from __future__ import annotations

from datetime import datetime

from erpsync.domain.submissions import Submission


class OutboxQueue:
    def __init__(self) -> None:
        self._waiting: dict[str, Submission] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    def __contains__(self, submission_id: object) -> bool:
        return submission_id in self._waiting

    def put(self, submission: Submission) -> bool:
        """Keep ``submission`` while it is pending (replacing what was known of it); forget it
        once placed or rejected. True when it was not known before."""
        new = submission.id not in self._waiting
        if submission.state.pending:
            self._waiting[submission.id] = submission
        else:
            self._waiting.pop(submission.id, None)
        return new and submission.state.pending

    def drop(self, submission_id: str) -> None:
        self._waiting.pop(submission_id, None)

    def get(self, submission_id: str) -> Submission | None:
        return self._waiting.get(submission_id)

    def entries(self) -> list[Submission]:
        """Oldest first: the order they are sent in."""
        return sorted(self._waiting.values(), key=lambda s: (s.created_at, s.id))

    def position(self, submission_id: str) -> int | None:
        """1 for the next to go; ``None`` when not waiting."""
        for n, s in enumerate(self.entries(), start=1):
            if s.id == submission_id:
                return n
        return None

    def next_ready(self, now: datetime) -> Submission | None:
        """The oldest submission that may be sent now."""
        return next((s for s in self.entries() if s.ready(now)), None)

    def wake_at(self, now: datetime) -> datetime | None:
        """When the next retry delay ends, if nothing may go before."""
        if self.next_ready(now) is not None:
            return None
        later = [s.next_attempt_at for s in self._waiting.values() if s.next_attempt_at]
        return min(later, default=None)
