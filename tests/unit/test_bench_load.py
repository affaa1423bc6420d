"""``bench/load.py`` keeps working: its arithmetic and report on their own, and the whole
machinery (server subprocess, users, agents, checks) with a few agents for a few seconds."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType, SimpleNamespace

import httpx
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
MODULES = ("load_report", "load_device", "load_agents", "load_cpu", "load")
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def bench() -> Iterator[SimpleNamespace]:
    """The bench's modules, imported from ``bench/`` and forgotten afterwards."""
    sniffio_absent = "sniffio" not in sys.modules
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(BENCH))
        loaded: dict[str, ModuleType] = {m: importlib.import_module(m) for m in MODULES}
        yield SimpleNamespace(**loaded)
        for name in MODULES:
            sys.modules.pop(name, None)
    if sniffio_absent and sys.modules.get("sniffio", False) is None:
        del sys.modules["sniffio"]


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def run(type: str, finished: float | None, trigger: str = "schedule") -> dict[str, object]:
    return {
        "type": type,
        "status": "completed" if finished is not None else "running",
        "trigger": trigger,
        "finishedAt": None if finished is None else at(finished).isoformat(),
    }


def test_percentiles_interpolate_between_ranks(bench: SimpleNamespace) -> None:
    percentile = bench.load_report.percentile
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5
    assert percentile([float(n) for n in range(1, 101)], 0.95) == pytest.approx(95.05)


def test_route_stats_count_errors_and_time_the_successes_only(bench: SimpleNamespace) -> None:
    r = bench.load_report
    samples = [
        r.Sample("GET /api/products", 0.010),
        r.Sample("GET /api/products", 0.030),
        r.Sample("GET /api/products", 5.0, "HTTP 503"),
        r.Sample("POST /api/drafts", 0.020),
    ]
    stats = r.route_stats(samples)
    products = stats["GET /api/products"]
    assert (products.requests, products.errors) == (3, 1)
    assert products.p50 == pytest.approx(20.0)
    assert products.error_kinds == {"HTTP 503": 1}
    assert r.ordered_routes([*stats, "GET /zzz"]) == [
        "GET /api/products",
        "POST /api/drafts",
        "GET /zzz",
    ]


def test_the_longest_gap_counts_from_the_last_run_before_the_load(bench: SimpleNamespace) -> None:
    gap = bench.load_report.longest_gap
    assert gap([at(30)], at(10), at(70), at(0)) == 40.0
    assert gap([], at(10), at(70), at(0)) == 70.0
    assert gap([], at(10), at(70), None) == 60.0
    assert gap([at(20), at(40), at(95)], at(10), at(70), None) == 30.0


def test_sync_waits_show_types_that_never_ran_during_the_load(bench: SimpleNamespace) -> None:
    r = bench.load_report
    runs = [
        run("customers", 12, "smart"),
        run("customers", 30, "smart"),
        run("customers", 45),
        run("orders", 5),
        run("orders", 71),
        run("products", None),
    ]
    waits = r.sync_waits(runs, at(10), at(70), queued={"orders": "forms_open"})
    customers, orders = waits["customers"], waits["orders"]
    assert (customers.completed, customers.smart, customers.ran) == (3, 2, True)
    assert customers.longest_gap_s == 25.0
    assert (orders.ran, orders.longest_gap_s, orders.after_load_s) == (False, 65.0, 1.0)
    assert orders.queued_reason == "forms_open"
    assert waits["products"].longest_gap_s == 60.0
    assert set(waits) == set(r.SYNC_TYPES)


def test_the_drafts_check_finds_lost_doubled_and_stray_drafts(bench: SimpleNamespace) -> None:
    check = bench.load_report.DraftCheck()
    check.add({"a1", "a2", "a3"}, {"a9"}, ["a1", "a2", "a2", "a9", "zz"])
    check.add({"b1"}, set(), ["b1"])
    assert (check.agents, check.saved, check.listed) == (2, 4, 6)
    assert (check.lost, check.lost_ids) == (1, ["a3"])
    assert check.duplicated == 1
    assert (check.unconfirmed_present, check.foreign) == (1, 1)


