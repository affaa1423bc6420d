"""Sync runs and watermarks on SQL."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Engine,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from erpsync.adapters.db.cluster import SqlRoleFence
from erpsync.adapters.db.tables import sync_runs, sync_state
from erpsync.adapters.db.unindexed import unindexed
from erpsync.domain.runs import (
    Checkpoint,
    RunStatus,
    RunTransitions,
    Segment,
    SyncCounts,
    SyncRun,
)
from erpsync.domain.types import SyncMode, SyncType, Trigger
from erpsync.errors import ErrorKind, RecordNotFoundError


def _segments(row: Any) -> tuple[Segment, ...]:
    text: str | None = row.segments
    if text is None:  # a run from before segments were kept: one stretch, start to end
        finished = row.finished_at
        return () if finished is None else (Segment(row.started_at, finished),)
    return tuple(
        Segment(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in json.loads(text)
    )


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
        segments=_segments(row),
        running_since=row.running_since,
        last_page_at=row.last_page_at,
    )


def _state(run: SyncRun) -> dict[str, Any]:
    """The columns a transition changes (the checkpoint is the page writes' business, but for
    the deletions a completion adds)."""
    return {
        "status": run.status.value,
        "finished_at": run.finished_at,
        "duration_s": run.duration_s,
        "error": run.error,
        "error_kind": None if run.error_kind is None else run.error_kind.value,
        "deleted": run.counts.deleted,
        "segments": json.dumps([[s.start.isoformat(), s.end.isoformat()] for s in run.segments]),
        "running_since": run.running_since,
    }


# Built once: the status, the dashboard and every run's start and end read runs, and building
# a statement (and its cache key) costs SQLAlchemy more than the database takes to answer.
_RUN = select(sync_runs).where(sync_runs.c.id == bindparam("run_id"))
_LATEST = select(sync_runs).order_by(sync_runs.c.id.desc()).limit(bindparam("limit"))
#: Through ``(type, id)``: newest first, as many as asked, whatever the type's history.
_LATEST_OF_TYPE = _LATEST.where(sync_runs.c.type == bindparam("type"))
#: Through ``(type, status, id)``, then the few found sorted: walking ``(type, id)`` backwards
#: for the order would read every run of a type that has no unfinished one (SQLite's
#: statistics cannot tell it that hardly any run is unfinished).
_UNFINISHED = (
    select(sync_runs)
    .where(
        sync_runs.c.type == bindparam("type"),
        sync_runs.c.status.in_([s.value for s in RunStatus if s.resumable]),
    )
    .order_by(unindexed(sync_runs.c.id).desc())
    .limit(1)
)


def _latest_of(types: tuple[SyncType, ...]) -> CompoundSelect[Any]:
    """Each type's latest runs (``limit`` of them), one arm a type, so one round trip."""
    arms = [_LATEST.where(sync_runs.c.type == type.value).subquery() for type in types]
    return union_all(*(select(arm) for arm in arms))


#: A type's latest completed run, and its latest completed full run: what pruning keeps.
_LAST_COMPLETED = select(func.max(sync_runs.c.id)).where(
    sync_runs.c.type == bindparam("type"), sync_runs.c.status == RunStatus.COMPLETED.value
)
_LAST_FULL = _LAST_COMPLETED.where(sync_runs.c.mode == SyncMode.FULL.value)
_ENDED = [s.value for s in RunStatus if not s.resumable]
_WATERMARK = select(sync_state.c.watermark).where(sync_state.c.type == bindparam("type"))


