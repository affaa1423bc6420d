"""What the dashboard's event streams cost the server: the CPU of an order form's open and
close (its smart sync included) with no stream open, the baseline, and with many open.

Every stream gets every coordination step, and a form's open and close are several steps
(the session, the pause, the smart sync's run, the resume), so the cost grows with the
streams. A real ``erpsync serve`` runs as a subprocess on the demo ERP's ``instant`` profile
(the ERP's latency is not what is measured) and a fresh SQLite file; one agent opens and closes
forms one after another; the CPU is the server process's, from Linux ``/proc``. Printed: the
server's CPU per form with each number of streams, what each step delivered to one stream cost,
and the ratio to the baseline.

    python bench/event_fanout.py [--streams 100] [--forms 100]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from load import create_people, serving
from load_cpu import process_ticks

TICKS_PER_S = os.sysconf("SC_CLK_TCK")
READY_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Figures:
    streams: int
    forms: int
    cpu_ms_per_form: float
    events: int


class Streams:
    """``count`` open event streams, each counting the events it receives."""

    def __init__(self, base_url: str, token: str, count: int) -> None:
        self._clients = [
            httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"})
            for _ in range(count)
        ]
        self._tasks: list[asyncio.Task[None]] = []
        self.greeted = 0
        self.events = 0

    async def __aenter__(self) -> Streams:
        self._tasks = [asyncio.create_task(self._watch(c)) for c in self._clients]
        deadline = time.monotonic() + READY_TIMEOUT_S
        while self.greeted < len(self._clients):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.greeted} of {len(self._clients)} streams opened")
            await asyncio.sleep(0.05)
        return self

    async def __aexit__(self, *_: object) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                await task
        for client in self._clients:
            await client.aclose()

    async def _watch(self, client: httpx.AsyncClient) -> None:
        timeout = httpx.Timeout(10, read=None)
        async with client.stream("GET", "/api/sync/events", timeout=timeout) as response:
            response.raise_for_status()
            async for line in response.aiter_lines():
                if line == "event: hello":
                    self.greeted += 1
                elif line.startswith("event:"):
                    self.events += 1


async def forms(client: httpx.AsyncClient, count: int) -> None:
    """Open and close ``count`` order forms one after another, each with its smart sync."""
    for _ in range(count):
        body = {"session_id": uuid.uuid4().hex, "instance": uuid.uuid4().hex}
        (await client.post("/api/customers/smart-sync", json=body)).raise_for_status()
        (await client.post("/api/customers/resume-syncs", json=body)).raise_for_status()


async def measure(streams: int, count: int, folder: Path) -> list[Figures]:
    url = f"sqlite:///{folder / 'fanout.db'}"
    people = create_people(url, 1)
    async with serving(url, folder, "instant", 2.0) as server:
        pid = server.process.pid
        headers = {"Authorization": f"Bearer {people.agents[0].token}"}
        async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as agent:
            await forms(agent, min(count, 10))  # the first syncs, connections, caches
            found = []
            for open_streams in (0, streams):
                async with Streams(server.base_url, people.admin_token, open_streams) as live:
                    before = process_ticks(pid)
                    await forms(agent, count)
                    await asyncio.sleep(0.5)  # the last steps reach the streams
                    used = (process_ticks(pid) - before) / TICKS_PER_S
                    found.append(Figures(open_streams, count, used * 1000 / count, live.events))
            return found


def report(figures: list[Figures]) -> list[str]:
    baseline, loaded = figures[0], figures[-1]
    lines = [
        f"event streams: server CPU per order form opened and closed ({loaded.forms} forms)",
        f"{'streams':>8}{'CPU/form':>12}{'events/stream/form':>21}{'per event':>12}{'ratio':>8}",
    ]
    for row in figures:
        per_stream = row.events / max(row.streams, 1) / row.forms
        extra = row.cpu_ms_per_form - baseline.cpu_ms_per_form
        per_event = extra / (per_stream * row.streams) if row.events else 0.0
        # CPU time comes in clock ticks (10 ms): a few quick forms may show none
        ratio = row.cpu_ms_per_form / baseline.cpu_ms_per_form if baseline.cpu_ms_per_form else 0
        lines.append(
            f"{row.streams:>8}{row.cpu_ms_per_form:>9.1f} ms{per_stream:>21.1f}"
            f"{per_event:>9.3f} ms{ratio:>7.1f}x"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--streams", type=int, default=100)
    parser.add_argument("--forms", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        figures = asyncio.run(measure(args.streams, args.forms, Path(folder)))
    print("\n".join(report(figures)))


if __name__ == "__main__":
    main()
