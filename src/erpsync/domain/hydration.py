"""The first start's hydration: every type whose mirror is empty is loaded at once, in priority
order, so the order form is usable in minutes rather than when the grid first reaches each type
(SPEC §2.14).

Which types are empty is the sync engine's to say (no live record mirrored, and no sync of the
type ever completed: a type the ERP emptied is not hydrated again at every start). The
hydration asks for a full sync of each at start-up; the grid of SPEC §1 still hangs on T and
its ticks merge into these requests as into any other. A type is *done* once a sync of it
completes, whoever asked for it (the Smart Customer Sync of an order form hydrates
``customers`` too); *failed* when its hydration's run failed (the grid tries again later). The
hydration ends when every type is done or failed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from erpsync.domain.types import SyncType


class HydrationState(StrEnum):
    """Where one type of the hydration is."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class Hydration:
    """The hydration begun at ``began_at``.

    Attributes:
        began_at: When the orchestrator started it.
        types: The types it loads, in the priority order they were asked for in.
        done: Those a sync has completed since.
        failed: Those whose hydration run failed (and that no sync has completed since).
        ended_at: When the last of ``types`` was done or failed; ``None`` while it goes on.
    """

    began_at: datetime
    types: tuple[SyncType, ...]
    done: tuple[SyncType, ...] = ()
    failed: tuple[SyncType, ...] = ()
    ended_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.ended_at is None

    def ended(self, type: SyncType, *, completed: bool, at: datetime) -> Hydration:
        """A run of ``type`` ended at ``at``: completed, or failed.

        A type that is not hydrated, or already done, changes nothing; a completed run also
        makes up for a failed one. The hydration ends with the last type settled.
        """
        if type not in self.types or type in self.done:
            return self
        if completed:
            done = tuple(t for t in self.types if t in self.done or t == type)
            failed = tuple(t for t in self.failed if t != type)
        else:
            done = self.done
            failed = tuple(t for t in self.types if t in self.failed or t == type)
        settled = len(done) + len(failed) == len(self.types)
        ended_at = self.ended_at or (at if settled else None)
        return replace(self, done=done, failed=failed, ended_at=ended_at)

    def state(self, type: SyncType, *, running: SyncType | None) -> HydrationState:
        """Where ``type`` is, ``running`` being the type syncing now (if any)."""
        if type in self.done:
            return HydrationState.DONE
        if type == running:
            return HydrationState.RUNNING
        if type in self.failed:
            return HydrationState.FAILED
        return HydrationState.PENDING
