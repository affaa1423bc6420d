"""Customer and product search on a large mirror: how long the order form waits for its
suggestions, through the search index and, in the same run, through the old LIKE scan.

Mirrors 100,000 customers and 100,000 products (through the sync engine) into a database at
revision 0009 (no search index), times the form's searches for typical queries (a few letters
of a name, a code, a VAT number, a city, short words, a word that matches almost everyone,
one that matches no one) the old way, then migrates to the head (the migration fills the
index) and times them again. Prints the median and the 95th percentile of each, the index's
p95 against the target and the old p95 over the new one.

    python bench/customer_search.py [--rows 100000] [--products 100000]
        [--database sqlite|postgres|both] [--postgres-url URL]

PostgreSQL runs in a fresh database created on the server of ``--postgres-url`` (default: the
``ERPSYNC_TEST_POSTGRES_URL`` environment variable) and dropped afterwards; its tables are
analysed after the sync and after the migration, as autovacuum would soon do.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import Engine, create_engine, text
from sync_throughput import EPOCH, GeneratedCustomers

from erpsync.adapters.clock import SystemClock
from erpsync.adapters.db.engine import build_engine, normalise_url
from erpsync.adapters.db.migrate import upgrade
from erpsync.adapters.db.mirror import SqlMirrorStore
from erpsync.adapters.db.mirror_queries import SqlMirrorSearch
from erpsync.adapters.db.runs import SqlRunStore
from erpsync.domain.search import search_terms
from erpsync.domain.types import SyncMode, SyncType, Trigger
from erpsync.ports import SourcePage, SyncJob
from erpsync.services.sync_runner import SyncRunner

#: A suggestion list must feel instant while the agent types.
TARGET_P95_MS = 20.0
POSTGRES_URL_ENV = "ERPSYNC_TEST_POSTGRES_URL"
CUSTOMER_QUERIES = {
    "name and number": "cliente 4242",
    "code": "C0051234",
    "VAT number": "10000067890",
    "city": "verona",
    "short and long": "mi 4242",
    "short only": "c 1",
    # Two letters have no trigram: SQLite finds them through its index's terms (migration
    # 0012); on PostgreSQL they are a scan when they match no one.
    "short only, matches none": "zq",
    "matches nearly all": "cliente",
    "matches none": "zzzz",
}
PRODUCT_QUERIES = {
    "word and number": "vite 4242",
    "code": "P0051234",
    "group": "idraulica",
    "short and long": "m8 4242",
    "matches nearly all": "prodotto",
    "matches none": "zzzz",
}
REPEATS = 30
LIMIT = 20
_MATERIALS = ("vite", "dado", "rondella", "bullone", "tassello")
_GROUPS = ("ferramenta", "idraulica", "elettrico", "giardino", "vernici")


class GeneratedProducts:
    """Products made on the fly, page by page, like :class:`GeneratedCustomers`."""

    def __init__(self, rows: int) -> None:
        self.rows = rows

    def _item(self, i: int) -> dict[str, Any]:
        return {
            "code": f"P{i:07d}",
            "description": f"Prodotto {i} {_MATERIALS[i % 5]} M{4 + i % 9}",
            "group": _GROUPS[i // 5 % 5],
            "package_size": 10,
            "min_qty": 1,
            "multiple_qty": 1,
            "vat_rate": "22",
            "updated_at": (EPOCH + timedelta(seconds=i)).isoformat(),
        }

    async def fetch_page(
        self, type: SyncType, *, since: datetime | None, cursor: str | None, limit: int
    ) -> SourcePage:
        start = int(cursor or 0)
        end = min(start + limit, self.rows)
        next_cursor = str(end) if end < self.rows else None
        return SourcePage(
            [self._item(i) for i in range(start, end)],
            next_cursor,
            EPOCH + timedelta(seconds=self.rows),
        )

    async def aclose(self) -> None:
        return None


class GeneratedMirror:
    """The customers and the products of the bench, one source."""

    def __init__(self, customers: int, products: int) -> None:
        self._sources = {
            SyncType.CUSTOMERS: GeneratedCustomers(customers),
            SyncType.PRODUCTS: GeneratedProducts(products),
        }

    async def fetch_page(
        self, type: SyncType, *, since: datetime | None, cursor: str | None, limit: int
    ) -> SourcePage:
        return await self._sources[type].fetch_page(type, since=since, cursor=cursor, limit=limit)

    async def aclose(self) -> None:
        return None


@dataclass(frozen=True)
class Timing:
    kind: str
    query: str
    scope: str
    old: list[float]
    new: list[float]

    @staticmethod
    def p50(samples: list[float]) -> float:
        return statistics.median(samples)

    @staticmethod
    def p95(samples: list[float]) -> float:
        return statistics.quantiles(samples, n=20)[18]


def _searches(search: SqlMirrorSearch) -> Iterator[tuple[str, str, str, Callable[[], Any]]]:
    for scope, agent in (("all", None), ("agent", "A01")):
        for label, query in CUSTOMER_QUERIES.items():
            terms = search_terms(query)
            yield (
                f"customers: {label}",
                query,
                scope,
                lambda t=terms, a=agent: search.customers(t, a, LIMIT),
            )
    for label, query in PRODUCT_QUERIES.items():
        terms = search_terms(query)
        yield f"products: {label}", query, "all", lambda t=terms: search.products(t, LIMIT)


def time_searches(search: SqlMirrorSearch, repeats: int) -> dict[tuple[str, str], list[float]]:
    timings: dict[tuple[str, str], list[float]] = {}
    for kind, _query, scope, run in _searches(search):
        run()
        samples = []
        for _ in range(repeats):
            started = time.perf_counter()
            run()
            samples.append((time.perf_counter() - started) * 1000)
        timings[(kind, scope)] = samples
    return timings


def answers(search: SqlMirrorSearch) -> dict[tuple[str, str], Any]:
    return {(kind, scope): run() for kind, _query, scope, run in _searches(search)}


def _analyse(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE customers"))
            conn.execute(text("ANALYZE products"))


def measure(
    engine: Engine, customers: int, products: int, repeats: int
) -> tuple[list[Timing], float]:
    """Timings before and after the index on one database, and the migration's seconds."""
    upgrade(engine, "0009")
    runner = SyncRunner(
        GeneratedMirror(customers, products),
        SqlMirrorStore(engine),
        SqlRunStore(engine),
        SystemClock(),
    )
    for type in (SyncType.CUSTOMERS, SyncType.PRODUCTS):
        run = asyncio.run(runner.run(SyncJob(type, SyncMode.FULL, Trigger.MANUAL)))
        assert run.status == "completed", run.error
    _analyse(engine)
    old_search = SqlMirrorSearch(engine, indexed=False)
    old = time_searches(old_search, repeats)
    expected = answers(old_search)
    started = time.perf_counter()
    upgrade(engine)
    migration_s = time.perf_counter() - started
    _analyse(engine)
    new_search = SqlMirrorSearch(engine)
    assert answers(new_search) == expected, "the index must find what the scan finds"
    new = time_searches(new_search, repeats)
    queries = {(kind, scope): query for kind, query, scope, _ in _searches(old_search)}
    return [
        Timing(kind, queries[(kind, scope)], scope, old[(kind, scope)], samples)
        for (kind, scope), samples in new.items()
    ], migration_s


