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
