"""The status the API and the dashboard show: the orchestrator's snapshot, the run history and
the health it implies, and this process's part in the deployment."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time

from erpsync.domain.book import Freshness, freshness
from erpsync.domain.health import OverallHealth, TypeHealth, overall_health
from erpsync.domain.runs import RunStatus, SyncRun
from erpsync.domain.snapshot import Snapshot
from erpsync.domain.status import TypeStatus, outcome, progress, type_status
from erpsync.domain.types import SyncType
from erpsync.ports import Clock, RunStore, SubmissionStore
from erpsync.services.cluster import ClusterNode, RoleView

#: Runs per type the status looks at (health needs them back to the last success).
HISTORY = 20
MAX_RUNS = 500


@dataclass(frozen=True)
class TypeReport:
    type: SyncType
    status: TypeStatus
    priority: int
    #: The latest run that ended (completed, failed; an interrupted one has not ended).
    last_run: SyncRun | None
    next_run: datetime | None
    health: TypeHealth


@dataclass(frozen=True)
class StatusReport:
    generated_at: datetime
    snapshot: Snapshot
    #: By priority, highest first.
    types: tuple[TypeReport, ...]
    #: How far the running full sync is (see :func:`erpsync.domain.status.progress`).
    progress: float | None
    health: OverallHealth
    role: RoleView
    #: Orders placed and refused by the ERP since midnight (UTC).
    orders_today: Mapping[str, int] = field(default_factory=dict)


def build_report(
    snapshot: Snapshot,
    history: Mapping[SyncType, Sequence[SyncRun]],
    now: datetime,
    role: RoleView,
    orders_today: Mapping[str, int] | None = None,
) -> StatusReport:
    """The status from a snapshot and each type's recent runs, newest first."""
    health = overall_health(
        [o for runs in history.values() for r in runs if (o := outcome(r)) is not None],
        intervals={t: snapshot.schedule[t].interval for t in SyncType},
        anchor=snapshot.anchor,
        now=now,
        hung=snapshot.hung(now),
    )

    def report(type: SyncType) -> TypeReport:
        runs = history[type]
        finished = [r for r in runs if r.finished_at is not None]
        return TypeReport(
            type=type,
            status=type_status(snapshot, type, runs[0] if runs else None),
            priority=snapshot.schedule[type].priority,
            last_run=finished[0] if finished else None,
            next_run=snapshot.next_runs.get(type),
            health=health.types[type],
        )

    running = snapshot.running
    return StatusReport(
        generated_at=now,
        snapshot=snapshot,
        types=tuple(report(t) for t in snapshot.by_priority()),
        progress=None if running is None else progress(snapshot, history[running.type]),
        health=health,
        role=role,
        orders_today=dict(orders_today or {}),
    )


def freshness_of(
    snapshot: Snapshot, history: Mapping[SyncType, Sequence[SyncRun]], now: datetime
) -> dict[SyncType, Freshness]:
    """Each type of ``history`` (its recent runs, newest first): when its latest completed
    run ended, and whether that is longer ago than its interval in ``snapshot``'s schedule."""
    found = {}
    for type, runs in history.items():
        done = (r.finished_at for r in runs if r.status is RunStatus.COMPLETED)
        found[type] = freshness(next(done, None), snapshot.schedule[type].interval, now)
    return found


class StatusService:
    """What ``/api/sync/status``, ``/schedule`` and ``/runs`` read, on any replica."""

    def __init__(
        self,
        node: ClusterNode,
        runs: RunStore,
        clock: Clock,
        *,
        outbox: SubmissionStore | None = None,
    ) -> None:
        self._node = node
        self._runs = runs
        self._clock = clock
        self._outbox = outbox

    async def report(self) -> StatusReport:
        snapshot = await self._node.control.snapshot()
        history = await asyncio.to_thread(self._history)
        now = self._clock.now()
        today = None
        if self._outbox is not None:
            midnight = datetime.combine(now.date(), time(), now.tzinfo)
            today = await asyncio.to_thread(self._outbox.decided_since, midnight)
        return build_report(snapshot, history, now, self._node.role(now), today)

    async def snapshot(self) -> Snapshot:
        return await self._node.control.snapshot()

    async def runs(self, type: SyncType | None, limit: int) -> list[SyncRun]:
        """The latest runs (of ``type``, or all), newest first; ``limit`` kept to 1..500."""
        limit = max(1, min(limit, MAX_RUNS))
        return await asyncio.to_thread(self._runs.recent, type, limit)

    async def freshness(self, types: Sequence[SyncType]) -> dict[SyncType, Freshness]:
        """When each of ``types`` last completed a sync, and whether that is longer ago than
        its interval (the pages' "aggiornato alle 10:42" and stale badge)."""
        snapshot = await self._node.control.snapshot()
        history = await asyncio.to_thread(self._runs.latest, types, HISTORY)
        return freshness_of(snapshot, history, self._clock.now())

    def _history(self) -> dict[SyncType, list[SyncRun]]:
        return self._runs.latest(tuple(SyncType), HISTORY)
