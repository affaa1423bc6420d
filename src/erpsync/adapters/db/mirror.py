"""The mirror store on SQL: one table per type, upserts by key, mark-and-sweep deletions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from erpsync.adapters.db.bulk import BulkUpsert
from erpsync.adapters.db.tables import child_tables, mirror_tables, quarantine, sync_runs
from erpsync.domain.catalog import RecordSpec
from erpsync.domain.search import search_text
from erpsync.ports import PageWrite

_BOOKKEEPING = ("row_hash", "seen_run", "synced_at", "deleted_at", "search_text")


class SqlMirrorStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._upserts = {
            name: BulkUpsert(engine, table, _primary_key(table))
            for name, table in mirror_tables.items()
        }
        self._existing = {
            name: select(table.c[_primary_key(table)], table.c.row_hash, table.c.deleted_at).where(
                table.c[_primary_key(table)].in_(bindparam("keys", expanding=True))
            )
            for name, table in mirror_tables.items()
        }
        self._mark_seen = {
            name: update(table)
            .where(table.c[_primary_key(table)].in_(bindparam("keys", expanding=True)))
            .values(seen_run=bindparam("run_id"))
            for name, table in mirror_tables.items()
        }

    def existing_hashes(self, spec: RecordSpec, keys: Sequence[str]) -> dict[str, str | None]:
        if not keys:
            return {}
        query = self._existing[spec.table]
        with self._engine.connect() as conn:
            rows = conn.execute(query, {"keys": list(keys)})
            return {k: (None if deleted else h) for k, h, deleted in rows}

    def apply_page(self, write: PageWrite) -> None:
        spec = write.spec
        with self._engine.begin() as conn:
            if write.upserts:
                rows = []
                for record in write.upserts:
                    row: dict[str, Any] = dict(record.values)
                    row["row_hash"] = record.content_hash
                    row["seen_run"] = write.run_id
                    row["synced_at"] = write.written_at
                    row["deleted_at"] = None
                    if spec.search_fields:
                        row["search_text"] = search_text(spec, record.values)
                    rows.append(row)
                self._upserts[spec.table].execute(conn, rows)
                self._replace_children(conn, write)
            if write.seen_keys:
                conn.execute(
                    self._mark_seen[spec.table],
                    {"keys": list(write.seen_keys), "run_id": write.run_id},
                )
            if write.quarantined:
                conn.execute(
                    insert(quarantine),
                    [
                        {
                            "run_id": write.run_id,
                            "type": spec.type.value,
                            "record_key": q.key,
                            "reason": q.reason,
                            "payload": q.payload,
                            "created_at": write.written_at,
                        }
                        for q in write.quarantined
                    ],
                )
            checkpoint = write.checkpoint
            counts = checkpoint.counts
            conn.execute(
                update(sync_runs)
                .where(sync_runs.c.id == write.run_id)
                .values(
                    cursor=checkpoint.cursor,
                    pages=checkpoint.pages,
                    high_water_mark=checkpoint.high_water_mark,
                    fetched=counts.fetched,
                    inserted=counts.inserted,
                    updated=counts.updated,
                    unchanged=counts.unchanged,
                    deleted=counts.deleted,
                    quarantined=counts.quarantined,
                )
            )

    def _replace_children(self, conn: Connection, write: PageWrite) -> None:
        spec = write.spec
        keys = [r.key for r in write.upserts]
        for child in spec.children:
            table = child_tables[child.table]
            parent = table.c[f"parent_{spec.key}"]
            conn.execute(delete(table).where(parent.in_(keys)))
            rows = [
                {f"parent_{spec.key}": record.key, **row}
                for record in write.upserts
                for row in record.children[child.name]
            ]
            if rows:
                conn.execute(insert(table), rows)

    def sweep(self, spec: RecordSpec, run_id: int, now: datetime) -> int:
        table = mirror_tables[spec.table]
        unseen = or_(table.c.seen_run.is_(None), table.c.seen_run != run_id)
        with self._engine.begin() as conn:
            result = conn.execute(
                update(table)
                .where(and_(unseen, table.c.deleted_at.is_(None)))
                .values(deleted_at=now)
            )
            return int(result.rowcount)

    def count(self, spec: RecordSpec, *, include_deleted: bool = False) -> int:
        table = mirror_tables[spec.table]
        query = select(func.count()).select_from(table)
        if not include_deleted:
            query = query.where(table.c.deleted_at.is_(None))
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def get(self, spec: RecordSpec, key: str) -> dict[str, Any] | None:
        table = mirror_tables[spec.table]
        with self._engine.connect() as conn:
            row = conn.execute(select(table).where(table.c[spec.key] == key)).mappings().first()
            if row is None:
                return None
            record = {k: v for k, v in row.items() if k not in _BOOKKEEPING or k == "deleted_at"}
            for child in spec.children:
                child_table = child_tables[child.table]
                parent = child_table.c[f"parent_{spec.key}"]
                rows = conn.execute(
                    select(child_table).where(parent == key).order_by(child_table.c[child.key])
                ).mappings()
                record[child.name] = [
                    {k: v for k, v in r.items() if k != parent.name} for r in rows
                ]
            return record

    def quarantined(self, run_id: int) -> list[dict[str, Any]]:
        query = select(quarantine).where(quarantine.c.run_id == run_id).order_by(quarantine.c.id)
        with self._engine.connect() as conn:
            return [
                {**row, "payload": json.loads(row["payload"])}
                for row in conn.execute(query).mappings()
            ]


def _primary_key(table: Table) -> str:
    (column,) = table.primary_key.columns
    return column.name
