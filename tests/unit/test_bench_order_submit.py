"""``bench/order_submit.py`` still measures end to end: instant demo ERP, tiny volumes."""

from __future__ import annotations

from pathlib import Path

import pytest

from erpsync.demo_erp import LatencyProfile, Volumes
from tests.unit.bench_scripts import load_bench


async def test_the_bench_places_every_order_under_both_policies_and_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench = load_bench("order_submit", monkeypatch)
    monkeypatch.setattr(bench, "BATCH", 5)
    volumes = Volumes(customers=20, products=600, prices=10, orders=5, ddt=5, invoices=5)
    settings = bench.BenchSettings(seed=3, volumes=volumes, latency=LatencyProfile.INSTANT)

    ours, base = await bench.measure(settings, tmp_path)

    assert ours.idle_s > 0 and ours.busy_s > 0 and base.busy_s > 0
    assert ours.batch is not None and base.batch is None
    assert ours.batch.orders == 5
    assert ours.batch.writes_per_order == 1.0, "one ERP request an order when nothing fails"
    assert ours.batch.erp_reads == 0
    lines = bench.report(settings, ours, base)
    assert any(line.startswith("(b) full products sync running") for line in lines)
    assert any("Invia tutte" in line for line in lines)
    assert lines[-1] == "all targets met" or lines[-1].startswith("TARGET MISSED")


def test_the_targets_are_the_issues(monkeypatch: pytest.MonkeyPatch) -> None:
    bench = load_bench("order_submit", monkeypatch)
    fast = bench.PolicyResult("erpsync", 0.2, 0.8, "")
    slow = bench.PolicyResult("baseline", 0.2, 9.6, "")
    assert [t.met for t in bench.targets(fast, slow)] == [True, True, True]
    behind = bench.PolicyResult("erpsync", 0.2, 1.6, "")
    assert [t.met for t in bench.targets(behind, slow)] == [True, False, False]
