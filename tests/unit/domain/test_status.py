"""What the status says of each type, from the snapshot and the type's latest run."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from erpsync.domain.dispatch import OperationKind, Wait, WaitReason
from erpsync.domain.runs import Checkpoint, RunStatus, SyncCounts, SyncRun
from erpsync.domain.snapshot import QueuedView, RunningView, Snapshot
from erpsync.domain.status import TypeStatus, outcome, progress, type_status
from erpsync.domain.types import DEFAULT_SCHEDULE, SyncMode, SyncType, Trigger
from erpsync.errors import ErrorKind

T = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
IDLE = Snapshot(
    anchor=T,
    schedule=dict(DEFAULT_SCHEDULE),
    next_runs={},
    last_fired={},
    last_full={},
    queue=(),
    running=None,
    sessions=0,
    safety_deadline=None,
    safety_timeout_s=600,
    page_deadline_s=30,
    smart_waiting=False,
    last_smart=None,
)


def run(status: RunStatus, **changes: object) -> SyncRun:
    base = SyncRun(1, SyncType.DDT, SyncMode.FULL, Trigger.SCHEDULE, status, T)
    return replace(base, **changes)  # type: ignore[arg-type]


def queued(type: SyncType) -> QueuedView:
    return QueuedView(type, SyncMode.FULL, 4, Trigger.MANUAL, T, Wait(WaitReason.STARTING))


def running(type: SyncType, fetched: int = 0) -> RunningView:
    return RunningView(OperationKind.SYNC, type, SyncMode.FULL, Trigger.MANUAL, T, 1, fetched, T)


@pytest.mark.parametrize(
    ("snapshot", "last", "status"),
    [
        (IDLE, None, TypeStatus.IDLE),
        (IDLE, run(RunStatus.COMPLETED), TypeStatus.COMPLETED),
        (IDLE, run(RunStatus.FAILED), TypeStatus.ERROR),
        (IDLE, run(RunStatus.INTERRUPTED), TypeStatus.PAUSED),
        (replace(IDLE, queue=(queued(SyncType.DDT),)), None, TypeStatus.QUEUED),
        (replace(IDLE, queue=(queued(SyncType.DDT),), sessions=1), None, TypeStatus.PAUSED),
        (replace(IDLE, running=running(SyncType.DDT)), run(RunStatus.FAILED), TypeStatus.RUNNING),
    ],
)
def test_the_status_of_a_type(snapshot: Snapshot, last: SyncRun | None, status: TypeStatus) -> None:
    assert type_status(snapshot, SyncType.DDT, last) == status


def test_only_finished_runs_count_for_health_and_only_erp_failures_make_it_unreachable() -> None:
    assert outcome(run(RunStatus.RUNNING)) is None
    assert outcome(run(RunStatus.INTERRUPTED, finished_at=T)) is None
    done = outcome(run(RunStatus.COMPLETED, finished_at=T))
    assert done is not None and done.succeeded and not done.erp_unreachable
    down = outcome(run(RunStatus.FAILED, finished_at=T, error_kind=ErrorKind.ERP_UNAVAILABLE))
    assert down is not None and down.erp_unreachable
    slow = outcome(run(RunStatus.FAILED, finished_at=T, error_kind=ErrorKind.TIMED_OUT))
    assert slow is not None and not slow.succeeded and not slow.erp_unreachable


def test_a_full_sync_shows_its_progress_against_the_last_full_one() -> None:
    last_full = run(
        RunStatus.COMPLETED,
        finished_at=T - timedelta(hours=1),
        checkpoint=Checkpoint(counts=SyncCounts(fetched=200)),
    )
    snapshot = replace(IDLE, running=running(SyncType.DDT, fetched=50))
    assert progress(snapshot, [last_full]) == 0.25
    assert progress(replace(IDLE, running=running(SyncType.DDT, fetched=500)), [last_full]) == 0.99
    assert progress(snapshot, []) is None, "no full sync to compare with"
    assert progress(IDLE, [last_full]) is None


def test_a_running_sync_hangs_once_it_waits_on_a_page_past_the_deadline() -> None:
    snapshot = replace(IDLE, running=running(SyncType.PRODUCTS))
    assert snapshot.hung(T + timedelta(seconds=30)) is None
    assert snapshot.hung(T + timedelta(seconds=31)) == SyncType.PRODUCTS
    assert IDLE.hung(T + timedelta(days=1)) is None
