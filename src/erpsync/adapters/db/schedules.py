"""Schedule entries changed by an admin, on SQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, delete, insert, select

from erpsync.adapters.db.tables import schedule_entries
from erpsync.domain.types import SyncType, TypeSchedule


class SqlScheduleStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def load(self) -> dict[SyncType, TypeSchedule]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(schedule_entries)).all()
        return {
            SyncType(row.type): TypeSchedule(
                SyncType(row.type),
                row.priority,
                timedelta(seconds=row.interval_s),
                timedelta(seconds=row.offset_s),
            )
            for row in rows
        }

    def save(self, entry: TypeSchedule) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(schedule_entries).where(schedule_entries.c.type == entry.type))
            conn.execute(
                insert(schedule_entries).values(
                    type=entry.type.value,
                    priority=entry.priority,
                    interval_s=int(entry.interval.total_seconds()),
                    offset_s=int(entry.offset.total_seconds()),
                )
            )
