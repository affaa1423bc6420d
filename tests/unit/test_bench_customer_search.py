"""``bench/customer_search.py`` still measures, on a tiny mirror: the index and the scan agree."""

from __future__ import annotations

import pytest

from tests.unit.bench_scripts import load_bench


def test_the_bench_times_both_searches_on_sqlite_and_reports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bench = load_bench("customer_search", monkeypatch)
    with bench.sqlite_engine() as engine:
        timings, migration_s = bench.measure(engine, 300, 200, repeats=2)
    assert migration_s > 0
    kinds = {(t.kind, t.scope) for t in timings}
    assert ("customers: matches nearly all", "agent") in kinds
    assert ("products: code", "all") in kinds
    assert len(kinds) == 2 * len(bench.CUSTOMER_QUERIES) + len(bench.PRODUCT_QUERIES)
    lines = bench.report("sqlite", 300, 200, timings, migration_s)
    assert lines[0].startswith("search over 300 customers and 200 products (sqlite)")
    assert lines[-1].startswith(("all targets met", "TARGET MISSED"))
    assert bench.TARGET_P95_MS == 20.0


def test_postgres_needs_a_server(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = load_bench("customer_search", monkeypatch)
    monkeypatch.delenv(bench.POSTGRES_URL_ENV, raising=False)
    with pytest.raises(SystemExit):
        bench.main(["--database", "both"])
    assert "--postgres-url" in capsys.readouterr().err
