"""The smart syncs forms wait for: a form's answer is never older than the form, and a burst of
forms costs at most two."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from erpsync.domain.answers import SmartSyncStatus
from erpsync.domain.runs import Checkpoint, RunStatus, SyncCounts, SyncRun
from erpsync.domain.types import SyncMode, SyncType, Trigger
from erpsync.services.smart_sync import SmartSyncs

T = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def run(id: int, status: RunStatus = RunStatus.COMPLETED) -> SyncRun:
    return SyncRun(
        id=id,
        type=SyncType.CUSTOMERS,
        mode=SyncMode.INCREMENTAL,
        trigger=Trigger.SMART,
        status=status,
        started_at=T + timedelta(seconds=1),
        checkpoint=Checkpoint(counts=SyncCounts(fetched=3, inserted=1, updated=2)),
        finished_at=T + timedelta(seconds=2),
    )


async def test_forms_that_ask_before_it_starts_share_it() -> None:
    smart = SmartSyncs()
    first, asked = smart.ask(T)
    second, again = smart.ask(T + timedelta(milliseconds=300))
    assert (asked, again) == (True, False)
    assert second is first
    assert smart.waiting
    smart.start()
    assert not smart.waiting
    result = smart.finish(run(7), T + timedelta(seconds=2))
    assert first.result() == result
    assert result.status == SmartSyncStatus.COMPLETED
    assert (result.fetched, result.inserted, result.updated) == (3, 1, 2)
    assert (result.duration_s, result.sync_s) == (2.0, 1.0)
    assert smart.last == result


async def test_forms_that_open_while_one_runs_share_one_follow_up() -> None:
    smart = SmartSyncs()
    running, _ = smart.ask(T)
    smart.start()
    follow_up, asked = smart.ask(T + timedelta(seconds=1))
    joined, again = smart.ask(T + timedelta(seconds=2))
    assert (asked, again) == (True, False)
    assert joined is follow_up is not running
    assert smart.waiting, "the follow-up starts once the running one ends"
    smart.finish(run(7), T + timedelta(seconds=3))
    assert running.done() and not follow_up.done()
    smart.start()
    smart.finish(run(8, RunStatus.FAILED), T + timedelta(seconds=4))
    assert follow_up.result().run_id == 8
    assert follow_up.result().status == SmartSyncStatus.FAILED
    assert not smart.waiting


async def test_cancelling_leaves_no_form_waiting_forever() -> None:
    smart = SmartSyncs()
    running, _ = smart.ask(T)
    smart.start()
    follow_up, _ = smart.ask(T)
    smart.cancel()
    assert running.cancelled() and follow_up.cancelled()
