"""The staggered schedule as the orchestrator keeps it: the entries in force, the ticks already
fired and when each type last completed a full sync; hence what is due, and in which mode.

The arithmetic is the domain's (:mod:`erpsync.domain.schedule`); this keeps its state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from erpsync.domain.schedule import Schedule, scheduled_mode, validate_entry
from erpsync.domain.types import DEFAULT_SCHEDULE, SyncMode, SyncType, TypeSchedule


@dataclass(frozen=True)
class Due:
    """A scheduled run that came due."""

    type: SyncType
    mode: SyncMode


class Timetable:
    """Args:
    anchor: When the deployment started (T).
    last_fired: The ticks a previous holder of the role already fired on these grids.
    full_every: A scheduled run is full when the type's last full sync is older.
    enabled: Whether the schedule fires at all (off: syncs run only when asked for).
    """

    def __init__(
        self,
        anchor: datetime,
        *,
        last_fired: Mapping[SyncType, datetime],
        full_every: timedelta,
        enabled: bool,
    ) -> None:
        self._schedule = Schedule(anchor=anchor)
        self._last_fired: dict[SyncType, datetime | None] = dict(last_fired)
        self._last_full: dict[SyncType, datetime] = {}
        self._full_every = full_every
        self.enabled = enabled
        #: When the next tick is owed, kept until a tick fires or the entries change: every
        #: command the orchestrator takes asks what is due, and nothing is before then.
        self._wake: datetime | None = None

    @property
    def anchor(self) -> datetime:
        return self._schedule.anchor

    def priority(self, type: SyncType) -> int:
        return self._schedule.priority(type)

    def by_priority(self) -> list[SyncType]:
        return sorted(SyncType, key=lambda t: -self._schedule.priority(t))

    def load(
        self, changed: Mapping[SyncType, TypeSchedule], full: Mapping[SyncType, datetime]
    ) -> None:
        """The entries an admin changed, and when each type last completed a full sync."""
        self._schedule = Schedule(anchor=self.anchor, entries={**DEFAULT_SCHEDULE, **changed})
        self._wake = None
        self._last_full.update(full)

    def completed_full(self, type: SyncType, at: datetime) -> None:
        self._last_full[type] = at

    def due(self, now: datetime) -> list[Due]:
        """The types that come due at ``now``, highest priority first; their ticks count as
        fired from here on. Nothing when the schedule is off."""
        wake = self.wake_at()
        if wake is None or now < wake:  # off, or before the next owed tick
            return []
        decisions = self._schedule.due(self._last_fired, now)
        for decision in decisions:
            self._last_fired[decision.type] = decision.tick
        self._wake = None
        return [
            Due(d.type, scheduled_mode(self._last_full.get(d.type), now, self._full_every))
            for d in decisions
        ]

    def change(self, entry: TypeSchedule, now: datetime) -> list[Due]:
        """Put ``entry`` in force from ``now``; what the old entry made due is returned first.

        Raises:
            InvalidScheduleError: the entry breaks the limits.
        """
        validate_entry(entry)
        due = self.due(now)
        self._schedule = self._schedule.with_entry(entry, now)
        self._wake = None
        return due

    def next_run(self, type: SyncType) -> datetime:
        return self._schedule.next_due(type, self._last_fired.get(type))

    def wake_at(self) -> datetime | None:
        """When the next tick is owed (perhaps already); ``None`` when the schedule is off."""
        if not self.enabled:
            return None
        if self._wake is None:
            self._wake = self._schedule.wake_at(self._last_fired)
        return self._wake

    def entries(self) -> dict[SyncType, TypeSchedule]:
        return {t: self._schedule.entry(t) for t in SyncType}

    def next_runs(self) -> dict[SyncType, datetime]:
        return {t: self.next_run(t) for t in SyncType} if self.enabled else {}

    def last_fired(self) -> dict[SyncType, datetime]:
        return {t: at for t, at in self._last_fired.items() if at is not None}

    def last_full(self) -> dict[SyncType, datetime]:
        return dict(self._last_full)
