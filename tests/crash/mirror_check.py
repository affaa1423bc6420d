"""What the crash tests check in the database: the mirror against the ERP, and the run rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from erpsync.adapters.db.tables import child_tables, mirror_tables, sync_runs
from erpsync.domain.catalog import SPECS
from erpsync.domain.records import content_hash
from erpsync.domain.types import SyncType
from tests.crash.deployment import Erp

SAMPLES = 5


@dataclass(frozen=True)
class RunRow:
    """A ``sync_runs`` row as the database holds it."""

    id: int
    type: str
    mode: str
    status: str
    pages: int

    def __str__(self) -> str:
        return f"run {self.id} ({self.type}, {self.mode}, {self.pages} pages) {self.status}"


def runs(engine: Engine, *, status: str | None = None, type: str | None = None) -> list[RunRow]:
    query = select(
        sync_runs.c.id, sync_runs.c.type, sync_runs.c.mode, sync_runs.c.status, sync_runs.c.pages
    ).order_by(sync_runs.c.id)
    if status is not None:
        query = query.where(sync_runs.c.status == status)
    if type is not None:
        query = query.where(sync_runs.c.type == type)
    with engine.connect() as conn:
        return [RunRow(*row) for row in conn.execute(query)]


def run(engine: Engine, run_id: int) -> RunRow:
    (found,) = [r for r in runs(engine) if r.id == run_id]
    return found


def _mirror_hashes(engine: Engine, type: SyncType) -> dict[str, str]:
    spec = SPECS[type]
    table = mirror_tables[spec.table]
    query = select(table.c[spec.key], table.c.row_hash).where(table.c.deleted_at.is_(None))
    with engine.connect() as conn:
        return {str(key): digest for key, digest in conn.execute(query)}


def _mirror_children(engine: Engine, type: SyncType) -> set[tuple[str, str, object]]:
    """``(child name, parent key, child key)`` of every child row of a live record."""
    spec = SPECS[type]
    parents = mirror_tables[spec.table]
    found: set[tuple[str, str, object]] = set()
    with engine.connect() as conn:
        for child in spec.children:
            table = child_tables[child.table]
            parent = table.c[f"parent_{spec.key}"]
            query = (
                select(parent, table.c[child.key])
                .join(parents, parents.c[spec.key] == parent)
                .where(parents.c.deleted_at.is_(None))
            )
            found |= {(child.name, str(p), k) for p, k in conn.execute(query)}
    return found


def _erp_children(
    type: SyncType, items: Iterable[Mapping[str, Any]]
) -> set[tuple[str, str, object]]:
    spec = SPECS[type]
    return {
        (child.name, str(item[spec.key]), row[child.key])
        for item in items
        for child in spec.children
        for row in item.get(child.name) or []
    }


def _sample(keys: Iterable[object]) -> str:
    ordered = sorted(keys, key=str)
    more = f" and {len(ordered) - SAMPLES} more" if len(ordered) > SAMPLES else ""
    return ", ".join(map(str, ordered[:SAMPLES])) + more


def mirror_differences(erp: Erp, engine: Engine, types: Iterable[SyncType]) -> dict[str, str]:
    """Per type, how the live mirror rows differ from the ERP (keys, content hashes as the
    mirror computes them, child rows); no entry for a type mirrored row for row."""
    found: dict[str, str] = {}
    for type in types:
        spec = SPECS[type]
        items = erp.items(type)
        expected = {str(item[spec.key]): content_hash(spec, item) for item in items}
        actual = _mirror_hashes(engine, type)
        problems = []
        if missing := expected.keys() - actual.keys():
            problems.append(f"{len(missing)} missing ({_sample(missing)})")
        if extra := actual.keys() - expected.keys():
            problems.append(f"{len(extra)} not in the ERP ({_sample(extra)})")
        if changed := {k for k in expected.keys() & actual.keys() if expected[k] != actual[k]}:
            problems.append(f"{len(changed)} with other content ({_sample(changed)})")
        if spec.children:
            rows, mirrored = _erp_children(type, items), _mirror_children(engine, type)
            if rows != mirrored:
                problems.append(
                    f"child rows differ: {len(rows - mirrored)} missing, "
                    f"{len(mirrored - rows)} extra ({_sample(rows ^ mirrored)})"
                )
        if problems:
            found[type.value] = f"{len(expected)} in the ERP, {len(actual)} mirrored: " + "; ".join(
                problems
            )
    return found
