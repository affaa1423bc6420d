"""``bench/offline_slice.py``'s pure parts (its percentiles are ``bench/pages.py``'s, tested
there): the queries, the bytes of a head, the report and its targets, the options."""

from __future__ import annotations

import random
from types import ModuleType
from typing import Any

import pytest

from erpsync.demo_erp import Volumes
from tests.unit.bench_scripts import load_bench


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    return load_bench("offline_slice", monkeypatch)


def test_a_head_counts_its_status_line_headers_and_blank_line(bench: ModuleType) -> None:
    headers = [(b"etag", b'"abc"'), (b"content-length", b"0")]
    wire = 'HTTP/1.1 304 Not Modified\r\netag: "abc"\r\ncontent-length: 0\r\n\r\n'
    assert bench.head_bytes(304, "Not Modified", headers) == len(wire)


def _customer(i: int, city: str) -> dict[str, Any]:
    return {
        "code": f"C{i:05d}",
        "name": f"Ferramenta Rossi {i} srl",
        "vat_number": f"{i:011d}",
        "city": city,
    }


def test_queries_of_every_kind_come_from_the_slice(bench: ModuleType) -> None:
    customers = [_customer(i, "Verona" if i % 2 else "Bari") for i in range(50)]
    queries = bench.queries(customers, 3, random.Random(1))
    assert [q.kind for q in queries] == [
        *[kind for kind in bench.QUERY_KINDS[:4] for _ in range(3)],
        "matches nearly all",
        "matches none",
    ]
    by_code = {c["code"]: c for c in customers}
    codes = [q.text for q in queries if q.kind == "code"]
    assert all(code in by_code for code in codes) and len(set(codes)) == 3
    vat = [q.text for q in queries if q.kind == "VAT number"]
    assert vat == [by_code[code]["vat_number"] for code in codes]
    assert {q.text for q in queries if q.kind == "name prefix"} == {"Ferramenta Ros"}
    assert queries[-2:] == [
        bench.Query("matches nearly all", "a"),
        bench.Query("matches none", "zzzz"),
    ]
    with pytest.raises(bench.BenchError):
        bench.queries([], 3, random.Random(1))


def test_the_commonest_letter_is_found_in_most_texts(bench: ModuleType) -> None:
    assert bench.commonest_letter(["abc", "bcd", "cde"]) == "c"
    assert bench.commonest_letter(["xy", "yx"]) == "x"


def _result(bench: ModuleType, *, demo: bool, sent: int, delta: int, local: float) -> Any:
    first = [
        bench.Download(kind, 100, sent, sent * 5, 40.0, 50.0)
        for kind in ("customers", "products", "prices")
    ]
    searches = [bench.Search(kind, [local] * 20, [12.0] * 20) for kind in bench.QUERY_KINDS]
    user = bench.UserFigures(
        "agent A01",
        first,
        bench.Download("customers", 10, delta, delta * 2, 5.0),
        0,
        187,
        200.0,
        6_555,
        searches,
        14,
        14,
    )
    volumes = Volumes() if demo else Volumes(customers=20_000)
    return bench.Result(volumes, demo, 7.5, [user], 1.5, 2)


def test_the_report_sets_the_figures_beside_their_baselines_and_targets(
    bench: ModuleType,
) -> None:
    lines = bench.report(_result(bench, demo=True, sent=30_000, delta=700, local=2.0))
    assert lines[0].startswith("offline slice, demo data: 1,500 customers, 4,500 products")
    assert "hydration in 7.5 s" in lines[0]
    assert any(line.endswith("load average 1.5 on 2 CPUs") for line in lines)
    rows = [line.split() for line in lines if line.startswith("agent A01")]
    assert rows[0] == ["agent", "A01", "customers", "100", "30.0", "150.0", "5.0x", "40", "50"]
    assert rows[3][3:] == ["300", "90.0", "450.0", "5.0x", "120", "150", "2,000", "PASS"]
    assert rows[4][2:] == ["10", "0", "700", "1,400", "5", "43x", "187", "<", "5,000", "PASS"]
    assert rows[5][2:5] == ["6,555", "customers", "on"]
    searched = {" ".join(row[2:-9]): row[-9:] for row in rows[6:]}
    assert list(searched) == [*bench.QUERY_KINDS, "all"]
    assert searched["code"] == [
        "20",
        "2.00",
        "2.00",
        "12.00",
        "12.00",
        "10",
        "PASS",
        "5.0x",
        "6.0x",
    ]
    assert searched["all"][0] == "120"
    assert lines[-1].startswith("all targets met (first download <= 2,000 KB")


def test_the_large_data_has_no_download_target_and_misses_are_named(bench: ModuleType) -> None:
    result = _result(bench, demo=False, sent=900_000, delta=5_000, local=12.0)
    lines = bench.report(result)
    assert lines[0].startswith("offline slice, large data: 20,000 customers")
    assert bench.missed(result) == ["agent A01 delta"] + [
        f"agent A01 search {kind}" for kind in (*bench.QUERY_KINDS, "all")
    ]
    assert lines[-1].startswith("TARGET MISSED: agent A01 delta, agent A01 search name prefix")
    demo = _result(bench, demo=True, sent=700_000, delta=10, local=1.0)
    assert bench.missed(demo) == ["agent A01 first download"]


def test_a_local_time_under_the_clocks_tick_counts_as_one_tick(bench: ModuleType) -> None:
    lines = bench.report(_result(bench, demo=True, sent=30_000, delta=700, local=0.0))
    row = next(line for line in lines if "matches none" in line)
    assert row.split()[-2:] == ["100x", "120x"]


def test_the_options_default_to_the_issues_scale(bench: ModuleType) -> None:
    args = bench.parse_args([])
    assert (args.customers, args.datasets, args.queries) == (20_000, "both", 10)
    assert (args.repeats, args.server_repeats, args.seed) == (30, 5, 7)
    quick = bench.parse_args(["--customers", "300", "--datasets", "demo", "--repeats", "3"])
    assert (quick.customers, quick.datasets, quick.repeats) == (300, "demo", 3)


@pytest.mark.parametrize(
    "argv",
    [["--customers", "20"], ["--datasets", "tiny"], ["--repeats", "0"], ["--server-repeats", "0"]],
)
def test_bad_options_are_refused(
    bench: ModuleType, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        bench.parse_args(argv)
    assert "error" in capsys.readouterr().err
