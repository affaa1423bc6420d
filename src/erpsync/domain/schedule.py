"""Schedule arithmetic: when each type comes due, as pure functions of the time passed in.

Each type ticks on its own grid ``anchor + offset + k·interval`` (``k >= 0``), where ``anchor``
is the moment the service started (SPEC §1's T). The grid never drifts: how late a run starts
or how long it lasts has no effect on when the next tick falls.

Misfire policy (coalesce): when the scheduler wakes late and several ticks of one type were
missed, they fold into ONE run standing for the latest missed tick; the next tick stays on the
grid. The caller remembers, per type, the tick it last fired and hands it back.

Change policy: an admin change (:meth:`Schedule.with_entry`) keeps the grid anchored at the
service start, so the stagger between types stays predictable, and takes effect from the change:
the type's next run is the first tick of the new grid at or after the moment of the change.
Ticks of the new grid before the change are never owed; ticks of the old grid that were due but
not fired by then are dropped, so fire what is due before applying a change. A change of
priority alone leaves the grid untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from erpsync.domain.types import DEFAULT_SCHEDULE, SyncMode, SyncType, TypeSchedule
from erpsync.errors import InvalidScheduleError

MIN_INTERVAL = timedelta(minutes=1)
MAX_INTERVAL = timedelta(days=7)
MAX_OFFSET = timedelta(days=1)
"""Exclusive: an offset must be strictly shorter than a day."""
MIN_PRIORITY = 1
MAX_PRIORITY = 100

_TICK = timedelta(microseconds=1)
"""The resolution of ``datetime``: "strictly after t" is "at or after t + 1 µs"."""


def scheduled_mode(last_full: datetime | None, now: datetime, full_every: timedelta) -> SyncMode:
    """The mode of a scheduled run: incremental, but full (which also finds deletions) when
    the type's last full sync is older than ``full_every``, or there never was one."""
    if last_full is None or now - last_full >= full_every:
        return SyncMode.FULL
    return SyncMode.INCREMENTAL


def validate_entry(entry: TypeSchedule) -> TypeSchedule:
    """Check one entry against the limits and return it unchanged.

    Raises:
        InvalidScheduleError: interval outside 1 minute..7 days, offset outside 0..<1 day, or
            priority outside 1..100.
    """
    name = entry.type.value
    if not MIN_INTERVAL <= entry.interval <= MAX_INTERVAL:
        raise InvalidScheduleError(
            f"{name}: interval must be between 1 minute and 7 days, got {entry.interval}"
        )
    if not timedelta(0) <= entry.offset < MAX_OFFSET:
        raise InvalidScheduleError(
            f"{name}: start offset must be at least 0 and under 1 day, got {entry.offset}"
        )
    if not MIN_PRIORITY <= entry.priority <= MAX_PRIORITY:
        raise InvalidScheduleError(
            f"{name}: priority must be between {MIN_PRIORITY} and {MAX_PRIORITY}, "
            f"got {entry.priority}"
        )
    return entry


@dataclass(frozen=True)
class FireDecision:
    """What :meth:`Schedule.due_between` decided for one type at one wake-up.

    Attributes:
        type: The type decided on.
        fire: Whether to request a run now.
        tick: The grid tick this run stands for (the latest owed tick, at or before ``now``);
            ``None`` when not firing. The caller stores it as the type's ``last_fired``.
        coalesced: How many earlier owed ticks were folded into this run (0 when on time).
        next_due: The first tick strictly after ``now`` that will be owed.
    """

    type: SyncType
    fire: bool
    tick: datetime | None
    coalesced: int
    next_due: datetime


