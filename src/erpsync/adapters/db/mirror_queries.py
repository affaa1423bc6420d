"""What the order form reads from the mirror: customer and product search, prices.

These run on every keystroke of the form, so each query shape is built once (per number of
words, scoped or not, plan, which words have two characters on PostgreSQL) with bound
parameters: SQLAlchemy then finds it compiled in its cache at once, instead of building the
statement and working out its cache key on every request.

The search rule: a row matches when every word of the query is a substring of its
``search_text`` (``LIKE '%word%'``), within the agent's customers for an agent, in the order
``name, code`` (customers) or ``code`` (products), the first ``limit``. On SQLite the trigram
FTS5 index (:mod:`erpsync.adapters.db.search_index`) finds the candidates; see
:class:`SearchPlan`. On PostgreSQL the statement is the plain rule, with an equivalent
condition for each word of two characters that its pairs index can answer, and the planner
picks between the trigram GIN indexes and a walk in result order by its own statistics.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from enum import Enum
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Date,
    Engine,
    Select,
    Table,
    TextClause,
    bindparam,
    column,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.engine import Connection

from erpsync.adapters.db.search_index import (
    PAIR,
    TRIGRAM,
    doubled,
    doubled_sql,
    fts_query,
    fts_table,
    fts_terms,
    is_pair,
    pair_range,
)
from erpsync.adapters.db.tables import mirror_tables
from erpsync.adapters.db.unindexed import unindexed
from erpsync.domain.offline import SLICE_FIELDS, SliceKind

#: What the form reads of a customer and a product: the same fields as the device's slice.
CUSTOMER_FIELDS = SLICE_FIELDS[SliceKind.CUSTOMERS]
PRODUCT_FIELDS = SLICE_FIELDS[SliceKind.PRODUCTS]
PRICE_FIELDS = ("id", "list_code", "unit_price", "valid_from", "valid_to")


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matching(table: Table, words: int, pairs: tuple[int, ...]) -> list[ColumnElement[bool]]:
    """Each word a substring of ``search_text``; and for each word of ``pairs`` (PostgreSQL's
    of two characters), its doubled form one of the doubled text, which the pairs index finds
    (it says the same, so the result does not change)."""
    doubled_text: ColumnElement[str] = literal_column(doubled_sql(f"{table.name}.search_text"))
    return [
        *(table.c.search_text.like(bindparam(f"w{n}"), escape="\\") for n in range(words)),
        *(doubled_text.like(bindparam(f"p{n}"), escape="\\") for n in pairs),
    ]


def _words(terms: Sequence[str], pairs: tuple[int, ...]) -> dict[str, str]:
    return {
        **{f"w{n}": _like(t) for n, t in enumerate(terms)},
        **{f"p{n}": _like(doubled(terms[n])) for n in pairs},
    }


def _scoped(table: Table, scoped: bool) -> list[ColumnElement[bool]]:
    return [table.c.agent_code == bindparam("agent")] if scoped else []


class SearchPlan(Enum):
    """How a search finds its rows. Each plan, on its own, returns exactly what the rule says:
    the choice between them is only about speed.
    """

    #: Rows in result order (an index walk), each checked word by word with ``LIKE``, until
    #: ``limit`` match: fast when the words match many rows, a whole scan when they match few.
    WALK = "walk"
    #: The rows the FTS index finds for the words it can look up (those holding all the
    #: trigrams of the words of three characters or more and, for each ASCII word of two, one
    #: of the terms beginning with it: a few may not hold the words), each checked again word by
    #: word with ``LIKE`` (the short words are honoured there, and the result never depends
    #: on how the tokenizer folds text), then sorted: fast when the index finds few rows, slow
    #: when it finds nearly all of them.
    INDEX = "index"


#: From this many index hits on, the search walks instead. Counting up to it and sorting that
#: many candidates take about a millisecond each on 100,000 customers; a walk at that density
#: (1 %) reads some 2,000 rows for 20 suggestions, while the index's plan at 25 % (a city)
#: sorts 25,000 rows in about 25 ms (bench/customer_search.py measures both sides). The hits
#: are the rows holding the words' trigrams, which may be more than hold the words: the count
#: can only err towards the walk.
DENSE_HITS = 1000


def _live(table: Table) -> ColumnElement[bool]:
    """Not deleted, which the search never looks up through the ``deleted_at`` index (the
    offline slice's, migration 0011): nearly every row is live, and SQLite would take it over
    the walk in result order or the index's hits, then sort every live row.
    """
    return unindexed(table.c.deleted_at).is_(None)


def _planned(query: Select[Any], table: Table, plan: SearchPlan) -> Select[Any]:
    if plan is SearchPlan.WALK:
        return query
    fts = fts_table(table.name)
    hits = text(f"SELECT rowid FROM {fts} WHERE {fts} MATCH :match").columns(column("rowid"))
    return query.where(literal_column(f"{table.name}.rowid").in_(hits))


@cache
def _terms_from(table: str) -> TextClause:
    terms = fts_terms(table)
    return text(f"SELECT term FROM {terms} WHERE term >= :low AND term < :high")


@cache
def _hit_count(table: str) -> TextClause:
    fts = fts_table(table)
    return text(f"SELECT count(*) FROM (SELECT 1 FROM {fts} WHERE {fts} MATCH :match LIMIT :cap)")


_CUSTOMERS = mirror_tables["customers"]
_PRODUCTS = mirror_tables["products"]
_PRICES = mirror_tables["prices"]


@cache
def _customer_search(
    words: int, scoped: bool, plan: SearchPlan, pairs: tuple[int, ...]
) -> Select[Any]:
    table = _CUSTOMERS
    # Through the index, SQLite must start from the hits' rowids: left to itself it prefers
    # to walk the agent's customers and test each against the hits.
    scope = (
        [unindexed(table.c.agent_code) == bindparam("agent")]
        if scoped and plan is SearchPlan.INDEX
        else _scoped(table, scoped)
    )
    query = (
        select(*(table.c[f] for f in CUSTOMER_FIELDS))
        .where(_live(table), *scope, *_matching(table, words, pairs))
        .order_by(table.c.name, table.c.code)
        .limit(bindparam("limit"))
    )
    return _planned(query, table, plan)


@cache
def _customer(scoped: bool) -> Select[Any]:
    table = _CUSTOMERS
    return select(*(table.c[f] for f in CUSTOMER_FIELDS)).where(
        table.c.code == bindparam("code"), table.c.deleted_at.is_(None), *_scoped(table, scoped)
    )


@cache
def _product_search(words: int, plan: SearchPlan, pairs: tuple[int, ...]) -> Select[Any]:
    table = _PRODUCTS
    query = (
        select(*(table.c[f] for f in PRODUCT_FIELDS))
        .where(_live(table), *_matching(table, words, pairs))
        .order_by(table.c.code)
        .limit(bindparam("limit"))
    )
    return _planned(query, table, plan)


def _prices_on() -> Select[Any]:
    table = _PRICES
    on: BindParameter[date] = bindparam("on", type_=Date)
    return (
        select(*(table.c[f] for f in PRICE_FIELDS))
        .where(
            table.c.product_code == bindparam("code"),
            table.c.deleted_at.is_(None),
            or_(table.c.valid_from.is_(None), table.c.valid_from <= on),
            or_(table.c.valid_to.is_(None), table.c.valid_to >= on),
        )
        .order_by(table.c.list_code)
    )


_PRICES_ON = _prices_on()
_PRODUCTS_BY_CODE = select(*(_PRODUCTS.c[f] for f in PRODUCT_FIELDS)).where(
    _PRODUCTS.c.deleted_at.is_(None), _PRODUCTS.c.code.in_(bindparam("codes", expanding=True))
)


class SqlMirrorSearch:
    """The order form's reads of the mirror.

    Args:
        engine: The mirror's database.
        indexed: Search through the FTS index on SQLite (a database migrated to 0012 or
            later); without it every search walks (what it did before the index, kept for the
            bench's baseline).
        dense_hits: From how many index hits on the search walks instead (tests lower it to
            see both plans on a few rows).
    """

    def __init__(
        self, engine: Engine, *, indexed: bool = True, dense_hits: int = DENSE_HITS
    ) -> None:
        self._engine = engine
        self._fts = indexed and engine.dialect.name == "sqlite"
        self._doubled = indexed and engine.dialect.name == "postgresql"
        self._dense_hits = dense_hits

    def _rows(self, query: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self._engine.connect() as conn:
            return [dict(row) for row in conn.execute(query, params).mappings()]

    def _search(
        self,
        table: str,
        terms: Sequence[str],
        params: dict[str, Any],
        query: Callable[[SearchPlan, tuple[int, ...]], Select[Any]],
    ) -> list[dict[str, Any]]:
        with self._engine.connect() as conn:
            if self._fts:
                # One snapshot for the term lookups, the hit count and the search: a page
                # written in between must not leave a row out (pysqlite begins none for reads).
                conn.exec_driver_sql("BEGIN")
            planned = self._plan(conn, table, terms)
            if planned is None:
                return []
            plan, match = planned
            pairs = self._pairs(terms)
            params = {**_words(terms, pairs), **params, **match}
            return [dict(row) for row in conn.execute(query(plan, pairs), params).mappings()]

    def _pairs(self, terms: Sequence[str]) -> tuple[int, ...]:
        """The words PostgreSQL's pairs index looks up: those of two characters."""
        if not self._doubled:
            return ()
        return tuple(n for n, term in enumerate(terms) if len(term) == PAIR)

    def _plan(
        self, conn: Connection, table: str, terms: Sequence[str]
    ) -> tuple[SearchPlan, dict[str, str]] | None:
        """INDEX, with the FTS5 query of the words the index can look up (three characters or
        more; two ASCII ones, by the terms that begin with them), when the index finds fewer
        than ``dense_hits`` rows for it; WALK otherwise and when there are no such words. None
        when a two-character word begins no term: no row holds it.
        """
        if not self._fts:
            return SearchPlan.WALK, {}
        long = [term for term in terms if len(term) >= TRIGRAM]
        pairs = []
        for term in dict.fromkeys(t for t in terms if is_pair(t)):
            low, high = pair_range(term)
            found = conn.execute(_terms_from(table), {"low": low, "high": high}).scalars().all()
            if not found:
                return None
            pairs.append(list(found))
        if not long and not pairs:
            return SearchPlan.WALK, {}
        match = {"match": fts_query(long, pairs)}
        cap = self._dense_hits
        if conn.execute(_hit_count(table), {**match, "cap": cap}).scalar_one() >= cap:
            return SearchPlan.WALK, {}
        return SearchPlan.INDEX, match

    def customers(
        self, terms: Sequence[str], agent_code: str | None, limit: int
    ) -> list[dict[str, Any]]:
        scoped = agent_code is not None
        return self._search(
            "customers",
            terms,
            {"agent": agent_code, "limit": limit},
            lambda plan, pairs: _customer_search(len(terms), scoped, plan, pairs),
        )

    def customer(self, code: str, agent_code: str | None) -> dict[str, Any] | None:
        rows = self._rows(_customer(agent_code is not None), {"code": code, "agent": agent_code})
        return rows[0] if rows else None

    def products(self, terms: Sequence[str], limit: int) -> list[dict[str, Any]]:
        return self._search(
            "products",
            terms,
            {"limit": limit},
            lambda plan, pairs: _product_search(len(terms), plan, pairs),
        )

    def products_by_code(self, codes: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not codes:
            return {}
        rows = self._rows(_PRODUCTS_BY_CODE, {"codes": list(codes)})
        return {row["code"]: row for row in rows}

    def prices(self, product_code: str, on: date) -> list[dict[str, Any]]:
        return self._rows(_PRICES_ON, {"code": product_code, "on": on})