@contextmanager
def sqlite_engine() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory() as folder:
        engine = build_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        try:
            yield engine
        finally:
            engine.dispose()


@contextmanager
def postgres_engine(admin_url: str) -> Iterator[Engine]:
    """A fresh database on the server of ``admin_url``, dropped afterwards."""
    name = f"erpsync_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = build_engine(admin.url.set(database=name).render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def report(
    database: str, customers: int, products: int, timings: Sequence[Timing], migration_s: float
) -> list[str]:
    lines = [
        f"search over {customers:,} customers and {products:,} products ({database}), "
        f"{LIMIT} suggestions; index built by the migration in {migration_s:.1f} s",
        f"{'query':<40}{'scope':<7}{'scan p50':>9}{'p95':>8}{'index p50':>10}{'p95':>8}"
        f"{'target':>8}{'vs target':>10}{'vs scan':>9}",
    ]
    missed = []
    for t in timings:
        old95, new95 = Timing.p95(t.old), Timing.p95(t.new)
        lines.append(
            f"{t.kind:<40}{t.scope:<7}{Timing.p50(t.old):>9.2f}{old95:>8.2f}"
            f"{Timing.p50(t.new):>10.2f}{new95:>8.2f}{TARGET_P95_MS:>8.0f}"
            f"{TARGET_P95_MS / new95:>9.1f}x{old95 / new95:>8.1f}x"
        )
        if new95 > TARGET_P95_MS:
            missed.append(f"{t.kind} ({t.scope})")
    lines.append(
        f"TARGET MISSED: {', '.join(missed)}" if missed else "all targets met (p95 <= 20 ms)"
    )
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000, help="customers")
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get(POSTGRES_URL_ENV))
    parser.add_argument("--repeats", type=int, default=REPEATS)
    args = parser.parse_args(argv)
    databases = ("sqlite", "postgres") if args.database == "both" else (args.database,)
    if "postgres" in databases and not args.postgres_url:
        parser.error(f"PostgreSQL needs --postgres-url or {POSTGRES_URL_ENV}")
    for database in databases:
        engines = sqlite_engine() if database == "sqlite" else postgres_engine(args.postgres_url)
        with engines as engine:
            timings, migration_s = measure(engine, args.rows, args.products, args.repeats)
        print("\n".join(report(database, args.rows, args.products, timings, migration_s)))
        print()


if __name__ == "__main__":
    main()
