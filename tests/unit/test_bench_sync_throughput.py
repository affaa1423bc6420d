"""``bench/sync_throughput.py`` still measures with and without the search index."""

from __future__ import annotations

from pathlib import Path

import pytest

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
    lines = bench.report(200, 1, indexed, plain)
    assert lines[0] == "sync throughput, 200 customers into SQLite (best of 1)"
    assert [line.split()[0] for line in lines[2:]] == ["full", "unchanged", "peak"]
