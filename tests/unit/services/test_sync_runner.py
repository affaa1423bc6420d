"""The sync engine on in-memory stores, against sources that misbehave."""

from __future__ import annotations

from datetime import datetime

from erpsync.domain.runs import RunStatus
from erpsync.domain.types import SyncMode, SyncType
from erpsync.ports import SourcePage
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


async def test_a_cursor_that_never_moves_ends_the_run_as_failed() -> None:
    runs = InMemoryRunStore()
    source = StuckCursor()
    runner = SyncRunner(source, InMemoryMirrorStore(runs), runs, FakeClock())
    run = await runner.run(SyncType.CUSTOMERS, SyncMode.FULL)
    assert run.status == RunStatus.FAILED
    assert run.error is not None
    assert "same cursor" in run.error
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
    pending = runs.start_run(
        SyncType.CUSTOMERS, SyncMode.INCREMENTAL, trigger="t", since=None, started_at=clock_now
    )
    runs.finish_run(pending.id, RunStatus.INTERRUPTED, finished_at=None)

    run = await runner.run(SyncType.CUSTOMERS, SyncMode.FULL)

    assert run.id != pending.id
    assert run.mode == SyncMode.FULL
    superseded = runs.get_run(pending.id)
    assert superseded.status == RunStatus.FAILED
    assert superseded.error == "superseded by a full sync"


async def test_the_watermark_never_moves_back() -> None:
    later = "2026-11-02T09:00:00+00:00"
    runner, runs = runner_for(Customers(later))
    await runner.run(SyncType.CUSTOMERS, SyncMode.FULL)
    assert runs.watermark(SyncType.CUSTOMERS) == datetime.fromisoformat(later)

    runner._source = Customers("2026-11-02T08:00:00+00:00")  # type: ignore[assignment]
    await runner.run(SyncType.CUSTOMERS, SyncMode.FULL)
    assert runs.watermark(SyncType.CUSTOMERS) == datetime.fromisoformat(later)
