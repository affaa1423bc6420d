"""Sync runs and watermarks on SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from erpsync.adapters.db.tables import sync_runs, sync_state
from erpsync.domain.runs import Checkpoint, RunStatus, SyncCounts, SyncRun
from erpsync.domain.types import SyncMode, SyncType, Trigger
from erpsync.errors import ErrorKind, RecordNotFoundError


def _run_from_row(row: Any) -> SyncRun:
    return SyncRun(
        id=row.id,
        type=SyncType(row.type),
        mode=SyncMode(row.mode),
        trigger=Trigger(row.trigger),
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
        error_kind=None if row.error_kind is None else ErrorKind(row.error_kind),
    )


class SqlRunStore:
    """:class:`~erpsync.ports.RunStore` on SQL."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def start(
        self,
        type: SyncType,
        mode: SyncMode,
        *,
        trigger: Trigger,
        since: datetime | None,
        at: datetime,
    ) -> SyncRun:
        with self._engine.begin() as conn:
            run_id = conn.execute(
                insert(sync_runs)
                .values(
                    type=type.value,
                    mode=mode.value,
                    trigger=trigger.value,
                    status=RunStatus.RUNNING.value,
                    started_at=at,
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
        return self.get(run_id)

    def get(self, run_id: int) -> SyncRun:
        with self._engine.connect() as conn:
            row = conn.execute(select(sync_runs).where(sync_runs.c.id == run_id)).first()
        if row is None:
            raise RecordNotFoundError("sync run", str(run_id))
        return _run_from_row(row)

    def unfinished(self, type: SyncType) -> SyncRun | None:
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

    def _set(self, run_id: int, **values: Any) -> SyncRun:
        with self._engine.begin() as conn:
            conn.execute(update(sync_runs).where(sync_runs.c.id == run_id).values(**values))
        return self.get(run_id)

    def resume(self, run_id: int, at: datetime) -> SyncRun:
        return self._set(
            run_id,
            status=RunStatus.RUNNING.value,
            finished_at=None,
            duration_s=None,
            error=None,
            error_kind=None,
        )

    def _finish(self, run_id: int, at: datetime, **values: Any) -> SyncRun:
        started_at = self.get(run_id).started_at
        return self._set(
            run_id, finished_at=at, duration_s=(at - started_at).total_seconds(), **values
        )

    def complete(self, run_id: int, at: datetime, *, deleted: int = 0) -> SyncRun:
        return self._finish(
            run_id,
            at,
            status=RunStatus.COMPLETED.value,
            deleted=sync_runs.c.deleted + deleted,
        )

    def interrupt(self, run_id: int) -> SyncRun:
        return self._set(run_id, status=RunStatus.INTERRUPTED.value)

    def fail(self, run_id: int, at: datetime, kind: ErrorKind, error: str) -> SyncRun:
        return self._finish(
            run_id, at, status=RunStatus.FAILED.value, error=error, error_kind=kind.value
        )

    def watermark(self, type: SyncType) -> datetime | None:
        query = select(sync_state.c.watermark).where(sync_state.c.type == type.value)
        with self._engine.connect() as conn:
            value: datetime | None = conn.execute(query).scalar_one_or_none()
        return value

    def advance_watermark(self, type: SyncType, mark: datetime) -> None:
        dialect = sqlite if self._engine.dialect.name == "sqlite" else postgresql
        stmt = dialect.insert(sync_state).values(type=type.value, watermark=mark)
        stmt = stmt.on_conflict_do_update(
            index_elements=[sync_state.c.type],
            set_={"watermark": mark},
            where=or_(sync_state.c.watermark.is_(None), sync_state.c.watermark < mark),
        )
        with self._engine.begin() as conn:
            conn.execute(stmt)

    def recent(self, type: SyncType | None = None, limit: int = 50) -> list[SyncRun]:
        query = select(sync_runs).order_by(sync_runs.c.id.desc()).limit(limit)
        if type is not None:
            query = query.where(sync_runs.c.type == type.value)
        with self._engine.connect() as conn:
            return [_run_from_row(row) for row in conn.execute(query)]
