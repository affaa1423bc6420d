"""The order form's search through the index returns exactly what the search rule says.

The rule, in plain Python below: every word of the query is a substring of the row's
``search_text``; live rows only; an agent sees their own customers; customers by name and
code, products by code; the first ``limit``. The rows get there through the sync engine's page
writes (upserts, revivals, the sweep's soft deletes), so the index must follow those writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, event, inspect, text

from erpsync.adapters.db.engine import build_engine
from erpsync.adapters.db.migrate import alembic_config, upgrade
from erpsync.adapters.db.mirror import SqlMirrorStore
from erpsync.adapters.db.mirror_queries import SearchPlan, SqlMirrorSearch
from erpsync.adapters.db.runs import SqlRunStore
from erpsync.adapters.db.search_index import SEARCHABLE, fts_table, pairs_index, undeclared_names
from erpsync.domain.catalog import SPECS, RecordSpec
from erpsync.domain.records import clean_record
from erpsync.domain.runs import Checkpoint, SyncCounts
from erpsync.domain.search import search_terms, search_text
from erpsync.domain.types import SyncMode, SyncType, Trigger
from erpsync.ports import HashLookup, PageWrite

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CUSTOMERS = SPECS[SyncType.CUSTOMERS]
PRODUCTS = SPECS[SyncType.PRODUCTS]
AGENTS = ("A01", "A02", None)
#: Accents, FTS5 and LIKE syntax, and few enough letters that words recur across rows.
ALPHABET = "abcàéÈ %_\\\"*(-'1"
HOSTILE = ['"', '""', "*", "(", ")", "-", "'", "%", "_", "\\", "^", ":", "{a}", "NEAR", "OR"]


@dataclass
class Mirror:
    """The mirror as the page writes left it, kept beside the database as the reference."""

    engine: Engine
    rows: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    deleted: dict[str, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.store = SqlMirrorStore(self.engine)
        self.runs = SqlRunStore(self.engine)
        with self.engine.begin() as conn:
            for table in SEARCHABLE:
                conn.execute(text(f"DELETE FROM {table}"))
        for spec in (CUSTOMERS, PRODUCTS):
            self.rows[spec.table] = {}
            self.deleted[spec.table] = set()

    def write(self, spec: RecordSpec, items: list[dict[str, Any]], *, sweep: bool) -> None:
        """One page of a run; with ``sweep`` a full run that saw only these, then its sweep."""
        mode = SyncMode.FULL if sweep else SyncMode.INCREMENTAL
        run_id = self.runs.start(spec.type, mode, trigger=Trigger.MANUAL, since=None, at=NOW).id
        records = [clean_record(spec, item) for item in items]

        def build(existing: HashLookup) -> PageWrite:
            return PageWrite(
                run_id=run_id,
                spec=spec,
                upserts=[r for r in records if existing.get(r.key) != r.content_hash],
                quarantined=[],
                checkpoint=Checkpoint(cursor=None, pages=1, counts=SyncCounts()),
                written_at=NOW,
            )

        self.store.write_page(spec, run_id, [r.key for r in records], build, mark_seen=sweep)
        rows, deleted = self.rows[spec.table], self.deleted[spec.table]
        for record in records:
            rows[record.key] = dict(record.values)
            deleted.discard(record.key)
        if sweep:
            self.store.sweep(spec, run_id, NOW)
            deleted.update(set(rows) - {r.key for r in records})

    def remove(self, spec: RecordSpec, key: str) -> None:
        """A row gone from the mirror table itself (nothing in erpsync does it yet)."""
        with self.engine.begin() as conn:
            conn.execute(text(f"DELETE FROM {spec.table} WHERE code = :code"), {"code": key})
        self.rows[spec.table].pop(key, None)
        self.deleted[spec.table].discard(key)

    def expected(
        self, spec: RecordSpec, terms: list[str], agent: str | None, limit: int
    ) -> list[str]:
        """The rule, in Python (code point order: SQLite's BINARY, PostgreSQL's C collation)."""
        live = [
            values
            for key, values in self.rows[spec.table].items()
            if key not in self.deleted[spec.table]
            and (agent is None or values.get("agent_code") == agent)
            and all(term in search_text(spec, values) for term in terms)
        ]
        order = (lambda v: (v["name"], v["code"])) if spec is CUSTOMERS else (lambda v: v["code"])
        return [values["code"] for values in sorted(live, key=order)][:limit]


def _codepoint_order(engine: Engine) -> bool:
    if engine.dialect.name == "sqlite":
        return True
    with engine.connect() as conn:
        collation = conn.execute(
            text("SELECT datcollate FROM pg_database WHERE datname = current_database()")
        ).scalar_one()
    return str(collation) in {"C", "POSIX", "C.UTF-8", "C.utf8"}


def assert_index_follows(mirror: Mirror) -> None:
    """SQLite's own check that each FTS5 index holds exactly what its mirror table holds."""
    if mirror.engine.dialect.name != "sqlite":
        return
    with mirror.engine.begin() as conn:
        for table in SEARCHABLE:
            fts = fts_table(table)
            conn.execute(text(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)"))


def assert_searches(mirror: Mirror, queries: list[str], dense_hits: int) -> None:
    indexed = SqlMirrorSearch(mirror.engine, dense_hits=dense_hits)
    plain = SqlMirrorSearch(mirror.engine, indexed=False)
    exact_order = _codepoint_order(mirror.engine)
    for query in queries:
        terms = search_terms(query)
        for limit in (2, 50):
            for agent in AGENTS:
                found = indexed.customers(terms, agent, limit)
                assert found == plain.customers(terms, agent, limit), (query, agent, limit)
                if exact_order:
                    codes = [row["code"] for row in found]
                    assert codes == mirror.expected(CUSTOMERS, terms, agent, limit), query
            found = indexed.products(terms, limit)
            assert found == plain.products(terms, limit), (query, limit)
            if exact_order:
                codes = [row["code"] for row in found]
                assert codes == mirror.expected(PRODUCTS, terms, None, limit), query


words = st.text(ALPHABET, min_size=1, max_size=14).filter(str.strip)
customer_rows = st.lists(
    st.tuples(words, words, st.one_of(st.none(), words), st.sampled_from(AGENTS)),
    min_size=1,
    max_size=14,
)
product_rows = st.lists(st.tuples(words, st.one_of(st.none(), words)), min_size=1, max_size=14)


def customer(i: int, row: tuple[str, str, str | None, str | None]) -> dict[str, Any]:
    name, city, vat, agent = row
    return {
        "code": f"C{i:03d}",
        "name": name,
        "city": city,
        "vat_number": vat,
        "agent_code": agent,
        "updated_at": NOW.isoformat(),
    }


def product(i: int, row: tuple[str, str | None]) -> dict[str, Any]:
    description, group = row
    return {
        "code": f"P{i:03d}",
        "description": description,
        "group": group,
        "vat_rate": "22",
        "updated_at": NOW.isoformat(),
    }


@st.composite
def queries(draw: st.DrawFn, texts: list[str]) -> list[str]:
    """Pieces of what is stored (so that queries find something), hostile syntax, noise."""
    texts = [t for t in texts if t]
    pieces = (
        st.sampled_from(texts).flatmap(
            lambda source: st.tuples(st.integers(0, len(source) - 1), st.integers(1, 6)).map(
                lambda span: source[span[0] : span[0] + span[1]]
            )
        )
        if texts
        else words
    )
    word = st.one_of(pieces, pieces, st.sampled_from(HOSTILE), words)
    return draw(st.lists(st.lists(word, min_size=1, max_size=3).map(" ".join), max_size=5))


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), customers=customer_rows, products=product_rows)
def test_the_index_finds_what_the_rule_finds_after_every_page_write(
    sql_engine: Engine,
    data: st.DataObject,
    customers: list[tuple[str, str, str | None, str | None]],
    products: list[tuple[str, str | None]],
) -> None:
    mirror = Mirror(sql_engine)
    dense_hits = data.draw(st.sampled_from([1, 3, 1000]), label="dense_hits")
    first = [customer(i, row) for i, row in enumerate(customers)]
    items = [product(i, row) for i, row in enumerate(products)]
    mirror.write(CUSTOMERS, first, sweep=True)
    mirror.write(PRODUCTS, items, sweep=True)

    def check() -> None:
        stored = [search_text(CUSTOMERS, c) for c in first] + [
            search_text(PRODUCTS, p) for p in items
        ]
        assert_index_follows(mirror)
        assert_searches(mirror, data.draw(queries(stored), label="queries"), dense_hits)

    check()
    # Changes: new names for some, a full run that keeps only some (the sweep soft-deletes
    # the rest), then some of those back, and a row gone from the table itself.
    renamed = data.draw(st.lists(st.tuples(st.integers(0, len(first) - 1), words)), "renamed")
    for i, name in renamed:
        first[i] = {**first[i], "name": name}
    mirror.write(CUSTOMERS, first, sweep=False)
    kept = data.draw(st.sets(st.integers(0, len(first) - 1)), label="kept")
    mirror.write(CUSTOMERS, [first[i] for i in sorted(kept)], sweep=True)
    mirror.write(PRODUCTS, items[: len(items) // 2], sweep=True)
    check()
    back = data.draw(st.sets(st.integers(0, len(first) - 1)), label="back")
    mirror.write(CUSTOMERS, [first[i] for i in sorted(back)], sweep=False)
    mirror.remove(CUSTOMERS, first[0]["code"])
    mirror.remove(PRODUCTS, items[-1]["code"])
    check()


def test_short_words_accents_and_fts_syntax_are_plain_text(sql_engine: Engine) -> None:
    mirror = Mirror(sql_engine)
    names = [
        'Caffè "Al Porto" S.r.l.',
        "Città Sant'Angelo (PE)",
        "100% Bio_Shop",
        "Ditta *Star* - Roma",
        "Rossi e Figli",
        "NEAR OR AND NOT",
    ]
    mirror.write(
        CUSTOMERS,
        [customer(i, (name, "Pescara", None, "A01")) for i, name in enumerate(names)],
        sweep=True,
    )
    queries = [
        *HOSTILE,
        'caffe "al',
        '"al porto"',
        "citta sant'",
        "100%",
        "bio_",
        "o_s",
        "*star*",
        "- roma",
        "(pe)",
        "e",
        "ro fi",
        "near or",
        "figli zz",
        "",
    ]
    assert_searches(mirror, queries, dense_hits=1000)
    search = SqlMirrorSearch(sql_engine)
    assert [c["code"] for c in search.customers(search_terms('"Al Porto"'), None, 5)] == ["C000"]
    assert [c["code"] for c in search.customers(search_terms("100%"), None, 5)] == ["C002"]


def test_a_word_of_two_letters_is_looked_up_in_the_index_on_sqlite(sql_engine: Engine) -> None:
    """Anywhere in the text, the end included (the index's trailing space), and a pair that
    begins no term of the index answers with nothing before any row is read."""
    mirror = Mirror(sql_engine)
    rows = [("Ferramenta Bianchi", "Verona", None, "A01"), ("Bar Sport", "Milano", None, "A02")]
    mirror.write(CUSTOMERS, [customer(i, row) for i, row in enumerate(rows)], sweep=True)
    queries = ["no", "na", "an", "rt", "ba", "fe", "c0", "zq", "a", "ia zq", "sport no", "o b"]
    assert_searches(mirror, queries, dense_hits=1000)
    if sql_engine.dialect.name != "sqlite":
        return
    search = SqlMirrorSearch(sql_engine)
    with sql_engine.connect() as conn:
        expected = {"no": ["C001"], "na": ["C000"], "an": ["C001", "C000"], "rt": ["C001"]}
        for word, found in expected.items():
            planned = search._plan(conn, "customers", [word])
            assert planned is not None and planned[0] is SearchPlan.INDEX, word
            assert [c["code"] for c in search.customers([word], None, 5)] == found, word
        assert search._plan(conn, "customers", ["zq"]) is None
        assert search._plan(conn, "customers", ["bianchi", "zq"]) is None
        # One letter, or two outside ASCII, are for LIKE alone.
        assert search._plan(conn, "customers", ["a"]) == (SearchPlan.WALK, {})
        assert search._plan(conn, "customers", ["àb"]) == (SearchPlan.WALK, {})


@pytest.mark.postgres
def test_a_word_of_two_letters_is_looked_up_in_the_pairs_index_on_postgresql(
    postgres_engine: Engine,
) -> None:
    """The search's condition for a word of two characters is the pairs index's own
    expression, which the planner answers from that index once a full sync has ended (its end
    merges the GIN indexes' pending entries, which the planner would otherwise scan the table
    rather than read): a pair that matches nobody no longer reads every row, for every agent or
    one, customers or products."""
    mirror = Mirror(postgres_engine)
    agents = ("A01", "A02", "A03")
    many = [customer(i, (f"Cliente {i}", "Verona", None, agents[i % 3])) for i in range(3000)]
    mirror.write(CUSTOMERS, many, sweep=True)
    mirror.write(PRODUCTS, [product(i, (f"Vite M{i}", None)) for i in range(3000)], sweep=True)
    search = SqlMirrorSearch(postgres_engine)
    assert_searches(mirror, ["12", "12 verona", "e 12", "c1 zq", "m1", "vite m1"], dense_hits=1000)
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        statements.append((statement, parameters))

    event.listen(postgres_engine, "before_cursor_execute", record)
    try:
        assert search.customers(["zq"], None, 5) == []
        assert search.customers(["zq"], "A02", 5) == []
        assert search.products(["zq"], 5) == []
    finally:
        event.remove(postgres_engine, "before_cursor_execute", record)
    assert len(statements) == 3
    with postgres_engine.connect() as conn:
        for (statement, parameters), table in zip(
            statements, ["customers", "customers", "products"], strict=True
        ):
            plan = conn.exec_driver_sql(f"EXPLAIN {statement}", parameters).scalars().all()
            assert any(pairs_index(table) in line for line in plan), plan


def test_a_search_reads_one_snapshot_on_sqlite(sqlite_engine: Engine) -> None:
    """The index's terms, the hit count and the rows come from one read transaction: a page
    committed between them could otherwise change a row's terms under the search."""
    mirror = Mirror(sqlite_engine)
    rows = [("Ferramenta Bianchi", "Verona", None, "A01"), ("Bar Sport", "Milano", None, "A02")]
    mirror.write(CUSTOMERS, [customer(i, row) for i, row in enumerate(rows)], sweep=True)
    seen: list[tuple[str, bool]] = []

    def record(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append((statement.split()[0], conn.connection.dbapi_connection.in_transaction))

    event.listen(sqlite_engine, "before_cursor_execute", record)
    try:
        found = SqlMirrorSearch(sqlite_engine).customers(["no", "bar"], None, 5)
    finally:
        event.remove(sqlite_engine, "before_cursor_execute", record)
    assert [c["code"] for c in found] == ["C001"]
    reads = [in_transaction for verb, in_transaction in seen if verb != "BEGIN"]
    assert len(reads) >= 3 and all(reads), seen


def free_space_settings(engine: Engine) -> dict[str, Any]:
    """The storage options PostgreSQL keeps for each searchable table."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT relname, reloptions FROM pg_class WHERE relname = ANY(:names)"),
            {"names": list(SEARCHABLE)},
        )
        return {name: options for name, options in rows}


def _downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def before_the_index(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[Engine]:
    """A database at revision 0009: the mirror without the search index."""
    if request.param == "sqlite":
        engine = build_engine(f"sqlite:///{tmp_path}/before.db")
        upgrade(engine, "0009")
        yield engine
        engine.dispose()
        return
    engine = request.getfixturevalue("postgres_engine")
    _downgrade(engine, "0009")
    try:
        yield engine
    finally:
        upgrade(engine)


def test_the_migration_indexes_what_is_already_mirrored_and_goes_back(
    before_the_index: Engine,
) -> None:
    engine = before_the_index
    mirror = Mirror(engine)
    rows = [("Ferramenta Bianchi", "Verona", None, "A01"), ("Bar Sport", "Milano", None, "A02")]
    mirror.write(CUSTOMERS, [customer(i, row) for i, row in enumerate(rows)], sweep=True)
    upgrade(engine)
    assert_index_follows(mirror)
    search = SqlMirrorSearch(engine)
    assert [c["code"] for c in search.customers(["bianchi"], None, 5)] == ["C000"]
    assert_searches(mirror, ["bianchi", "ver", "bar sport", "a", "zzz"], dense_hits=1000)
    if engine.dialect.name == "postgresql":  # room on each page for a row's next version
        assert free_space_settings(engine) == {t: ["fillfactor=50"] for t in SEARCHABLE}

    _downgrade(engine, "0009")
    names = set(inspect(engine).get_table_names()) | {
        ix["name"] for ix in inspect(engine).get_indexes("customers") if ix["name"]
    }
    assert names.isdisjoint(undeclared_names(engine.dialect.name))
    assert "ix_customers_name_code" not in names
    if engine.dialect.name == "postgresql":
        assert free_space_settings(engine) == {t: None for t in SEARCHABLE}
    plain = SqlMirrorSearch(engine, indexed=False)
    assert [c["code"] for c in plain.customers(["bianchi"], None, 5)] == ["C000"]
