"""Who used the CPU during a phase: the server, its PostgreSQL backends, the load generator,
and everything else on the machine (from Linux ``/proc``; nothing where there is none).

On a machine shared with other work the latencies mean little without this: a server that
got half a core answers slower than one that had a core to itself."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from load_report import CpuShare

PROC = "/proc"
#: How often the database backends are looked at: a backend the pool opens and closes
#: between two looks is missed, so this is a lower bound.
SAMPLE_EVERY_S = 0.5


@dataclass(frozen=True)
class CpuReading:
    """Clock ticks used so far: by all CPUs, by the server, by this process."""

    at: float
    busy: int
    server: int
    generator: int


def process_ticks(pid: int | str) -> int:
    """User and system time of one process (all its threads)."""
    with open(f"{PROC}/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return int(fields[11]) + int(fields[12])


def read_cpu(server_pid: int) -> CpuReading | None:
    try:
        with open(f"{PROC}/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:9]]
        busy = sum(values) - values[3] - values[4]  # all but idle and iowait
        return CpuReading(time.monotonic(), busy, process_ticks(server_pid), process_ticks("self"))
    except (OSError, ValueError, IndexError):
        return None


def backend_ticks(database: str) -> dict[int, int]:
    """Ticks of each PostgreSQL backend serving ``database`` (their titles name it)."""
    found = {}
    with contextlib.suppress(OSError):
        for name in os.listdir(PROC):
            if not name.isdigit():
                continue
            try:
                with open(f"{PROC}/{name}/cmdline", "rb") as cmdline:
                    title = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
                if title.startswith("postgres:") and f" {database} " in title:
                    found[int(name)] = process_ticks(name)
            except (OSError, ValueError, IndexError):  # it ended meanwhile
                continue
    return found


class BackendMeter:
    """The database backends' ticks over a stretch: those alive at its start count from
    there, those born during it from zero."""

    def __init__(self, database: str) -> None:
        self.database = database
        self._start = backend_ticks(database)
        self._last = dict(self._start)

    def sample(self) -> None:
        self._last.update(backend_ticks(self.database))

    @property
    def ticks(self) -> int:
        return sum(t - self._start.get(pid, 0) for pid, t in self._last.items())


@asynccontextmanager
async def metering(database: str | None) -> AsyncIterator[BackendMeter | None]:
    """A :class:`BackendMeter` sampling in the background while the block runs."""
    if database is None:
        yield None
        return
    meter = BackendMeter(database)

    async def keep_sampling() -> None:
        while True:
            await asyncio.sleep(SAMPLE_EVERY_S)
            meter.sample()

    task = asyncio.create_task(keep_sampling())
    try:
        yield meter
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        meter.sample()


def cpu_share(
    before: CpuReading | None, after: CpuReading | None, database_ticks: int | None = None
) -> CpuShare | None:
    """What each used between two readings, in per cent of one core."""
    if before is None or after is None or after.at <= before.at:
        return None
    per_core = (after.at - before.at) * os.sysconf("SC_CLK_TCK") / 100
    server = after.server - before.server
    generator = after.generator - before.generator
    database = database_ticks or 0
    others = max(0, after.busy - before.busy - server - generator - database)
    return CpuShare(
        server / per_core,
        generator / per_core,
        others / per_core,
        os.cpu_count() or 1,
        None if database_ticks is None else database / per_core,
    )