@dataclass(frozen=True)
class Schedule:
    """The schedule in force: one validated :class:`TypeSchedule` for each of the six types.

    Attributes:
        anchor: When the service started (timezone-aware, kept in UTC); every grid is
            anchored here, and every tick this class returns is in UTC.
        entries: The entry of every type; defaults to :data:`DEFAULT_SCHEDULE`.
        changed_at: Per type, when an admin last changed its grid; ticks before it are not owed.

    Raises:
        InvalidScheduleError: on a naive anchor, a missing type or an entry out of limits.
    """

    anchor: datetime
    entries: Mapping[SyncType, TypeSchedule] = field(
        default_factory=lambda: DEFAULT_SCHEDULE, hash=False
    )
    changed_at: Mapping[SyncType, datetime] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if self.anchor.utcoffset() is None:
            raise InvalidScheduleError(f"the anchor must be timezone-aware, got {self.anchor}")
        missing = [t.value for t in SyncType if t not in self.entries]
        if missing:
            raise InvalidScheduleError(f"no schedule for {', '.join(missing)}")
        for type, entry in self.entries.items():
            if entry.type != type:
                raise InvalidScheduleError(f"entry for {entry.type.value} filed under {type}")
            validate_entry(entry)
        # UTC throughout: arithmetic on a zone with DST would run on wall-clock time.
        object.__setattr__(self, "anchor", self.anchor.astimezone(UTC))
        object.__setattr__(self, "entries", MappingProxyType(dict(self.entries)))
        changed_at = {t: at.astimezone(UTC) for t, at in self.changed_at.items()}
        object.__setattr__(self, "changed_at", MappingProxyType(changed_at))

    def entry(self, type: SyncType) -> TypeSchedule:
        return self.entries[type]

    def priority(self, type: SyncType) -> int:
        return self.entries[type].priority

    def with_entry(self, entry: TypeSchedule, now: datetime) -> Schedule:
        """A new schedule with ``entry`` in force for its type from ``now`` (see module doc).

        Raises:
            InvalidScheduleError: the entry breaks the limits.
        """
        validate_entry(entry)
        old = self.entries[entry.type]
        changed_at = dict(self.changed_at)
        if (entry.interval, entry.offset) != (old.interval, old.offset):
            changed_at[entry.type] = max(now, self.anchor)
        return replace(self, entries={**self.entries, entry.type: entry}, changed_at=changed_at)

    def first_due(self, type: SyncType) -> datetime:
        """The first owed tick: ``anchor + offset``, or the first tick at or after a change."""
        return self._first_tick_from(type, self._owed_from(type))

    def next_due(self, type: SyncType, after: datetime | None) -> datetime:
        """The first owed tick strictly after ``after``; :meth:`first_due` when ``None``."""
        if after is None:
            return self.first_due(type)
        return self._first_tick_from(type, max(after + _TICK, self._owed_from(type)))

    def due_between(
        self, type: SyncType, last_fired: datetime | None, now: datetime
    ) -> FireDecision:
        """Decide whether ``type`` fires at ``now``, given the tick it last fired.

        The owed ticks are those after ``last_fired`` (all of them when ``None``), at or after
        the type's last change, and at or before ``now``. If there are any, fire once for the
        latest of them and count the others as coalesced.

        Args:
            type: The type to decide on.
            last_fired: The ``tick`` of the type's previous firing, or ``None`` if it never fired.
            now: The wake-up time.
        """
        first_owed = self.next_due(type, last_fired)
        interval = self.entries[type].interval
        if first_owed > now:
            return FireDecision(type, False, None, 0, first_owed)
        missed = (now - first_owed) // interval
        tick = first_owed + missed * interval
        return FireDecision(type, True, tick, missed, tick + interval)

    def due(
        self, last_fired: Mapping[SyncType, datetime | None], now: datetime
    ) -> list[FireDecision]:
        """:meth:`due_between` for every type that fires at ``now``, highest priority first.

        A type missing from ``last_fired`` never fired.
        """
        decisions = [self.due_between(t, last_fired.get(t), now) for t in SyncType]
        fired = [d for d in decisions if d.fire]
        return sorted(fired, key=lambda d: -self.entries[d.type].priority)

    def wake_at(self, last_fired: Mapping[SyncType, datetime | None]) -> datetime:
        """When the scheduler must next wake: the earliest owed tick over all types.

        It may lie in the past (a tick is owed already); then wake at once.
        """
        return min(self.next_due(t, last_fired.get(t)) for t in SyncType)

    def _owed_from(self, type: SyncType) -> datetime:
        return self.changed_at.get(type, self.anchor)

    def _first_tick_from(self, type: SyncType, at: datetime) -> datetime:
        entry = self.entries[type]
        base = self.anchor + entry.offset
        if at <= base:
            return base
        return base + -((base - at) // entry.interval) * entry.interval
