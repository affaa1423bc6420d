"""The sync engine on in-memory stores, against sources that misbehave."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta
from typing import Any

from erpsync.domain.dispatch import YieldReason
from erpsync.domain.runs import RunStatus, SyncRun
from erpsync.domain.types import SyncMode, SyncType, Trigger
from erpsync.errors import ErrorKind
from erpsync.ports import SourcePage, SyncJob
from erpsync.services.sync_runner import SyncRunner
from erpsync.testing import FakeClock, InMemoryMirrorStore, InMemoryRunStore


class StuckCursor:
    """An ERP whose every page says the next one is at the same cursor."""

    def __init__(self) -> None:
        self.calls = 0

    async def fetch_page(
        self, type: SyncType, *, since: datetime | None, cursor: str | None, limit: int
    ) -> SourcePage:
        self.calls += 1
        item = {"code": f"C{self.calls}", "name": "Rossi", "updated_at": "2026-11-02T08:00:00Z"}
        return SourcePage([item], "same", None)

    async def aclose(self) -> None:
        return None


def job(type: SyncType = SyncType.CUSTOMERS, mode: SyncMode = SyncMode.FULL) -> SyncJob:
    return SyncJob(type, mode, Trigger.MANUAL)


async def test_a_cursor_that_never_moves_ends_the_run_as_failed() -> None:
    runs = InMemoryRunStore()
    source = StuckCursor()
    runner = SyncRunner(source, InMemoryMirrorStore(runs), runs, FakeClock())
    run = await runner.run(job())
    assert run.status == RunStatus.FAILED
    assert run.error is not None
    assert "same cursor" in run.error
    assert run.error_kind == ErrorKind.ERP_PROTOCOL
    assert source.calls <= 3


class Customers:
    """A tiny ERP of customers, all changed at ``at``."""

    def __init__(self, at: str, count: int = 3) -> None:
        self.items = [
            {"code": f"C{i}", "name": f"Cliente {i}", "updated_at": at} for i in range(count)
        ]

    async def fetch_page(
        self, type: SyncType, *, since: datetime | None, cursor: str | None, limit: int
    ) -> SourcePage:
        mark = datetime.fromisoformat(self.items[-1]["updated_at"])
        return SourcePage(self.items, None, mark)

    async def aclose(self) -> None:
        return None


def runner_for(source: object) -> tuple[SyncRunner, InMemoryRunStore]:
    runs = InMemoryRunStore()
    return SyncRunner(source, InMemoryMirrorStore(runs), runs, FakeClock()), runs  # type: ignore[arg-type]


async def test_a_full_request_supersedes_an_unfinished_incremental_run() -> None:
    runner, runs = runner_for(Customers("2026-11-02T08:00:00+00:00"))
    clock_now = datetime.fromisoformat("2026-11-02T08:00:00+00:00")
    pending = runs.start(
        SyncType.CUSTOMERS, SyncMode.INCREMENTAL, trigger=Trigger.MANUAL, since=None, at=clock_now
    )
    runs.interrupt(pending.id, clock_now)

    run = await runner.run(job())

    assert run.id != pending.id
    assert run.mode == SyncMode.FULL
    superseded = runs.get(pending.id)
    assert superseded.status == RunStatus.FAILED
    assert superseded.error == "superseded by a full sync"
    assert superseded.error_kind == ErrorKind.SUPERSEDED


async def test_the_watermark_never_moves_back() -> None:
    later = "2026-11-02T09:00:00+00:00"
    runner, runs = runner_for(Customers(later))
    await runner.run(job())
    assert runs.watermark(SyncType.CUSTOMERS) == datetime.fromisoformat(later)

    earlier = SyncRunner(
        Customers("2026-11-02T08:00:00+00:00"), InMemoryMirrorStore(runs), runs, FakeClock()
    )
    await earlier.run(job())
    assert runs.watermark(SyncType.CUSTOMERS) == datetime.fromisoformat(later)


class Watch:
    """Records what a run told its observer."""

    def __init__(self) -> None:
        self.steps: list[str] = []

    def began(self, run: SyncRun, resumed: bool) -> None:
        self.steps.append(f"began {run.mode} resumed={resumed}")

    def progressed(self, run: SyncRun) -> None:
        self.steps.append(f"page {run.checkpoint.pages}")

    def stopping(self, reason: YieldReason) -> None:
        self.steps.append(f"stopping {reason}")


class Pages:
    """An ERP of ``pages`` pages of one customer each."""

    def __init__(self, pages: int) -> None:
        self.pages = pages

    async def fetch_page(
        self, type: SyncType, *, since: datetime | None, cursor: str | None, limit: int
    ) -> SourcePage:
        n = int(cursor or 0)
        item = {"code": f"C{n}", "name": f"Cliente {n}", "updated_at": "2026-11-02T08:00:00Z"}
        return SourcePage([item], None if n + 1 == self.pages else str(n + 1), None)

    async def aclose(self) -> None:
        return None


async def test_a_run_told_to_give_way_stops_after_the_page_in_flight_and_resumes_later() -> None:
    runner, runs = runner_for(Pages(5))
    asked: list[int] = []

    def yield_after_two() -> YieldReason | None:
        asked.append(1)
        return YieldReason.SMART_SYNC if len(asked) >= 2 else None

    watch = Watch()
    stopped = await runner.run(job(), yield_reason=yield_after_two, observer=watch)
    assert stopped.status == RunStatus.INTERRUPTED
    assert stopped.checkpoint.pages == 2
    assert watch.steps == [
        "began full resumed=False",
        "page 1",
        "stopping smart_sync",
        "page 2",
    ]
    again = Watch()
    finished = await runner.run(job(mode=SyncMode.INCREMENTAL), observer=again)
    assert finished.id == stopped.id, "the unfinished full run covers an incremental request"
    assert finished.status == RunStatus.COMPLETED
    assert finished.counts.fetched == 5
    assert again.steps[0] == "began full resumed=True"
    assert runs.unfinished(SyncType.CUSTOMERS) is None


class Hanging:
    async def fetch_page(
        self, type: SyncType, *, since: datetime | None, cursor: str | None, limit: int
    ) -> SourcePage:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        return None


async def test_past_its_time_limit_a_run_is_cancelled_and_failed_as_timed_out() -> None:
    clock = FakeClock()
    runs = InMemoryRunStore()
    runner = SyncRunner(Hanging(), InMemoryMirrorStore(runs), runs, clock)
    task = asyncio.create_task(runner.run(job(), time_limit=timedelta(minutes=2)))
    for _ in range(100):
        await asyncio.sleep(0.001)
        if clock.sleepers:
            break
    await clock.advance(121)
    run = await asyncio.wait_for(task, 5)
    assert run.status == RunStatus.FAILED
    assert run.error == "exceeded the maximum run time of 120 s"
    assert run.error_kind == ErrorKind.TIMED_OUT
    assert [r.id for r in runs.recent()] == [run.id], "the run that hung is the one failed"


class StuckOnStart(InMemoryRunStore):
    """A run store whose first ``start`` hangs (a database lock), until released."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.entered = threading.Event()
        self._first = True

    def start(self, *args: Any, **kwargs: Any) -> SyncRun:
        if self._first:
            self._first = False
            self.entered.set()
            self.release.wait(10)
        return super().start(*args, **kwargs)