def test_the_server_log_scan_counts_tracebacks_errors_and_steps(bench: SimpleNamespace) -> None:
    log = bench.load_report.scan_log(
        [
            "2026 INFO erpsync.coordination action=session_expired session=abc",
            "2026 WARNING erpsync.coordination action=safety_timeout dropped=3 timeout_s=600",
            "2026 ERROR uvicorn.error Exception in ASGI application",
            "Traceback (most recent call last):",
            "2026 INFO erpsync.coordination action=session_opened session=abc",
        ]
    )
    assert (log.tracebacks, log.errors) == (1, 1)
    assert log.counted == {"session_expired": 1, "safety_timeout": 1}


def test_a_quantity_keeps_the_products_rules(bench: SimpleNamespace) -> None:
    qty = bench.load_agents.orderable_qty
    assert qty({"minQty": 1, "multipleQty": 1}, 3) == 3
    assert qty({"minQty": 12, "multipleQty": 12}, 2) == 24
    assert qty({"minQty": 5, "multipleQty": 4}, 1) == 8
    assert qty({"minQty": None, "multipleQty": None}, 1) == 1


def test_a_pace_scales_every_think_time_alike(bench: SimpleNamespace) -> None:
    pace = bench.load_agents.Pace()
    quick = pace.scaled(0.5)
    assert quick.away == (pace.away[0] / 2, pace.away[1] / 2)
    assert quick.keystroke == (pace.keystroke[0] / 2, pace.keystroke[1] / 2)
    assert quick.drafts == pace.drafts


def test_the_window_line_gives_the_p95_of_each_stretch_of_the_load(
    bench: SimpleNamespace,
) -> None:
    r = bench.load_report
    samples = [
        *[r.Sample("GET /api/customers", 1.2, at=2.0)] * 10,
        *[r.Sample("POST /api/drafts", 0.03, at=14.0)] * 10,
        r.Sample("POST /api/customers/smart-sync (synced)", 5.0, at=15.0),
        r.Sample("POST /api/drafts", 9.0, "HTTP 500", at=16.0),
    ]
    line = r.window_line(phase(bench, 2, samples))
    assert line.endswith("by 10 s of the load: 0-10 s 1200, 10-20 s 30")


def test_cpu_shares_are_per_cent_of_one_core_and_the_rest_is_others(
    bench: SimpleNamespace,
) -> None:
    cpu = bench.load_cpu
    tick = os.sysconf("SC_CLK_TCK")
    before = cpu.CpuReading(at=100.0, busy=0, server=0, generator=0)
    after = cpu.CpuReading(at=110.0, busy=15 * tick, server=8 * tick, generator=2 * tick)
    share = cpu.cpu_share(before, after, database_ticks=1 * tick)
    assert share.server == pytest.approx(80.0)
    assert share.generator == pytest.approx(20.0)
    assert share.database == pytest.approx(10.0)
    assert share.others == pytest.approx(40.0)
    assert cpu.cpu_share(before, after).database is None
    assert cpu.cpu_share(None, after) is None


def phase(bench: SimpleNamespace, agents: int, samples: list[object]) -> object:
    r = bench.load_report
    tally = r.Tally(sessions=agents, max_active_sessions=agents)
    return r.Phase(agents, 60, 1.0, at(0), at(60), samples, tally, [0.001, 0.002])


