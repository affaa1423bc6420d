"""``bench/pages.py``'s pure parts: percentiles, the requests' spread, the report, the options."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from erpsync.adapters.db.tables import mirror_tables
from erpsync.domain.types import SyncType
from tests.unit.bench_scripts import load_bench


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    return load_bench("pages", monkeypatch)


def test_percentiles_interpolate_between_closest_ranks(bench: ModuleType) -> None:
    values = [float(v) for v in range(1, 101)]
    assert bench.percentile(values, 0.5) == pytest.approx(50.5)
    assert bench.percentile(values, 0.95) == pytest.approx(95.05)
    assert bench.percentile([7.0], 0.95) == 7.0
    assert bench.percentile([3.0, 1.0, 2.0], 0.0) == 1.0
    with pytest.raises(ValueError, match="no values"):
        bench.percentile([], 0.5)


def test_the_documents_scale_with_the_orders_the_rest_stays_default(bench: ModuleType) -> None:
    volumes = bench.volumes(100_000)
    assert (volumes.orders, volumes.ddt, volumes.invoices) == (100_000, 110_000, 100_000)
    assert volumes.customers == bench.Volumes().customers


def test_spread_takes_evenly_from_the_whole_list(bench: ModuleType) -> None:
    items = [str(i) for i in range(100)]
    assert bench.spread(items, 4) == ["0", "25", "50", "75"]
    assert bench.spread(items[:3], 10) == ["0", "1", "2"]


def test_the_baseline_drops_exactly_the_indexes_of_migration_0009(bench: ModuleType) -> None:
    indexes = bench.book_indexes()
    assert [ix.name for ix in indexes] == list(bench.BOOK_INDEXES)
    assert {ix.table.name for ix in indexes} == {"orders", "ddt", "invoices"}
    assert all(ix.table is mirror_tables[ix.table.name] for ix in indexes)


def _result(bench: ModuleType, card_ms: float) -> Any:
    figures = [
        bench.Figures(kind, [card_ms if kind == "card" else 5.0] * 20, [100.0] * 20)
        for kind in bench.KINDS
    ]
    seconds = dict.fromkeys(SyncType, 2.0)
    return bench.Result("sqlite", 100_000, 33_000, 200, seconds, figures)


def test_the_report_sets_both_measures_side_by_side_as_ratios(bench: ModuleType) -> None:
    lines = bench.report(_result(bench, 10.0))
    assert lines[0].startswith("agent's book over 100,000 orders (sqlite); agent A01 sees 33,000")
    assert "mirrored through the sync in 12.0 s" in lines[1]
    assert "loopback" in lines[2]
    assert "no index p50" in lines[3] and "speed-up" in lines[3]
    rows = {line[:15].strip(): line for line in lines[4:-1]}
    assert list(rows) == list(bench.KINDS)
    assert rows["card"].split()[-4:] == ["50", "PASS", "5.0x", "10.0x"]
    assert rows["deep page"].split()[-3:] == ["PASS", "10.0x", "20.0x"]
    assert lines[-1] == "all targets met (p95 <= 50 ms)"


def test_a_p95_over_50_ms_is_a_miss(bench: ModuleType) -> None:
    result = _result(bench, 60.0)
    assert [f.met for f in result.figures] == [False] + [True] * (len(bench.KINDS) - 1)
    lines = bench.report(result)
    assert " MISS " in lines[4]
    assert lines[-1] == "TARGET MISSED: card"
    assert bench.TARGET_P95_MS == 50.0


def test_the_options_default_to_the_issues_scale(bench: ModuleType) -> None:
    args = bench.parse_args([])
    assert (args.orders, args.database, args.customers) == (100_000, "sqlite", 200)
    assert args.postgres_url == "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    quick = bench.parse_args(["--orders", "500", "--database", "both", "--samples", "5"])
    assert (quick.orders, quick.database, quick.samples) == (500, "both", 5)


@pytest.mark.parametrize("argv", [["--orders", "0"], ["--database", "mysql"], ["--samples", "-1"]])
def test_bad_options_are_refused(
    bench: ModuleType,
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        bench.parse_args(argv)
    assert "error" in capsys.readouterr().err
