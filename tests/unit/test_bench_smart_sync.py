"""``bench/smart_sync.py`` still measures end to end: instant demo ERP, tiny volumes."""

from __future__ import annotations

from pathlib import Path

import pytest

from erpsync.demo_erp import LatencyProfile, Volumes
from erpsync.domain.types import SyncMode
from tests.unit.bench_scripts import load_bench


async def test_the_bench_measures_both_policies_and_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench = load_bench("smart_sync", monkeypatch)
    volumes = Volumes(customers=120, products=1200, prices=10, orders=5, ddt=5, invoices=5)
    settings = bench.BenchSettings(seed=3, volumes=volumes, latency=LatencyProfile.INSTANT)

    results = await bench.measure(settings, tmp_path)

    assert set(results) == {"erpsync", "baseline"}
    for result in results.values():
        assert result.full_customer_sync_s > 0
        for case in (result.idle, result.busy):
            assert case.seconds is not None, f"{result.policy}: customer never searchable"
            assert case.smart.status == "completed"
            assert case.smart.inserted == 1
        assert "1,200/1,200 products mirrored" in result.busy.note
    assert results["erpsync"].busy.smart.mode == SyncMode.INCREMENTAL
    assert results["baseline"].busy.smart.mode == SyncMode.FULL
    assert results["baseline"].idle.smart.fetched > volumes.customers
    lines = bench.report(settings, results)
    assert any(line.startswith("(b) baseline / erpsync >= 10x") for line in lines)
    assert lines[-1] == "all targets met" or lines[-1].startswith("TARGET MISSED")
