"""The mirror store on SQL: one table per type, upserts by key, mark-and-sweep deletions."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Engine,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection

from erpsync.adapters.db.bulk import BulkUpsert, CompiledStatement, KeyList
from erpsync.adapters.db.cluster import SqlRoleFence
from erpsync.adapters.db.search_index import SEARCHABLE, pairs_index, trigram_index
from erpsync.adapters.db.tables import child_tables, mirror_tables, quarantine, sync_runs
from erpsync.domain.catalog import SPECS, RecordSpec
from erpsync.domain.records import CleanRecord
from erpsync.domain.search import search_text
from erpsync.ports import HashLookup, PageWrite

_CHECKPOINT_COLUMNS = (
    "last_page_at",
    "cursor",
    "pages",
    "high_water_mark",
    "fetched",
    "inserted",
    "updated",
    "unchanged",
    "deleted",
    "quarantined",
)
#: The columns after a record's own fields, in table order.
_ROW_TAIL = ("row_hash", "seen_run", "synced_at", "deleted_at")
_BOOKKEEPING = (*_ROW_TAIL, "search_text")


class SqlMirrorStore:
    """:class:`~erpsync.ports.MirrorStore` on SQL.

    With a ``fence``, every page transaction first checks that this process holds the
    orchestrator role, and voids the page when it does not.
    """

    def __init__(self, engine: Engine, *, fence: SqlRoleFence | None = None) -> None:
        self._engine = engine
        self._fence = fence
        self._upserts = {
            name: BulkUpsert(engine, table, _primary_key(table))
            for name, table in mirror_tables.items()
        }
        for spec in SPECS.values():
            expected = (
                *spec.field_names,
                *_ROW_TAIL,
                *(["search_text"] if spec.search_fields else []),
            )
            if self._upserts[spec.table].columns != expected:
                raise RuntimeError(f"{spec.table}: columns are not in the order rows are built")
        self._keys = KeyList(engine)
        self._existing = {
            name: f"SELECT {_primary_key(table)}, row_hash, deleted_at FROM {name} "
            f"WHERE {self._keys.where(_primary_key(table))}"
            for name, table in mirror_tables.items()
        }
        self._mark_seen = {
            name: f"UPDATE {name} SET seen_run = {self._keys.placeholder} "
            f"WHERE {self._keys.where(_primary_key(table))} "
            f"RETURNING {_primary_key(table)}, row_hash, deleted_at"
            for name, table in mirror_tables.items()
        }
        self._checkpoint = CompiledStatement(
            engine,
            update(sync_runs)
            .where(sync_runs.c.id == bindparam("run_id"))
            .values({name: bindparam(f"cp_{name}") for name in _CHECKPOINT_COLUMNS}),
        )

    def write_page(
        self,
        spec: RecordSpec,
        run_id: int,
        keys: Sequence[str],
        build: Callable[[HashLookup], PageWrite],
        *,
        mark_seen: bool,
    ) -> PageWrite:
        with self._engine.begin() as conn:
            if self._fence is not None:
                self._fence.check(conn)
            sql = self.lookup_sql(spec, mark_seen=mark_seen)
            rows = self._keys.fetch(conn, sql, keys, run_id if mark_seen else None)
            write = build({k: (None if deleted else h) for k, h, deleted in rows})
            self._write(conn, write, {k for k, _, _ in rows})
        return write

    def lookup_sql(self, spec: RecordSpec, *, mark_seen: bool) -> str:
        """The driver-level statement a page write begins with: the page's keys (the last
        parameter, a :class:`KeyList`) with their hashes and deletion marks, which a full run
        also marks seen by the run (the first parameter)."""
        return (self._mark_seen if mark_seen else self._existing)[spec.table]

    def upsert(self, spec: RecordSpec) -> BulkUpsert:
        """The upsert of ``spec``'s rows as :func:`upsert_rows` builds them."""
        return self._upserts[spec.table]

    def _write(self, conn: Connection, write: PageWrite, existing: set[str]) -> None:
        spec = write.spec
        if write.upserts:
            rows = upsert_rows(spec, write.upserts, write.run_id, write.written_at)
            self._upserts[spec.table].execute(conn, rows)
            self._replace_children(conn, write, existing)
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
        self._checkpoint.execute(
            conn,
            {
                "run_id": write.run_id,
                "cp_cursor": checkpoint.cursor,
                "cp_pages": checkpoint.pages,
                "cp_high_water_mark": checkpoint.high_water_mark,
                "cp_fetched": counts.fetched,
                "cp_inserted": counts.inserted,
                "cp_updated": counts.updated,
                "cp_unchanged": counts.unchanged,
                "cp_deleted": counts.deleted,
                "cp_quarantined": counts.quarantined,
                "cp_last_page_at": write.written_at,
            },
        )

    def _replace_children(self, conn: Connection, write: PageWrite, existing: set[str]) -> None:
        """The upserted records' child rows, replaced. Only records the mirror held can have
        any to delete: a first sync deletes nothing (on an unanalysed PostgreSQL the delete
        would scan the whole child table once a page)."""
        spec = write.spec
        stale = [r.key for r in write.upserts if r.key in existing]
        for child in spec.children:
            table = child_tables[child.table]
            parent = table.c[f"parent_{spec.key}"]
            if stale:
                conn.execute(delete(table).where(parent.in_(stale)))
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
            swept = int(result.rowcount)
        self._analyse(spec)
        return swept

    def _analyse(self, spec: RecordSpec) -> None:
        """Fresh statistics once a full sync has rewritten a type: the planners pick the
        book's and the search's indexes by them. SQLite keeps none until asked, and
        PostgreSQL's autovacuum may be off or behind a bulk load.

        On PostgreSQL the search's GIN indexes also take in their pending entries: GIN keeps
        the rows written since the last vacuum in an unordered list (up to 4 MB) that every
        search reads through, and that the planner counts, so much that it scans the table
        instead of using the index. Only the index's owner may (the role that migrated): under
        another role autovacuum is left to do it."""
        names = [spec.table, *(child.table for child in spec.children)]
        with self._engine.begin() as conn:
            if conn.dialect.name == "sqlite":  # a sample is enough to rank the indexes
                conn.exec_driver_sql(f"PRAGMA analysis_limit = {ANALYSIS_ROWS}")
            elif spec.table in SEARCHABLE:
                indexes = (trigram_index(spec.table), pairs_index(spec.table))
                conn.exec_driver_sql(_MERGE_PENDING, (list(indexes),))
            for name in names:
                conn.exec_driver_sql(f'ANALYZE "{name}"')

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


def upsert_rows(
    spec: RecordSpec, records: Sequence[CleanRecord], run_id: int, written_at: datetime
) -> list[tuple[Any, ...]]:
    """The mirror rows of ``records``, in the table's column order: the fields, the
    bookkeeping (hash, the run that saw them, when, not deleted) and the search text."""
    values = spec.field_values
    if spec.search_fields:
        return [
            (
                *values(record.values),
                record.content_hash,
                run_id,
                written_at,
                None,
                search_text(spec, record.values),
            )
            for record in records
        ]
    return [
        (*values(record.values), record.content_hash, run_id, written_at, None)
        for record in records
    ]


#: The GIN indexes named (the parameter) that this role owns take in their pending entries.
_MERGE_PENDING = (
    "SELECT gin_clean_pending_list(c.oid) FROM pg_class c "
    "WHERE c.oid = ANY(ARRAY(SELECT to_regclass(name) FROM unnest(%s::text[]) AS name)) "
    "AND pg_has_role(c.relowner, 'USAGE')"
)
#: Rows SQLite's ANALYZE looks at per index (PostgreSQL samples on its own).
ANALYSIS_ROWS = 1000


def _primary_key(table: Table) -> str:
    (column,) = table.primary_key.columns
    return column.name
