"""The status's reads stay cheap however long the history grows: a type's latest runs and its
unfinished run (the customers' runs grow by one a smart sync, a few thousand a day), and the
orders the ERP decided on today (the outbox keeps every order ever sent)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, insert, text

from erpsync.adapters.db.runs import SqlRunStore
from erpsync.adapters.db.submissions import SqlSubmissionStore
from erpsync.adapters.db.tables import sync_runs
from erpsync.domain.types import SyncMode, SyncType, Trigger

T0 = datetime(2026, 12, 2, 8, tzinfo=UTC)
HISTORY = 3000


def _history(engine: Engine, count: int = HISTORY) -> None:
    """``count`` completed runs, nearly all of them the customers' smart syncs."""
    rows = []
    for i in range(count):
        type = SyncType.ORDERS if i % 100 == 0 else SyncType.CUSTOMERS
        started = T0 + timedelta(seconds=10 * i)
        rows.append(
            {
                "type": type.value,
                "mode": SyncMode.INCREMENTAL.value,
                "trigger": Trigger.SMART.value,
                "status": "completed",
                "started_at": started,
                "finished_at": started + timedelta(seconds=1),
                "segments": "[]",
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(sync_runs), rows)


def _plans(engine: Engine, read: Any, table: str = "sync_runs") -> list[str]:
    """SQLite's plan of each statement ``read`` runs on ``table``."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if f"FROM {table}" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        read()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert seen
    with engine.connect() as conn:
        return [
            row[-1]
            for statement, parameters in seen
            for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        ]


def test_the_latest_runs_and_the_unfinished_one_are_read_through_indexes_not_sorted(
    sqlite_engine: Engine,
) -> None:
    """With the statistics ANALYZE leaves (one status for nearly every run), the unfinished
    run was looked for by walking the type's runs newest first, all of them when none is
    unfinished; before migration 0014 the latest runs sorted all of the type's runs."""
    _history(sqlite_engine)
    with sqlite_engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    sqlite_engine.dispose()  # statistics are read as a connection opens
    store = SqlRunStore(sqlite_engine)

    for type in (SyncType.CUSTOMERS, SyncType.ORDERS):
        latest = _plans(sqlite_engine, lambda: store.recent(type, 20))  # noqa: B023
        assert latest == ["SEARCH sync_runs USING INDEX ix_sync_runs_type_id (type=?)"], latest
    unfinished = _plans(sqlite_engine, lambda: store.unfinished(SyncType.CUSTOMERS))
    assert unfinished[0] == (
        "SEARCH sync_runs USING INDEX ix_sync_runs_type_status_id (type=? AND status=?)"
    ), unfinished


@pytest.mark.parametrize("statistics", [True, False])
def test_pruning_reads_only_the_old_runs(sqlite_engine: Engine, statistics: bool) -> None:
    """Along the start time, not every run of the history at every full sync; each pruned
    run's quarantined items through their run's index, not a read of the whole quarantine."""
    _history(sqlite_engine)
    if statistics:
        with sqlite_engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        sqlite_engine.dispose()
    store = SqlRunStore(sqlite_engine)
    before = T0 - timedelta(days=1)
    plans = _plans(sqlite_engine, lambda: store.prune(before, limit=100))
    deleting = [p for p in plans if "started_at" in p or p.startswith("SCAN")]
    assert deleting == ["SEARCH sync_runs USING INDEX ix_sync_runs_started_at (started_at<?)"], (
        plans
    )


def test_the_unfinished_run_is_found_behind_a_long_history(sql_engine: Engine) -> None:
    store = SqlRunStore(sql_engine)
    older = store.start(
        SyncType.CUSTOMERS, SyncMode.FULL, trigger=Trigger.MANUAL, since=None, at=T0
    )
    store.interrupt(older.id, T0 + timedelta(seconds=5))
    _history(sql_engine)
    assert store.unfinished(SyncType.ORDERS) is None
    found = store.unfinished(SyncType.CUSTOMERS)
    assert found is not None and found.id == older.id
    latest = store.recent(SyncType.ORDERS, 5)
    assert len(latest) == 5 and all(r.type is SyncType.ORDERS for r in latest)
    assert [r.id for r in latest] == sorted((r.id for r in latest), reverse=True)
    assert len(store.recent(None, 7)) == 7


def test_the_orders_of_the_day_are_counted_through_the_decision_time_index(
    sqlite_engine: Engine,
) -> None:
    """Without an index on ``decided_at`` the status read every submission ever made."""
    with sqlite_engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    store = SqlSubmissionStore(sqlite_engine)
    plan = _plans(sqlite_engine, lambda: store.decided_since(T0), "submissions")
    assert plan[0] == "SEARCH submissions USING INDEX ix_submissions_decided_at (decided_at>?)", (
        plan
    )
