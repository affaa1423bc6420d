"""Health of each sync type, judged from its recent run history.

A type is healthy unless it is **stale** (no success within ``stale_after`` × its interval),
**failing** (``max_failures`` or more runs in a row failed since its last success), **cut off**
(its latest run could not use the ERP at all) or **hung** (a page of its running sync has taken
longer than the page deadline). A type that has never succeeded is judged from the service
start: it gets the same window, counted from the anchor, as a grace period for its first run.
The service is healthy when every type is and the ERP answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType

from erpsync.domain.types import SyncType

STALE_AFTER_INTERVALS = 2.0
"""A type is stale when its last success is older than this many intervals."""
UNHEALTHY_AFTER_FAILURES = 3
"""A type is unhealthy from this many consecutive failures on."""


@dataclass(frozen=True)
class RunOutcome:
    """How one finished run ended, as far as health cares.

    Attributes:
        type: The type that ran.
        succeeded: The run completed.
        finished_at: When it ended.
        erp_unreachable: It failed because the ERP could not be reached (only on a failure).

    Raises:
        ValueError: a run both succeeded and found the ERP unreachable.
    """

    type: SyncType
    succeeded: bool
    finished_at: datetime
    erp_unreachable: bool = False

    def __post_init__(self) -> None:
        if self.succeeded and self.erp_unreachable:
            raise ValueError("a run that succeeded reached the ERP")


@dataclass(frozen=True)
class TypeHealth:
    """Health of one type at one moment.

    Attributes:
        type: The type judged.
        last_success: When its latest successful run ended; ``None`` if none did.
        consecutive_failures: Failed runs since the latest success (all of them if none).
        stale: No success within the staleness window (see module doc).
        staleness_s: Seconds since the latest success; ``None`` if none.
        erp_reachable: Whether its latest run reached the ERP (``False`` also while it hangs);
            ``None`` without runs.
        hung: A page of its running sync is past the page deadline.
        healthy: Neither stale, failing, cut off from the ERP nor hung.
    """

    type: SyncType
    last_success: datetime | None
    consecutive_failures: int
    stale: bool
    staleness_s: float | None
    erp_reachable: bool | None
    healthy: bool
    hung: bool = False


@dataclass(frozen=True)
class OverallHealth:
    """Health of the whole service.

    Attributes:
        healthy: Every type is healthy.
        types: The health of each type judged.
        erp_reachable: Whether the most recent run of any type reached the ERP; ``None``
            without runs.
    """

    healthy: bool
    types: Mapping[SyncType, TypeHealth]
    erp_reachable: bool | None


def _in_order(runs: Iterable[RunOutcome]) -> list[RunOutcome]:
    """Oldest first; runs that ended at the same moment keep the given order."""
    return sorted(runs, key=lambda run: run.finished_at)


def type_health(
    type: SyncType,
    runs: Iterable[RunOutcome],
    *,
    interval: timedelta,
    anchor: datetime,
    now: datetime,
    stale_after: float = STALE_AFTER_INTERVALS,
    max_failures: int = UNHEALTHY_AFTER_FAILURES,
    hung: bool = False,
) -> TypeHealth:
    """Judge one type from its runs.

    Args:
        type: The type to judge; runs of other types are ignored.
        runs: Recent finished runs in any order; equal ``finished_at`` keep the given order.
            They must reach back to the latest success for the failure count to be exact.
        interval: The type's schedule interval.
        anchor: When the service started; the staleness window of a type that never
            succeeded counts from here.
        now: The moment judged.
        stale_after: The staleness window in intervals.
        max_failures: Consecutive failures that make the type unhealthy.
        hung: Its running sync waits on a page past the page deadline.
    """
    own = _in_order(run for run in runs if run.type == type)
    last_success = next((run.finished_at for run in reversed(own) if run.succeeded), None)
    failures = 0
    for run in reversed(own):
        if run.succeeded:
            break
        failures += 1
    reference = anchor if last_success is None else last_success
    stale = now - reference > interval * stale_after
    latest = own[-1] if own else None
    reachable = None if latest is None else not latest.erp_unreachable
    if hung:
        reachable = False
    return TypeHealth(
        type=type,
        last_success=last_success,
        consecutive_failures=failures,
        stale=stale,
        staleness_s=None if last_success is None else (now - last_success).total_seconds(),
        erp_reachable=reachable,
        healthy=not stale and failures < max_failures and reachable is not False,
        hung=hung,
    )


def overall_health(
    runs: Iterable[RunOutcome],
    *,
    intervals: Mapping[SyncType, timedelta],
    anchor: datetime,
    now: datetime,
    stale_after: float = STALE_AFTER_INTERVALS,
    max_failures: int = UNHEALTHY_AFTER_FAILURES,
    hung: SyncType | None = None,
) -> OverallHealth:
    """Judge every type in ``intervals`` and the service as a whole.

    Args:
        runs: Recent finished runs of any types, in any order.
        intervals: The schedule interval of each type to judge.
        anchor: When the service started.
        now: The moment judged.
        stale_after: See :func:`type_health`.
        max_failures: See :func:`type_health`.
        hung: The type whose running sync waits on a page past the page deadline, if any.
    """
    ordered = _in_order(runs)
    types = {
        t: type_health(
            t,
            ordered,
            interval=interval,
            anchor=anchor,
            now=now,
            stale_after=stale_after,
            max_failures=max_failures,
            hung=t == hung,
        )
        for t, interval in intervals.items()
    }
    latest = ordered[-1] if ordered else None
    reachable = None if latest is None else not latest.erp_unreachable
    if hung is not None:
        reachable = False
    return OverallHealth(
        healthy=all(health.healthy for health in types.values()) and reachable is not False,
        types=MappingProxyType(types),
        erp_reachable=reachable,
    )
