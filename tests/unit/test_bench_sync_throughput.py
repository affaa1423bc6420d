"""``bench/sync_throughput.py`` still measures with and without the search index."""

from __future__ import annotations

from pathlib import Path

import pytest

from erpsync.adapters.db.engine import build_engine
from erpsync.adapters.db.search_index import fts_query
from tests.unit.bench_scripts import load_bench


async def test_the_bench_syncs_with_and_without_the_index_and_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench = load_bench("sync_throughput", monkeypatch)
    (tmp_path / "with").mkdir()
    (tmp_path / "without").mkdir()
    indexed = await bench.measure(200, tmp_path / "with")
    plain = await bench.measure(200, tmp_path / "without", bench.BEFORE_INDEX)
    assert all(indexed[name] > 0 and plain[name] > 0 for name in bench.MEASURES)
    for figures, folder, revision in ((indexed, "with", "head"), (plain, "without", "0009")):
        floor = bench.floor(200, tmp_path / folder, revision)
        assert set(floor) == set(bench.MEASURES) and all(v > 0 for v in floor.values())
        figures.update({f"{name}_floor": value for name, value in floor.items()})
    lines = bench.report(200, 1, indexed, plain)
    assert lines[0] == "sync throughput, 200 customers into SQLite (best of 1)"
    assert [line.split()[0] for line in lines[2:]] == ["full", "unchanged", "peak"]
    assert lines[1].endswith("SQLite floor      no index")


def test_the_floor_writes_what_the_sync_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The floor's statements leave the mirror as the sync leaves it: every row, searchable."""
    bench = load_bench("sync_throughput", monkeypatch)
    bench.floor(250, tmp_path)
    engine = build_engine(f"sqlite:///{tmp_path / 'floor.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM customers").scalar() == 250
        seen = conn.exec_driver_sql("SELECT count(*) FROM customers WHERE seen_run = 2")
        assert seen.scalar() == 250
        found = conn.exec_driver_sql(
            "SELECT count(*) FROM customers_search WHERE customers_search MATCH ?",
            (fts_query(["c0000249"]),),
        )
        assert found.scalar() == 1
    engine.dispose()
