"""How the orchestrator follows its running operation and logs its run's steps."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from erpsync.domain.dispatch import OperationKind, SyncOperation, YieldReason
from erpsync.domain.runs import Checkpoint, RunStatus, SyncCounts, SyncRun
from erpsync.domain.types import SyncMode, SyncType, Trigger
from erpsync.errors import ErrorKind
from erpsync.services.events import EventBus
from erpsync.services.orchestrator_state import Running, RunWatch
from erpsync.testing import FakeClock

T = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
OP = SyncOperation(OperationKind.SYNC, SyncType.PRODUCTS, SyncMode.INCREMENTAL, Trigger.SCHEDULE)


def a_run(**changes: object) -> SyncRun:
    run = SyncRun(1, SyncType.PRODUCTS, SyncMode.FULL, Trigger.SCHEDULE, RunStatus.RUNNING, T)
    return replace(run, **changes)  # type: ignore[arg-type]


async def test_the_view_and_the_log_follow_the_run() -> None:
    clock, bus = FakeClock(T), EventBus()
    running = Running(OP, T)
    watch = RunWatch(running, bus, clock, timedelta(minutes=5))
    assert running.view(None).mode == SyncMode.INCREMENTAL, "before its row: the mode asked for"

    watch.began(a_run(), resumed=False)
    paged = a_run(checkpoint=Checkpoint("c", 2, SyncCounts(fetched=20)))
    watch.progressed(paged)
    view = running.view(YieldReason.FORMS_OPEN)
    assert (view.mode, view.pages, view.fetched, view.stopping) == (
        SyncMode.FULL,
        2,
        20,
        YieldReason.FORMS_OPEN,
    ), "the run's real mode: an empty mirror made it full"
    watch.stopping(YieldReason.SMART_SYNC)
    assert running.view(None).stopping == YieldReason.SMART_SYNC, "once asked, it stays asked"
    await clock.advance(3)
    watch.ended(replace(paged, status=RunStatus.INTERRUPTED))

    started, progress, preempted = bus.recent
    assert (started.action, started.fields["mode"]) == ("sync_started", SyncMode.FULL)
    assert (progress.action, progress.fields["pages"]) == ("sync_progress", 2)
    assert (preempted.action, preempted.fields["reason"]) == (
        "sync_preempted",
        YieldReason.SMART_SYNC,
    )


async def test_a_run_past_its_time_limit_is_logged_by_the_watchdog_then_as_failed() -> None:
    bus = EventBus()
    watch = RunWatch(Running(OP, T), bus, FakeClock(T), timedelta(minutes=5))
    watch.ended(a_run(status=RunStatus.FAILED, error="exceeded", error_kind=ErrorKind.TIMED_OUT))
    assert [(e.action.value, e.fields.get("limit_s")) for e in bus.recent] == [
        ("sync_watchdog", 300),
        ("sync_failed", None),
    ]


async def test_a_completed_run_is_logged_with_its_counts_and_duration() -> None:
    clock, bus = FakeClock(T), EventBus()
    watch = RunWatch(Running(OP, T), bus, clock, timedelta(minutes=5))
    await clock.advance(2.5)
    counts = SyncCounts(fetched=5, inserted=1, updated=1, unchanged=3)
    watch.ended(a_run(status=RunStatus.COMPLETED, checkpoint=Checkpoint(None, 1, counts)))
    [completed] = bus.recent
    assert completed.fields["duration_s"] == 2.5
    assert (completed.fields["inserted"], completed.fields["unchanged"]) == (1, 3)
