"""Upserts compiled once and fed plain rows: the hot path of every sync page."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from itertools import chain
from typing import Any

from sqlalchemy import Engine, Select, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.dml import Insert, UpdateBase


def upsert_statement(engine: Engine, table: Table, key: str) -> Insert:
    """``INSERT … ON CONFLICT (key) DO UPDATE`` for the engine's dialect."""
    dialect = sqlite if engine.dialect.name == "sqlite" else postgresql
    stmt = dialect.insert(table)
    updated = {c.name: stmt.excluded[c.name] for c in table.columns if c.name != key}
    upsert: Insert = stmt.on_conflict_do_update(index_elements=[table.c[key]], set_=updated)
    return upsert


class BulkUpsert:
    """An upsert of whole rows of ``table``, compiled once for the engine's dialect.

    Rows come as tuples in the table's column order (:attr:`columns`). Each column goes
    through its own bind processor (the conversions SQLAlchemy would apply) in one tight pass,
    then the rows go to the driver: that skips the generic per-row parameter handling, which
    dominates the cost of large pages. PostgreSQL gets them through ``executemany``; SQLite
    gets the page as one multi-row ``VALUES`` statement (a few, past :data:`SQLITE_VARIABLES`):
    besides costing less than a statement a row, that lets the FTS5 search index, which its
    triggers update row by row, flush its pending terms once per statement, not once per row.
    """

    def __init__(self, engine: Engine, table: Table, key: str) -> None:
        dialect = engine.dialect
        self.columns = tuple(c.name for c in table.columns)
        compiled = upsert_statement(engine, table, key).compile(
            dialect=dialect, column_keys=list(self.columns)
        )
        self._sql = str(compiled)
        self._positional = bool(compiled.positional)
        order = list(compiled.positiontup or ()) if self._positional else list(self.columns)
        self._order = order
        self._index = [self.columns.index(name) for name in order]
        self._processors = [
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in order
        ]
        self._values = _values_group(self._sql, len(order)) if dialect.name == "sqlite" else None
        self._rows_per_statement = max(1, SQLITE_VARIABLES // len(order))
        self._multi_row: dict[int, str] = {}

    def execute(self, conn: Connection, rows: Sequence[Sequence[Any]]) -> None:
        for sql, params in self.statements(rows):
            conn.exec_driver_sql(sql, params)

    def statements(self, rows: Sequence[Sequence[Any]]) -> list[tuple[str, Any]]:
        """What :meth:`execute` hands the driver for ``rows``: each statement and its
        parameters (the rows' values, converted)."""
        if not rows:
            return []
        by_column = list(zip(*rows, strict=True))
        columns = [
            _converted(by_column[i], process)
            for i, process in zip(self._index, self._processors, strict=True)
        ]
        if self._values is not None:
            statements: list[tuple[str, Any]] = []
            for start in range(0, len(rows), self._rows_per_statement):
                chunk = [c[start : start + self._rows_per_statement] for c in columns]
                values = tuple(chain.from_iterable(zip(*chunk, strict=True)))
                statements.append((self._multi_row_sql(len(chunk[0])), values))
            return statements
        if self._positional:
            return [(self._sql, list(zip(*columns, strict=True)))]
        params = [
            dict(zip(self._order, values, strict=True)) for values in zip(*columns, strict=True)
        ]
        return [(self._sql, params)]

    def _multi_row_sql(self, rows: int) -> str:
        sql = self._multi_row.get(rows)
        if sql is None:
            assert self._values is not None
            many = ", ".join([self._values] * rows)
            sql = self._sql.replace(f" VALUES {self._values}", f" VALUES {many}", 1)
            self._multi_row[rows] = sql
        return sql


#: Bound values one SQLite statement may carry (SQLITE_MAX_VARIABLE_NUMBER since 3.32).
SQLITE_VARIABLES = 32_766


def _values_group(sql: str, columns: int) -> str:
    """The one ``VALUES`` row of a compiled single-row insert, to repeat for many rows."""
    group = "(" + ", ".join(["?"] * columns) + ")"
    if sql.count(f" VALUES {group}") != 1:
        raise RuntimeError(f"not a single-row qmark insert: {sql[:80]}")
    return group


def _converted(values: Sequence[Any], process: Callable[[Any], Any] | None) -> Sequence[Any]:
    """One column's values, converted; a value repeated row after row is converted once."""
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


class CompiledStatement:
    """A statement with named bind parameters, compiled once for the engine's dialect and run
    at the driver level: each parameter goes through its bind processor, then straight to the
    driver, without SQLAlchemy's per-execution work (the page checkpoint's update, once a
    page, costs several times the page's own lookup through ``Connection.execute``)."""

    def __init__(self, engine: Engine, statement: UpdateBase | Select[Any]) -> None:
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect)
        self._sql = str(compiled)
        self._positional = bool(compiled.positional)
        names = list(compiled.positiontup or ()) if self._positional else list(compiled.binds)
        self._names = names
        self._processors = [
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in names
        ]

    def parameters(self, params: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        """``params`` as the driver takes them, each through its column's bind processor."""
        # None goes through the processor too, as SQLAlchemy sends it (JSON's None is 'null')
        values = [
            params[name] if process is None else process(params[name])
            for name, process in self._processors
        ]
        if self._positional:
            return tuple(values)
        return dict(zip(self._names, values, strict=True))

    def execute(self, conn: Connection, params: Mapping[str, Any]) -> None:
        conn.exec_driver_sql(self._sql, self.parameters(params))

    @property
    def sql(self) -> str:
        return self._sql


class DriverRead:
    """A query of one row that every request runs (the user behind a token or a sign-in), run
    on a pooled connection at the driver level: through ``Connection.execute`` one cost 139 µs
    of CPU on PostgreSQL and 34 µs on SQLite, on the driver's own cursor 70-80 µs and a few.

    On PostgreSQL the connection reads in autocommit, so no transaction is begun (and none
    rolled back as the pool takes it back). A connection the database dropped is invalidated,
    as SQLAlchemy's own execution would: the pool does not hand it out again. Only plain
    columns (the driver's values are returned as they come)."""

    def __init__(self, engine: Engine, statement: Select[Any]) -> None:
        self._engine = engine
        self._statement = CompiledStatement(engine, statement)
        self._autocommit = engine.dialect.name == "postgresql"

    def first(self, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        values = self._statement.parameters(params)
        raw = self._engine.raw_connection()
        try:
            return self._first(raw, values)
        finally:
            raw.close()  # back to the pool (or discarded, once invalidated)

    def _first(
        self, raw: PoolProxiedConnection, values: tuple[Any, ...] | dict[str, Any]
    ) -> tuple[Any, ...] | None:
        dialect = self._engine.dialect
        driver: Any = raw.driver_connection
        cursor = None
        try:
            if self._autocommit:
                driver.autocommit = True
            try:
                cursor = raw.cursor()
                cursor.execute(self._statement.sql, values)
                row = cursor.fetchone()
            finally:
                if cursor is not None:
                    cursor.close()
                if self._autocommit and not driver.closed:
                    driver.autocommit = False  # the pool hands it out as it took it
        except dialect.loaded_dbapi.Error as error:
            dropped = dialect.is_disconnect(error, raw.dbapi_connection, cursor)
            if dropped:
                raw.invalidate(error)
            # as SQLAlchemy's own execution raises it; the parameters (digests) are kept out
            raise DBAPIError.instance(
                self._statement.sql,
                values,
                error,
                dialect.loaded_dbapi.Error,
                hide_parameters=True,
                connection_invalidated=dropped,
                dialect=dialect,
            ) from error
        return None if row is None else tuple(row)


class KeyList:
    """A list of keys passed as ONE parameter (a JSON array on SQLite, an array on
    PostgreSQL), so a page's ``WHERE key IN (…)`` costs one bind, not one per key."""

    def __init__(self, engine: Engine) -> None:
        self._sqlite = engine.dialect.name == "sqlite"

    def where(self, column: str) -> str:
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
            if self._sqlite:
                cursor.execute(sql, params)
            else:
                # Planned afresh each time: the plan psycopg would keep prepared is the one made
                # while the table was empty (a scan), which a first full sync of a growing
                # table then runs for every page, reading more of it each time.
                cursor.execute(sql, params, prepare=False)
            rows: list[Any] = cursor.fetchall()
            return rows
        finally:
            cursor.close()

    def param(self, keys: Sequence[str]) -> str | list[str]:
        return json.dumps(list(keys)) if self._sqlite else list(keys)
