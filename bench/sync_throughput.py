"""Full and unchanged sync of many customers from an in-process source into SQLite.

No HTTP is involved, so the figures are the engine's and the store's. Prints rows/s for the
full sync and for the unchanged re-sync, with the search index maintained (the head's
schema: the FTS5 index, the customer order's indexes) and, in the same run, without it (the
schema before migration 0010), the index's cost in rows/s, and the peak memory of the process.
Each figure comes twice: rows per second of wall time and, in the CPU columns, per second of
the process's CPU time, which a machine busy with other work disturbs far less.

The last two columns are SQLite's own floor, with the index and without it, in the same run:
the statements a page write hands the driver (the page's multi-row upsert, or the full run's
marking of the page's keys seen), made ready beforehand for every page and then run back to
back, a transaction a page as the sync does. Nothing in Python is done per row: no source,
hashing, validation or conversion. It is as fast as the engine could go on this machine with
this schema and page size; a target above it is out of the engine's reach.

    python bench/sync_throughput.py [--rows 100000] [--repeat 3] [--revision head]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sqlite3
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from erpsync.adapters.clock import SystemClock
from erpsync.adapters.db.engine import build_engine
from erpsync.adapters.db.migrate import upgrade
from erpsync.adapters.db.mirror import SqlMirrorStore, upsert_rows
from erpsync.adapters.db.runs import SqlRunStore
from erpsync.domain.catalog import SPECS
from erpsync.domain.records import clean_record, content_hash
from erpsync.domain.types import SyncMode, SyncType, Trigger
from erpsync.ports import SourcePage, SyncJob
from erpsync.services.sync_runner import SyncRunner

TARGETS = {"full": 40_000, "unchanged": 80_000, "peak_rss_mb": 300}
MEASURES = ("full", "unchanged")
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class GeneratedCustomers:
    """Customers made on the fly, page by page: the source never holds the whole set.

    Items are stamped from a few templates so that making them costs far less than syncing
    them; the figures are then the engine's, not the generator's.
    """

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self._templates = [_template(i) for i in range(100)]

    def _item(self, i: int) -> dict[str, Any]:
        minutes, seconds = divmod(i, 60)
        hours, minutes = divmod(minutes, 60)
        return {
            **self._templates[i % 100],
            "code": f"C{i:07d}",
            "name": f"Cliente {i} S.r.l.",
            "vat_number": f"{10_000_000_000 + i:011d}",
            "updated_at": f"2026-01-{1 + hours // 24:02d}T{hours % 24:02d}:{minutes:02d}:"
            f"{seconds:02d}+00:00",
        }

    async def fetch_page(
        self, type: SyncType, *, since: datetime | None, cursor: str | None, limit: int
    ) -> SourcePage:
        start = int(cursor or 0)
        end = min(start + limit, self.rows)
        items: Sequence[dict[str, Any]] = [self._item(i) for i in range(start, end)]
        next_cursor = str(end) if end < self.rows else None
        return SourcePage(items, next_cursor, EPOCH + timedelta(seconds=self.rows))

    async def aclose(self) -> None:
        return None


def _template(i: int) -> dict[str, Any]:
    return {
        "fiscal_code": f"{10_000_000_000 + i:011d}",
        "address": f"Via Roma {i + 1}",
        "postcode": f"{20100 + i % 80:05d}",
        "city": ("Milano", "Torino", "Bologna", "Verona")[i % 4],
        "province": ("MI", "TO", "BO", "VR")[i % 4],
        "phone": f"02 {i:07d}",
        "email": f"info{i}@cliente.example",
        "pec": f"cliente{i}@pec.example",
        "agent_code": f"A0{i % 3 + 1}",
    }


#: The schema before the search index, for the figures without it.
BEFORE_INDEX = "0009"


async def measure(rows: int, folder: Path, revision: str = "head") -> dict[str, float]:
    engine = build_engine(f"sqlite:///{folder / 'bench.db'}")
    upgrade(engine, revision)
    runs = SqlRunStore(engine)
    runner = SyncRunner(GeneratedCustomers(rows), SqlMirrorStore(engine), runs, SystemClock())
    figures: dict[str, float] = {}
    for label in ("full", "unchanged"):
        started, cpu_started = time.perf_counter(), time.process_time()
        run = await runner.run(SyncJob(SyncType.CUSTOMERS, SyncMode.FULL, Trigger.MANUAL))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        assert run.status == "completed", run.error
        expected = "inserted" if label == "full" else "unchanged"
        assert getattr(run.counts, expected) == rows, run.counts
        figures[label] = rows / elapsed
        figures[f"{label}_cpu"] = rows / cpu
    engine.dispose()
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def floor(rows: int, folder: Path, revision: str = "head") -> dict[str, float]:
    """Rows/s of the statements alone (see the module's docstring), full then unchanged."""
    spec = SPECS[SyncType.CUSTOMERS]
    engine = build_engine(f"sqlite:///{folder / 'floor.db'}")
    upgrade(engine, revision)
    store = SqlMirrorStore(engine)
    source = GeneratedCustomers(rows)
    written_at = EPOCH + timedelta(days=1)
    pages, keys = [], []
    for start in range(0, rows, spec.page_size):
        items = [source._item(i) for i in range(start, min(start + spec.page_size, rows))]
        records = [clean_record(spec, item, content_hash(spec, item)) for item in items]
        pages.append(store.upsert(spec).statements(upsert_rows(spec, records, 1, written_at)))
        keys.append(json.dumps([record.key for record in records]))
    mark_seen = store.lookup_sql(spec, mark_seen=True)
    figures: dict[str, float] = {}
    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        driver.isolation_level = None  # the transactions below are the only ones
        for label, work in (
            ("full", [[*statements] for statements in pages]),
            ("unchanged", [[(mark_seen, (2, page_keys))] for page_keys in keys]),
        ):
            started = time.perf_counter()
            for statements in work:
                driver.execute("BEGIN")
                for sql, params in statements:
                    driver.execute(sql, params).fetchall()
                driver.execute("COMMIT")
            figures[label] = rows / (time.perf_counter() - started)
    engine.dispose()
    return figures


def measure_once(rows: int, revision: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        figures = asyncio.run(measure(rows, Path(folder), revision))
        figures.update({f"{k}_floor": v for k, v in floor(rows, Path(folder), revision).items()})
        return figures


def report(rows: int, repeat: int, indexed: dict[str, float], plain: dict[str, float]) -> list[str]:
    lines = [
        f"sync throughput, {rows:,} customers into SQLite (best of {repeat})",
        f"{'measure':<12}{'erpsync':>14}{'target':>14}{'ratio':>10}"
        f"{'no index':>14}{'index cost':>14}{'CPU: erpsync':>16}{'no index':>14}{'cost':>14}"
        f"{'SQLite floor':>16}{'no index':>14}",
    ]
    for name in MEASURES:
        value, target, without = indexed[name], TARGETS[name], plain[name]
        cpu, cpu_without = indexed[f"{name}_cpu"], plain[f"{name}_cpu"]
        lines.append(
            f"{name:<12}{value:>10,.0f} r/s{target:>10,} r/s{value / target:>9.2f}x"
            f"{without:>10,.0f} r/s{without - value:>10,.0f} r/s"
            f"{cpu:>12,.0f} r/s{cpu_without:>10,.0f} r/s{cpu_without - cpu:>10,.0f} r/s"
            f"{indexed[f'{name}_floor']:>12,.0f} r/s{plain[f'{name}_floor']:>10,.0f} r/s"
        )
    rss, limit = max(indexed["peak_rss_mb"], plain["peak_rss_mb"]), TARGETS["peak_rss_mb"]
    lines.append(f"{'peak RSS':<12}{rss:>11,.0f} MB{limit:>11,} MB{limit / rss:>9.2f}x")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best one is reported")
    parser.add_argument("--revision", default="head", help="the schema with the index")
    args = parser.parse_args()
    # Interleaved, so a busy moment of the machine does not land on one side only.
    indexed: dict[str, float] = {}
    plain: dict[str, float] = {}
    for _ in range(args.repeat):
        for figures, revision in ((indexed, args.revision), (plain, BEFORE_INDEX)):
            for name, value in measure_once(args.rows, revision).items():
                figures[name] = max(figures.get(name, 0.0), value)
    print("\n".join(report(args.rows, args.repeat, indexed, plain)))


if __name__ == "__main__":
    main()
