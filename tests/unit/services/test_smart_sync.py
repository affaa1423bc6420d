"""The smart syncs forms wait for: one serves every form that asks while it waits or runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from erpsync.domain.runs import Checkpoint, RunStatus, SyncCounts, SyncRun
from erpsync.domain.types import SyncMode, SyncType, Trigger
from erpsync.services.smart_sync import SmartSyncs

T = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def run(status: RunStatus = RunStatus.COMPLETED) -> SyncRun:
    return SyncRun(
        id=7,
        type=SyncType.CUSTOMERS,
        mode=SyncMode.INCREMENTAL,
        trigger=Trigger.SMART,
        status=status,
        started_at=T + timedelta(seconds=1),
        checkpoint=Checkpoint(counts=SyncCounts(fetched=3, inserted=1, updated=2)),
        finished_at=T + timedelta(seconds=2),
    )


async def test_forms_that_ask_while_one_waits_share_it() -> None:
    smart = SmartSyncs(timedelta(seconds=10))
    first, asked = smart.ask(T)
    second, again = smart.ask(T + timedelta(milliseconds=300))
    assert (asked, again) == (True, False)
    assert second is first
    assert smart.waiting
    smart.start()
    assert not smart.waiting
    result = smart.finish(run(), T + timedelta(seconds=2))
    assert first.result() == result
    assert (result.fetched, result.inserted, result.updated) == (3, 1, 2)
    assert (result.duration_s, result.sync_s) == (2.0, 1.0)
    assert smart.last == result


def test_a_recent_completed_smart_sync_is_reused_and_an_old_or_failed_one_is_not() -> None:
    smart = SmartSyncs(timedelta(seconds=10))
    assert smart.reusable(T) is None
    smart.last = smart_result = SmartSyncs(timedelta(0)).finish(run(), T)
    reused = smart.reusable(T + timedelta(seconds=10))
    assert reused is not None and reused.reused and reused.run_id == smart_result.run_id
    assert smart.reusable(T + timedelta(seconds=11)) is None
    smart.last = SmartSyncs(timedelta(0)).finish(run(RunStatus.FAILED), T)
    assert smart.reusable(T + timedelta(seconds=1)) is None


async def test_cancelling_leaves_no_form_waiting_forever() -> None:
    smart = SmartSyncs(timedelta(seconds=10))
    future, _ = smart.ask(T)
    smart.cancel()
    assert future.cancelled()
