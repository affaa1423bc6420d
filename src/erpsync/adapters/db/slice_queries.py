"""The device's offline slice read from the mirror: whole, or what changed since a moment.

A delta reads through the indexes of migration 0011 (``synced_at``, ``deleted_at``, prices'
``valid_to``, the customers' scope exits), so its cost follows the changes, not the mirror.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, Select, func, or_, select, union
from sqlalchemy.engine import Connection

from erpsync.adapters.db.cluster import ROLE
from erpsync.adapters.db.engine import reading
from erpsync.adapters.db.tables import customer_scope_exits, leases, mirror_tables
from erpsync.adapters.db.unindexed import unindexed
from erpsync.domain.offline import SLICE_FIELDS, HighMark, SliceKind, newest

_KEY = {SliceKind.CUSTOMERS: "code", SliceKind.PRODUCTS: "code", SliceKind.PRICES: "id"}


def _scope(
    kind: SliceKind, agent_code: str | None, *, by_index: bool = True
) -> list[ColumnElement[bool]]:
    """The agent's customers; ``by_index=False`` keeps the planner off the agent's index."""
    if kind is not SliceKind.CUSTOMERS or agent_code is None:
        return []
    column = mirror_tables["customers"].c.agent_code
    return [(column if by_index else unindexed(column)) == agent_code]


class SqlMirrorSlices:
    """:class:`~erpsync.ports.MirrorSlices` on SQL."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._high_marks = {kind: _high_mark(kind) for kind in SliceKind}

    def high_mark(self, kind: SliceKind) -> HighMark:
        with reading(self._engine) as conn:
            epoch, *moments = conn.execute(self._high_marks[kind]).one()
        return HighMark(newest(*moments), epoch)

    def rows(
        self, kind: SliceKind, agent_code: str | None, valid_on: date, after: datetime | None
    ) -> list[tuple[Any, ...]]:
        """The slice's rows by key; with ``after``, those written since (a delta).

        A delta is read through the ``synced_at`` index, and ordered here: its statistics see
        a few hundred rows a write time (a page writes them together), so with the order in
        the query, or the agent's or ``deleted_at`` index on offer, SQLite walks the whole
        table to find the handful written since.
        """
        table = mirror_tables[kind.value]
        delta = after is not None
        live = unindexed(table.c.deleted_at) if delta else table.c.deleted_at
        where: list[ColumnElement[bool]] = [live.is_(None)]
        where += _scope(kind, agent_code, by_index=not delta)
        if kind is SliceKind.PRICES:
            where.append(or_(table.c.valid_to.is_(None), table.c.valid_to >= valid_on))
        if after is not None:
            where.append(table.c.synced_at > after)
        query = select(*(table.c[f] for f in SLICE_FIELDS[kind])).where(*where)
        if not delta:
            query = query.order_by(table.c[_KEY[kind]])
        with self._engine.connect() as conn:
            rows = [tuple(row) for row in conn.execute(query)]
        if delta:
            rows.sort(key=lambda row: row[0])
        return rows

    def gone(
        self,
        kind: SliceKind,
        agent_code: str | None,
        valid_on: date,
        after: datetime,
        expired_from: date,
    ) -> set[str]:
        table = mirror_tables[kind.value]
        key = table.c[_KEY[kind]]
        queries: list[Select[Any]] = [
            select(key).where(table.c.deleted_at > after, *_scope(kind, agent_code, by_index=False))
        ]
        if kind is SliceKind.CUSTOMERS and agent_code is not None:
            exits = customer_scope_exits.c
            queries.append(
                select(exits.code).where(exits.agent_code == agent_code, exits.exited_at > after)
            )
        if kind is SliceKind.PRICES:
            expired = table.c.valid_to < valid_on
            # written since: through the synced_at index, not every expired row's valid_to
            written = unindexed(table.c.valid_to) < valid_on
            queries.append(select(key).where(written, table.c.synced_at > after))
            queries.append(select(key).where(expired, table.c.valid_to >= expired_from))
        with self._engine.connect() as conn:
            return _keys(conn, queries)


def _high_mark(kind: SliceKind) -> Select[Any]:
    """The role's epoch and the newest write to ``kind``'s tables, in one statement, so one
    snapshot: the epoch is the one the writes seen were made under or a later one, never an
    earlier one. Built once: every device's refresh asks it, and building a statement (and
    its cache key) costs SQLAlchemy several times what SQLite takes to answer it."""
    table = mirror_tables[kind.value]
    columns = [
        select(leases.c.epoch).where(leases.c.name == ROLE).scalar_subquery(),
        select(func.max(table.c.synced_at)).scalar_subquery(),
        select(func.max(table.c.deleted_at)).scalar_subquery(),
    ]
    if kind is SliceKind.CUSTOMERS:
        columns.append(select(func.max(customer_scope_exits.c.exited_at)).scalar_subquery())
    return select(*columns)


def _keys(conn: Connection, queries: list[Select[Any]]) -> set[str]:
    statement = queries[0] if len(queries) == 1 else union(*queries)
    return {row[0] for row in conn.execute(statement)}