async def test_the_watchdog_records_a_sync_that_hung_before_it_began() -> None:
    clock = FakeClock()
    runs = StuckOnStart()
    runner = SyncRunner(
        Customers("2026-11-02T08:00:00+00:00"), InMemoryMirrorStore(runs), runs, clock
    )
    task = asyncio.create_task(runner.run(job(SyncType.INVOICES), time_limit=timedelta(minutes=5)))
    try:
        await asyncio.to_thread(runs.entered.wait, 5)
        await clock.advance(5 * 60 + 1)
        failed = await asyncio.wait_for(task, 5)
        assert failed.status == RunStatus.FAILED
        assert failed.error == "exceeded the maximum run time of 300 s"
        assert [r.id for r in runs.recent(SyncType.INVOICES)] == [failed.id]
    finally:
        runs.release.set()


async def test_the_last_full_sync_of_each_type_is_remembered() -> None:
    runner, runs = runner_for(Customers("2026-11-02T08:00:00+00:00"))
    await runner.run(job())
    await runner.run(job(mode=SyncMode.INCREMENTAL))
    full = [r for r in runs.recent() if r.mode == SyncMode.FULL]
    assert await runner.last_full_syncs() == {SyncType.CUSTOMERS: full[0].finished_at}


class Counting(Pages):
    def __init__(self, pages: int) -> None:
        super().__init__(pages)
        self.calls = 0

    async def fetch_page(
        self, type: SyncType, *, since: datetime | None, cursor: str | None, limit: int
    ) -> SourcePage:
        self.calls += 1
        return await super().fetch_page(type, since=since, cursor=cursor, limit=limit)