class SqlRunStore(RunTransitions):
    """:class:`~erpsync.ports.RunStore` on SQL. With a ``fence``, every change of a run checks
    that this process holds the orchestrator role, as the page writes do."""

    def __init__(self, engine: Engine, *, fence: SqlRoleFence | None = None) -> None:
        self._engine = engine
        self._fence = fence
        self._latest: dict[tuple[SyncType, ...], CompoundSelect[Any]] = {}

    def _check(self, conn: Connection) -> None:
        if self._fence is not None:
            self._fence.check(conn)

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
            self._check(conn)
            run_id = conn.execute(
                insert(sync_runs)
                .values(
                    type=type.value,
                    mode=mode.value,
                    trigger=trigger.value,
                    status=RunStatus.RUNNING.value,
                    started_at=at,
                    running_since=at,
                    segments="[]",
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
            row = conn.execute(_RUN, {"run_id": run_id}).first()
        if row is None:
            raise RecordNotFoundError("sync run", str(run_id))
        return _run_from_row(row)

    def unfinished(self, type: SyncType) -> SyncRun | None:
        with self._engine.connect() as conn:
            row = conn.execute(_UNFINISHED, {"type": type.value}).first()
        return None if row is None else _run_from_row(row)

    def _save(self, conn: Connection, run: SyncRun) -> SyncRun:
        conn.execute(update(sync_runs).where(sync_runs.c.id == run.id).values(**_state(run)))
        return run

    def _transition(self, run_id: int, change: Callable[[SyncRun], SyncRun]) -> SyncRun:
        with self._engine.begin() as conn:
            self._check(conn)
            row = conn.execute(_RUN, {"run_id": run_id}).first()
            if row is None:
                raise RecordNotFoundError("sync run", str(run_id))
            saved = self._save(conn, change(_run_from_row(row)))
        return saved

    def interrupt_abandoned(self) -> list[SyncRun]:
        query = (
            select(sync_runs)
            .where(sync_runs.c.status == RunStatus.RUNNING.value)
            .order_by(sync_runs.c.id)
        )
        with self._engine.begin() as conn:
            self._check(conn)
            rows = conn.execute(query).all()
            return [self._save(conn, _run_from_row(row).abandoned()) for row in rows]

    def watermark(self, type: SyncType) -> datetime | None:
        with self._engine.connect() as conn:
            value: datetime | None = conn.execute(
                _WATERMARK, {"type": type.value}
            ).scalar_one_or_none()
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
            self._check(conn)
            conn.execute(stmt)

    def recent(self, type: SyncType | None = None, limit: int = 50) -> list[SyncRun]:
        query, params = (_LATEST, {}) if type is None else (_LATEST_OF_TYPE, {"type": type.value})
        with self._engine.connect() as conn:
            return [_run_from_row(row) for row in conn.execute(query, {**params, "limit": limit})]

    def latest(self, types: Sequence[SyncType], limit: int) -> dict[SyncType, list[SyncRun]]:
        key = tuple(types)
        query = self._latest.get(key)
        if query is None:
            query = self._latest[key] = _latest_of(key)
        found: dict[SyncType, list[SyncRun]] = {type: [] for type in key}
        with self._engine.connect() as conn:
            for row in conn.execute(query, {"limit": limit}):
                run = _run_from_row(row)
                found[run.type].append(run)
        for runs in found.values():
            runs.sort(key=lambda run: run.id, reverse=True)
        return found

    def prune(self, before: datetime, *, limit: int) -> int:
        with self._engine.begin() as conn:
            self._check(conn)
            keep = {
                found
                for type in SyncType
                for query in (_LAST_COMPLETED, _LAST_FULL)
                if (found := conn.execute(query, {"type": type.value}).scalar()) is not None
            }
            # The oldest first, along the start time's index: the rows it walks are old ones.
            doomed = (
                select(sync_runs.c.id)
                .where(
                    sync_runs.c.started_at < before,
                    unindexed(sync_runs.c.status).in_(_ENDED),  # nearly all: not a way in
                    sync_runs.c.id.not_in(keep),
                )
                .order_by(sync_runs.c.started_at)
                .limit(limit)
            )
            result = conn.execute(delete(sync_runs).where(sync_runs.c.id.in_(doomed)))
        return int(result.rowcount)