def test_the_report_sets_loaded_beside_idle_and_names_every_missed_target(
    bench: SimpleNamespace,
) -> None:
    r = bench.load_report
    slow = [r.Sample("GET /api/customers", 0.4)] * 20 + [
        r.Sample("POST /api/customers/smart-sync (synced)", 2.0),
        r.Sample("POST /api/customers/smart-sync (timed out)", 0.9),
        r.Sample("POST /api/drafts", 0.1, "HTTP 500"),
    ]
    quick = [r.Sample("GET /api/customers", 0.004)] * 5
    waits = r.sync_waits([run("customers", 30, "smart")], at(0), at(60))
    result = r.RunResult(
        database="SQLite",
        profile="realistic",
        interval_minutes=1,
        starvation_budget=0.5,
        load=phase(bench, 200, slow),
        idle=phase(bench, 1, quick),
        drafts=r.DraftCheck(agents=2, saved=3, listed=3),
        erp={"overlaps": 0, "requests_total": 9, "pages_served": 9},
        waits=waits,
        log=r.ServerLog(),
        warm_up_s=48,
    )
    lines = r.report(result)
    text = "\n".join(lines)
    customers = next(line for line in lines if line.startswith("GET /api/customers"))
    assert "100.0x" in customers and customers.endswith("NO")
    assert "NEVER RAN during the 60 s load" in text
    assert "TARGET MISSED: GET /api/customers: p95 <= 250 ms (measured 400 ms)" in text
    assert "TARGET MISSED: POST /api/drafts: errors = 0 (measured 1)" in text
    assert "TARGET MISSED: products ran during the load (measured 0 runs)" in text
    assert "smart-sync (synced): p95" not in text
    assert "smart-sync (timed out): p95" not in text
    assert "loaded: POST /api/drafts: 1 x HTTP 500" in text


def test_a_device_applies_whole_slices_and_changes_and_searches_every_word(
    bench: SimpleNamespace,
) -> None:
    device = bench.load_device.DeviceSlice()
    fields = ["code", "name", "vat_number", "address", "city", "province", "agent_code"]
    device.apply(
        "customers",
        {
            "full": True,
            "fields": fields,
            "rows": [
                ["C1", "Ferramenta Rossi", "IT1", "Via A", "Bologna", "BO", "A01"],
                ["C2", "Bar Città", None, "Via B", "Modena", "MO", "A01"],
            ],
            "deleted": [],
            "cursor": "k1",
            "priceList": "L1",
        },
    )
    assert [c["code"] for c in device.search("customers", "rossi bol")] == ["C1"]
    assert [c["code"] for c in device.search("customers", "citta")] == ["C2"]
    assert len(device.search("customers", "")) == 2
    device.apply(
        "customers",
        {
            "full": False,
            "fields": fields,
            "rows": [["C3", "Ferramenta Bianchi", None, None, "Parma", "PR", "A01"]],
            "deleted": ["C1"],
            "cursor": "k2",
        },
    )
    assert [c["code"] for c in device.search("customers", "ferramenta")] == ["C3"]
    assert device.cursors["customers"] == "k2"
    assert device.price_list == "L1"


def test_a_device_proposes_the_price_in_force_today_of_its_price_list(
    bench: SimpleNamespace,
) -> None:
    device = bench.load_device.DeviceSlice()
    device.apply(
        "prices",
        {
            "full": True,
            "fields": ["id", "product_code", "list_code", "unit_price", "valid_from", "valid_to"],
            "rows": [
                [1, "P1", "L1", "9.00", "2026-01-01", "2026-06-30"],
                [2, "P1", "L1", "10.00", "2026-07-01", None],
                [3, "P1", "L2", "8.00", "2026-01-01", None],
            ],
            "deleted": [],
            "cursor": "k",
            "priceList": "L1",
        },
    )
    assert device.proposed_price("P1", datetime(2026, 12, 1).date()) == "10.00"
    assert device.proposed_price("P1", datetime(2026, 3, 1).date()) == "9.00"
    assert device.proposed_price("P2", datetime(2026, 3, 1).date()) is None


