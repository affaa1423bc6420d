"""``+column`` on SQLite: a condition SQLite does not answer through the column's index."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal


class _Unindexed(ColumnElement[Any]):
    """``+column`` on SQLite: the same value, which SQLite no longer looks up through an
    index; the column itself elsewhere (PostgreSQL has no ``+`` for text or timestamps, and
    its planner goes by statistics)."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]  # noqa: RUF012

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column
        self.type = column.type


@compiles(_Unindexed)
def _as_column(element: _Unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column, **kw)


@compiles(_Unindexed, "sqlite")
def _unary_plus(element: _Unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return "+" + compiler.process(element.column, **kw)


def unindexed(column: ColumnElement[Any]) -> ColumnElement[Any]:
    return _Unindexed(column)