async def test_a_run_that_stopped_after_its_last_page_is_ended_without_paging_again() -> None:
    source = Counting(3)
    runs = InMemoryRunStore()
    mirror = InMemoryMirrorStore(runs)
    runner = SyncRunner(source, mirror, runs, FakeClock())
    finished = await runner.run(job())
    assert (finished.checkpoint.pages, source.calls) == (3, 3)
    crashed = runs.resume(finished.id, finished.started_at)  # as a kill before its end leaves it
    assert crashed.checkpoint.cursor is None and crashed.checkpoint.pages == 3

    again = await runner.run(job())

    assert again.id == crashed.id
    assert again.status == RunStatus.COMPLETED
    assert source.calls == 3, "no page fetched twice"
    assert again.counts.fetched == 3


async def test_a_full_sync_s_end_deletes_runs_older_than_the_history_a_batch_at_a_time(
    monkeypatch: Any,
) -> None:
    from erpsync.services import sync_runner

    monkeypatch.setattr(sync_runner, "PRUNED_PER_FULL_SYNC", 3)
    runs = InMemoryRunStore()
    clock = FakeClock()
    runner = SyncRunner(
        Customers("2026-11-02T08:00:00+00:00"),
        InMemoryMirrorStore(runs),
        runs,
        clock,
        history=timedelta(days=30),
    )
    now = clock.now()
    old = []
    for days in range(40, 35, -1):  # five smart syncs, long ago
        at = now - timedelta(days=days)
        run = runs.start(
            SyncType.CUSTOMERS, SyncMode.INCREMENTAL, trigger=Trigger.SMART, since=at, at=at
        )
        old.append(runs.complete(run.id, at + timedelta(seconds=1)).id)
    runs.advance_watermark(SyncType.CUSTOMERS, now - timedelta(days=36))  # so it stays one

    incremental = await runner.run(job(SyncType.CUSTOMERS, SyncMode.INCREMENTAL))
    assert incremental.mode == SyncMode.INCREMENTAL
    assert len(runs.recent(None, 50)) == 6, "an incremental sync's end prunes nothing"
    first = await runner.run(job())
    assert {r.id for r in runs.recent(None, 50)} == {
        *old[3:],
        *(r.id for r in runs.recent(None, 3)),
    }
    assert first.status == RunStatus.COMPLETED
    await runner.run(job())
    left = [r for r in runs.recent(None, 50)]
    assert not {r.id for r in left} & set(old), "the rest went at the next full sync's end"
    assert len(left) == 3


async def test_without_a_history_every_run_is_kept() -> None:
    runner, runs = runner_for(Customers("2026-11-02T08:00:00+00:00"))
    at = datetime.fromisoformat("2025-01-01T08:00:00+00:00")
    ancient = runs.start(
        SyncType.ORDERS, SyncMode.FULL, trigger=Trigger.SCHEDULE, since=None, at=at
    )
    runs.fail(ancient.id, at, ErrorKind.ERP_UNAVAILABLE, "ERP down")
    await runner.run(job())
    assert runs.get(ancient.id).status == RunStatus.FAILED