@pytest.mark.timeout(30)
async def test_the_wave_sends_every_goodbye_before_any_answer_and_reads_each_one(
    bench: SimpleNamespace,
) -> None:
    agents = bench.load_agents
    sessions = ("one", "two", "refused", "unsized", "garbled")
    arrived: list[dict[str, str]] = []
    everyone_in = asyncio.Event()

    async def server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        assert b"Authorization: Bearer t-" in head
        length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        body = json.loads(await reader.readexactly(length))
        arrived.append(body)
        if len(arrived) == len(sessions):
            everyone_in.set()
        await asyncio.wait_for(everyone_in.wait(), 10)  # no answer before the last goodbye
        session = body["session_id"]
        status, payload = (409, b"{}") if session == "refused" else (200, b'{"closed": false}')
        sized = b"" if session == "unsized" else b"Content-Length: %d\r\n" % len(payload)
        answer = b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\n%s\r\n" % (status, sized)
        writer.write(b"nonsense\r\n\r\n" if session == "garbled" else answer + payload)
        await writer.drain()
        writer.close()

    listening = await asyncio.start_server(server, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    recorder, tally = agents.Recorder(), bench.load_report.Tally()
    wave = agents.Wave(recorder)
    clients = []
    async with listening:
        for n, session in enumerate(sessions):
            client = httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer t-{n}"}
            )
            clients.append(client)
            tab = agents.FormTab(client, recorder, tally, f"agent{n}", id=session)
            wave.join(tab, {"session_id": session, "instance": "i"}, was_known=n in (0, 3))
        await wave.send()
    for client in clients:
        await client.aclose()

    assert sorted(b["session_id"] for b in arrived) == sorted(sessions)
    assert [s.route for s in recorder.samples] == [agents.WAVE] * len(sessions)
    errors = sorted(str(s.error) for s in recorder.samples)
    assert errors == ["HTTP 409", "None", "None", "None", "ValueError"]
    assert tally.not_closed == 2  # the two known to be open, answered closed=false
    assert len(wave) == 0


async def test_a_goodbye_whose_connection_fails_is_an_error_of_the_wave(
    bench: SimpleNamespace,
) -> None:
    agents = bench.load_agents
    listening = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    listening.close()
    await listening.wait_closed()  # nobody listens there any more
    recorder, tally = agents.Recorder(), bench.load_report.Tally()
    wave = agents.Wave(recorder)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": "Bearer t"}
    ) as client:
        wave.join(agents.FormTab(client, recorder, tally, "agent"), {"session_id": "s"}, True)
        await wave.send()

    assert [(s.route, s.error) for s in recorder.samples] == [
        (agents.WAVE, "ConnectionRefusedError")
    ]


def a_few_agents(bench: SimpleNamespace, **overrides: object) -> object:
    """Three agents for four seconds against the instant demo ERP."""
    settings = {
        "agents": 3,
        "seconds": 4,
        "baseline_seconds": 2,
        "pace": 0.05,
        "baseline_pace": 0.05,
        "profile": "instant",
        "drain_s": 2,
        **overrides,
    }
    return bench.load.BenchSettings(**settings)


@pytest.mark.timeout(60)
async def test_agents_without_a_device_ask_the_server_every_keystroke(
    bench: SimpleNamespace, tmp_path: Path
) -> None:
    settings = a_few_agents(bench, form_search="server")

    result = await bench.load.measure_sqlite(settings, tmp_path)

    routes = {s.route.partition(" (")[0] for s in result.load.samples}
    assert {
        "POST /api/customers/smart-sync",
        "POST /api/customers/heartbeat",
        "GET /api/customers",
        "GET /api/products",
        "GET /api/products/{code}/prices",
        "POST /api/drafts",
        "POST /api/customers/resume-syncs",
    } <= routes
    assert result.load.tally.sessions >= 3
    assert result.drafts.agents == 4
    assert result.drafts.saved > 0
    assert "overlaps" in result.erp
    assert set(result.waits) == set(bench.load_report.SYNC_TYPES)
    lines = bench.load_report.report(result)
    assert lines[0].startswith("erpsync under load on SQLite")
    assert lines[-1] == "all targets met" or lines[-1].startswith("TARGET MISSED")


@pytest.mark.timeout(60)
async def test_agents_with_a_device_search_on_it_once_it_has_caught_up(
    bench: SimpleNamespace, tmp_path: Path
) -> None:
    settings = a_few_agents(bench)

    result = await bench.load.measure_sqlite(settings, tmp_path)

    kinds = {s.route for s in result.load.samples if s.route.startswith("GET /api/offline/")}
    assert kinds & {
        "GET /api/offline/customers (unchanged, 304)",
        "GET /api/offline/customers (changes)",
    }, kinds
    assert result.load.tally.device_searches > 0
    assert result.load.tally.device_misses < result.load.tally.device_searches
    assert not [s for s in result.load.samples if s.error], "no request failed"
    assert result.drafts.saved > 0
