"""The queue of sync requests waiting for the single runner.

Rules (SPEC §2.2–2.4): the highest priority runs first, equal priorities run first-come
first-served, and a type is never queued twice: a second request for a queued type merges into
the first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from erpsync.domain.types import SyncMode, SyncType, Trigger


@dataclass(frozen=True)
class SyncRequest:
    """One queued request to sync one type.

    Attributes:
        type: The type to sync; at most one request per type is ever queued.
        mode: ``FULL`` or ``INCREMENTAL``; merging keeps the stronger.
        priority: Higher runs first; merging keeps the higher.
        trigger: Who asked first.
        requested_at: When the first request for this entry arrived.
        seq: Arrival order, assigned by the queue; the tie-breaker between equal priorities.
    """

    type: SyncType
    mode: SyncMode
    priority: int
    trigger: Trigger
    requested_at: datetime
    seq: int

    @property
    def run_order(self) -> tuple[int, int]:
        """Sort key: priority descending, then arrival ascending."""
        return (-self.priority, self.seq)


class EnqueueOutcome(StrEnum):
    QUEUED = "queued"
    MERGED = "merged"


@dataclass(frozen=True)
class Enqueued:
    """What :meth:`SyncQueue.request` did.

    Attributes:
        outcome: ``QUEUED`` for a new entry, ``MERGED`` when the type was already queued.
        position: 1-based place of the entry in run order right after the request.
        request: The entry as it now stands in the queue (after any merge).
    """

    outcome: EnqueueOutcome
    position: int
    request: SyncRequest


class SyncQueue:
    """A priority queue of sync requests with at most one entry per type.

    Run order is priority descending, then arrival (``seq``) ascending. Requesting a type that is
    already queued merges into the existing entry: it keeps the stronger mode, the higher
    priority, and its original ``seq``, ``trigger`` and ``requested_at``, so a merge never sends
    an entry to the back of its priority class. Nothing here knows about the running sync:
    whether a request for the running type is merged or queued is the caller's decision.
    """

    def __init__(self) -> None:
        self._entries: dict[SyncType, SyncRequest] = {}
        self._next_seq = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, type: object) -> bool:
        return type in self._entries

    def get(self, type: SyncType) -> SyncRequest | None:
        """The queued request for ``type``, or ``None`` if it is not queued."""
        return self._entries.get(type)

    def request(
        self, type: SyncType, mode: SyncMode, priority: int, trigger: Trigger, now: datetime
    ) -> Enqueued:
        """Queue a sync of ``type``, or merge it into the entry already queued for that type.

        Args:
            type: The type to sync.
            mode: The mode asked for; on merge the stronger of old and new is kept.
            priority: The priority asked for; on merge the higher of old and new is kept.
            trigger: Who asks; recorded on a new entry only.
            now: When the request arrives; recorded on a new entry only.

        Returns:
            Whether the request was queued or merged, and the entry's 1-based position.
        """
        current = self._entries.get(type)
        if current is None:
            entry = SyncRequest(type, mode, priority, trigger, now, self._next_seq)
            self._next_seq += 1
            outcome = EnqueueOutcome.QUEUED
        else:
            entry = replace(
                current,
                mode=current.mode.stronger(mode),
                priority=max(current.priority, priority),
            )
            outcome = EnqueueOutcome.MERGED
        self._entries[type] = entry
        position = self.position(type)
        assert position is not None
        return Enqueued(outcome, position, entry)

    def peek_next(self, eligible: Callable[[SyncType], bool]) -> SyncRequest | None:
        """The request that :meth:`pop_next` would return, left in the queue.

        Args:
            eligible: Says which types may start now (e.g. only ``customers`` while paused).

        Returns:
            The first eligible entry in run order, or ``None`` if no entry is eligible.
        """
        return next((entry for entry in self.entries() if eligible(entry.type)), None)

    def pop_next(self, eligible: Callable[[SyncType], bool]) -> SyncRequest | None:
        """Remove and return the first eligible request in run order.

        Ineligible entries keep their place; ``None`` when no entry is eligible.
        """
        entry = self.peek_next(eligible)
        if entry is not None:
            del self._entries[entry.type]
        return entry

    def remove(self, type: SyncType) -> SyncRequest | None:
        """Drop the entry for ``type``; returns it, or ``None`` if it was not queued."""
        return self._entries.pop(type, None)

    def reprioritise(self, type: SyncType, priority: int) -> SyncRequest | None:
        """Set the priority of the queued entry for ``type`` (an admin changed the schedule).

        Unlike a merge this may lower the priority. The entry keeps its arrival order.

        Returns:
            The updated entry, or ``None`` if ``type`` is not queued.
        """
        current = self._entries.get(type)
        if current is None:
            return None
        updated = replace(current, priority=priority)
        self._entries[type] = updated
        return updated

    def entries(self) -> list[SyncRequest]:
        """Every queued request in the order they would run, eligibility aside."""
        return sorted(self._entries.values(), key=lambda entry: entry.run_order)

    def position(self, type: SyncType) -> int | None:
        """1-based place of ``type`` in :meth:`entries`, or ``None`` if it is not queued."""
        for index, entry in enumerate(self.entries(), start=1):
            if entry.type == type:
                return index
        return None
