"""Upserts compiled once and fed plain rows: the hot path of every sync page."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import Insert


def upsert_statement(engine: Engine, table: Table, key: str) -> Insert:
    """``INSERT … ON CONFLICT (key) DO UPDATE`` for the engine's dialect."""
    dialect = sqlite if engine.dialect.name == "sqlite" else postgresql
    stmt = dialect.insert(table)
    updated = {c.name: stmt.excluded[c.name] for c in table.columns if c.name != key}
    upsert: Insert = stmt.on_conflict_do_update(index_elements=[table.c[key]], set_=updated)
    return upsert


class BulkUpsert:
    """An upsert of whole rows of ``table``, compiled once for the engine's dialect.

    Each row goes through its columns' own bind processors (the same conversions SQLAlchemy
    applies) in one tight pass, then to the driver's ``executemany``; that skips the generic
    per-row parameter handling, which dominates the cost of large pages.
    """

    def __init__(self, engine: Engine, table: Table, key: str) -> None:
        dialect = engine.dialect
        columns = [c.name for c in table.columns]
        compiled = upsert_statement(engine, table, key).compile(
            dialect=dialect, column_keys=columns
        )
        self._sql = str(compiled)
        self._positional = bool(compiled.positional)
        self._order: Sequence[str] = (
            list(compiled.positiontup or ()) if self._positional else columns
        )
        processors: dict[str, Callable[[Any], Any] | None] = {
            c.name: c.type.dialect_impl(dialect).bind_processor(dialect) for c in table.columns
        }
        self._plan = [(name, processors[name]) for name in self._order]

    def execute(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        columns = [_column(rows, name, process) for name, process in self._plan]
        if self._positional:
            conn.exec_driver_sql(self._sql, list(zip(*columns, strict=True)))
        else:
            names = [name for name, _ in self._plan]
            params = [
                dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)
            ]
            conn.exec_driver_sql(self._sql, params)


def _column(
    rows: Sequence[Mapping[str, Any]], name: str, process: Callable[[Any], Any] | None
) -> list[Any]:
    """One column's values, converted; a value repeated row after row is converted once."""
    values = [row.get(name) for row in rows]
    if process is None:
        return values
    out: list[Any] = []
    last: Any = None
    converted: Any = None
    for value in values:
        if value is None:
            out.append(None)
            continue
        if value is not last:
            last, converted = value, process(value)
        out.append(converted)
    return out


class KeyList:
    """A list of keys passed as ONE parameter (a JSON array on SQLite, an array on
    PostgreSQL), so a page's ``WHERE key IN (…)`` costs one bind, not one per key."""

    def __init__(self, engine: Engine) -> None:
        self._sqlite = engine.dialect.name == "sqlite"

    def where(self, column: str, *, driver: bool = True) -> str:
        """The condition, in the driver's own parameter style."""
        if self._sqlite:
            return f"{column} IN (SELECT value FROM json_each({self.placeholder}))"
        return f"{column} = ANY({self.placeholder})"

    @property
    def placeholder(self) -> str:
        return "?" if self._sqlite else "%s"

    def fetch(
        self, conn: Connection, sql: str, keys: Sequence[str], first: object | None = None
    ) -> list[Any]:
        """Run a driver-level statement whose last parameter is the key list (after ``first``,
        when given); all rows as tuples, straight from the driver: no per-row result objects
        on the hot path."""
        params = (self.param(keys),) if first is None else (first, self.param(keys))
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, params)
            rows: list[Any] = cursor.fetchall()
            return rows
        finally:
            cursor.close()

    def param(self, keys: Sequence[str]) -> str | list[str]:
        return json.dumps(list(keys)) if self._sqlite else list(keys)
