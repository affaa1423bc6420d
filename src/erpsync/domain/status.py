"""What the status says of each type: from the snapshot and the type's latest run."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from erpsync.domain.health import RunOutcome
from erpsync.domain.runs import RunStatus, SyncRun
from erpsync.domain.snapshot import Snapshot
from erpsync.domain.types import SyncMode, SyncType


class TypeStatus(StrEnum):
    IDLE = "idle"
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    ERROR = "error"


def type_status(snapshot: Snapshot, type: SyncType, last: SyncRun | None) -> TypeStatus:
    """Running or queued (paused when the gate holds it back) first; otherwise how its latest
    run ended: an unfinished run is paused, a failed one an error."""
    running = snapshot.running
    if running is not None and running.type == type:
        return TypeStatus.RUNNING
    if snapshot.queued(type) is not None:
        return TypeStatus.QUEUED if snapshot.eligible(type) else TypeStatus.PAUSED
    if last is None:
        return TypeStatus.IDLE
    if last.status == RunStatus.FAILED:
        return TypeStatus.ERROR
    if last.status.resumable:
        return TypeStatus.PAUSED
    return TypeStatus.COMPLETED


def outcome(run: SyncRun) -> RunOutcome | None:
    """How a finished run counts for health; ``None`` for one that has not finished."""
    if run.finished_at is None or run.status not in (RunStatus.COMPLETED, RunStatus.FAILED):
        return None
    unreachable = run.status == RunStatus.FAILED and (
        run.error_kind is not None and run.error_kind.erp_unreachable
    )
    return RunOutcome(run.type, run.status == RunStatus.COMPLETED, run.finished_at, unreachable)


def progress(snapshot: Snapshot, history: Sequence[SyncRun]) -> float | None:
    """How far the running full sync is, against the last full sync of its type (below 1
    until it ends); ``None`` when it cannot be told."""
    running = snapshot.running
    if running is None or running.mode != SyncMode.FULL:
        return None
    previous = next(
        (
            r.counts.fetched
            for r in history
            if r.type == running.type
            and r.mode == SyncMode.FULL
            and r.status == RunStatus.COMPLETED
        ),
        None,
    )
    if not previous:
        return None
    return min(0.99, running.fetched / previous)
