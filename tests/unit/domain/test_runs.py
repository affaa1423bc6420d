"""Which unfinished run a new request continues."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from erpsync.domain.runs import RunStatus, SyncRun
from erpsync.domain.types import SyncMode, SyncType

FULL, INCREMENTAL = SyncMode.FULL, SyncMode.INCREMENTAL


def run(mode: SyncMode, status: RunStatus = RunStatus.INTERRUPTED) -> SyncRun:
    return SyncRun(1, SyncType.PRODUCTS, mode, "test", status, datetime(2026, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("pending", "asked", "continues"),
    [
        (FULL, FULL, True),
        (FULL, INCREMENTAL, True),
        (INCREMENTAL, INCREMENTAL, True),
        (INCREMENTAL, FULL, False),
    ],
)
def test_a_full_run_covers_an_incremental_request_but_not_the_other_way(
    pending: SyncMode, asked: SyncMode, continues: bool
) -> None:
    assert run(pending).continues_as(asked) is continues


@pytest.mark.parametrize("status", [RunStatus.COMPLETED, RunStatus.FAILED])
def test_a_finished_run_never_continues(status: RunStatus) -> None:
    assert not run(FULL, status).continues_as(FULL)
