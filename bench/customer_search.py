"""Customer search on a large mirror: how long the order form waits for its suggestions.

Mirrors 100,000 customers (through the sync engine, into SQLite), then times the form's search
for typical queries: a few letters of a name, a code, a VAT number, a city, a word that matches
almost everyone, and one that matches no one. Prints the median and the 95th percentile of each
against the target, side by side with the ratio.

    python bench/customer_search.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sync_throughput import GeneratedCustomers

from erpsync.adapters.clock import SystemClock
from erpsync.adapters.db.engine import build_engine
from erpsync.adapters.db.migrate import upgrade
from erpsync.adapters.db.mirror import SqlMirrorStore
from erpsync.adapters.db.mirror_queries import SqlMirrorSearch
from erpsync.adapters.db.runs import SqlRunStore
from erpsync.domain.search import search_terms
from erpsync.domain.types import SyncMode, SyncType
from erpsync.services.sync_runner import SyncRunner

#: A suggestion list must feel instant while the agent types.
TARGET_P95_MS = 50.0
QUERIES = {
    "name prefix": "cliente 4242",
    "code": "C0051234",
    "VAT number": "10000067890",
    "city": "verona",
    "matches nearly all": "cliente",
    "matches none": "zzzz",
}
REPEATS = 30


def time_queries(search: SqlMirrorSearch, agent: str | None) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {}
    for label, query in QUERIES.items():
        samples = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            search.customers(search_terms(query), agent, 20)
            samples.append((time.perf_counter() - started) * 1000)
        timings[label] = samples
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = build_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade(engine)
        runner = SyncRunner(
            GeneratedCustomers(args.rows),
            SqlMirrorStore(engine),
            SqlRunStore(engine),
            SystemClock(),
        )
        asyncio.run(runner.run(SyncType.CUSTOMERS, SyncMode.FULL))
        search = SqlMirrorSearch(engine)
        print(f"customer search over {args.rows:,} mirrored customers (SQLite), 20 suggestions")
        print(f"{'query':<22}{'scope':<8}{'p50 ms':>9}{'p95 ms':>9}{'target':>9}{'ratio':>8}")
        for scope, agent in (("all", None), ("agent", "A01")):
            for label, samples in time_queries(search, agent).items():
                p50 = statistics.median(samples)
                p95 = statistics.quantiles(samples, n=20)[18]
                ratio = TARGET_P95_MS / p95
                print(
                    f"{label:<22}{scope:<8}{p50:>9.1f}{p95:>9.1f}{TARGET_P95_MS:>9.0f}{ratio:>7.1f}x"
                )
        engine.dispose()


if __name__ == "__main__":
    main()
