"""``bench/event_fanout.py`` still measures end to end: a real server, a few streams and forms."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.bench_scripts import load_bench


async def test_the_bench_counts_every_step_each_stream_got_and_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench = load_bench("event_fanout", monkeypatch)

    baseline, loaded = await bench.measure(3, 4, tmp_path)

    assert (baseline.streams, baseline.events) == (0, 0)
    assert loaded.streams == 3 and loaded.forms == 4
    # a form's open and close: opened, paused, requested, started, completed, closed, resumed…
    assert loaded.events >= 3 * 4 * 5
    assert baseline.cpu_ms_per_form >= 0 and loaded.cpu_ms_per_form >= 0
    lines = bench.report([baseline, loaded])
    assert lines[2].split()[0] == "0" and lines[3].split()[0] == "3"
    assert lines[3].endswith("x")
