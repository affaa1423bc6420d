"""Sync runs and watermarks on SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from erpsync.adapters.db.tables import sync_runs, sync_state
from erpsync.domain.runs import Checkpoint, RunStatus, SyncCounts, SyncRun
from erpsync.domain.types import SyncMode, SyncType
from erpsync.errors import RecordNotFoundError


def _run_from_row(row: Any) -> SyncRun:
    return SyncRun(
        id=row.id,
        type=SyncType(row.type),
        mode=SyncMode(row.mode),
        trigger=row.trigger,
        status=RunStatus(row.status),
        started_at=row.started_at,
        since=row.since,
        checkpoint=Checkpoint(
            cursor=row.cursor,
            pages=row.pages,
            counts=SyncCounts(
                fetched=row.fetched,
                inserted=row.inserted,
                updated=row.updated,
                unchanged=row.unchanged,
                deleted=row.deleted,
                quarantined=row.quarantined,
            ),
            high_water_mark=row.high_water_mark,
        ),
        finished_at=row.finished_at,
        error=row.error,
    )


class SqlRunStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def start_run(
        self,
        type: SyncType,
        mode: SyncMode,
        *,
        trigger: str,
        since: datetime | None,
        started_at: datetime,
    ) -> SyncRun:
        with self._engine.begin() as conn:
            run_id = conn.execute(
                insert(sync_runs)
                .values(
                    type=type.value,
                    mode=mode.value,
                    trigger=trigger,
                    status=RunStatus.RUNNING.value,
                    started_at=started_at,
                    since=since,
                    pages=0,
                    fetched=0,
                    inserted=0,
                    updated=0,
                    unchanged=0,
                    deleted=0,
                    quarantined=0,
                )
                .returning(sync_runs.c.id)
            ).scalar_one()
        return self.get_run(run_id)

    def get_run(self, run_id: int) -> SyncRun:
        with self._engine.connect() as conn:
            row = conn.execute(select(sync_runs).where(sync_runs.c.id == run_id)).first()
        if row is None:
            raise RecordNotFoundError("sync run", str(run_id))
        return _run_from_row(row)

    def resumable_run(self, type: SyncType) -> SyncRun | None:
        query = (
            select(sync_runs)
            .where(sync_runs.c.type == type.value)
            .where(sync_runs.c.status.in_([s.value for s in RunStatus if s.resumable]))
            .order_by(sync_runs.c.id.desc())
            .limit(1)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _run_from_row(row)

    def reopen_run(self, run_id: int) -> SyncRun:
        with self._engine.begin() as conn:
            conn.execute(
                update(sync_runs)
                .where(sync_runs.c.id == run_id)
                .values(status=RunStatus.RUNNING.value, finished_at=None, error=None)
            )
        return self.get_run(run_id)

    def finish_run(
        self,
        run_id: int,
        status: RunStatus,
        *,
        finished_at: datetime | None,
        counts_delta_deleted: int = 0,
        error: str | None = None,
    ) -> SyncRun:
        run = self.get_run(run_id)
        duration = (finished_at - run.started_at).total_seconds() if finished_at else None
        with self._engine.begin() as conn:
            conn.execute(
                update(sync_runs)
                .where(sync_runs.c.id == run_id)
                .values(
                    status=status.value,
                    finished_at=finished_at,
                    duration_s=duration,
                    deleted=sync_runs.c.deleted + counts_delta_deleted,
                    error=error,
                )
            )
        return self.get_run(run_id)

    def watermark(self, type: SyncType) -> datetime | None:
        query = select(sync_state.c.watermark).where(sync_state.c.type == type.value)
        with self._engine.connect() as conn:
            value: datetime | None = conn.execute(query).scalar_one_or_none()
        return value

    def set_watermark(self, type: SyncType, value: datetime) -> None:
        dialect = sqlite if self._engine.dialect.name == "sqlite" else postgresql
        stmt = dialect.insert(sync_state).values(type=type.value, watermark=value)
        stmt = stmt.on_conflict_do_update(
            index_elements=[sync_state.c.type], set_={"watermark": value}
        )
        with self._engine.begin() as conn:
            conn.execute(stmt)

    def recent_runs(self, type: SyncType | None = None, limit: int = 50) -> list[SyncRun]:
        query = select(sync_runs).order_by(sync_runs.c.id.desc()).limit(limit)
        if type is not None:
            query = query.where(sync_runs.c.type == type.value)
        with self._engine.connect() as conn:
            return [_run_from_row(row) for row in conn.execute(query)]
