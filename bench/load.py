"""The service under many agents at once: 200 field agents working the order form for 60 s.

A real ``erpsync serve`` runs as a subprocess, with its embedded demo ERP and the scheduler on,
against a fresh SQLite file or a fresh PostgreSQL database. Each agent is a user of its own
(agent codes A01-A03, the demo data's) signing in with an API token, and works the form as its
page does (see ``load_agents.py``). Before the load, the six types are mirrored in full and
every type is made due every minute, so syncs come due all through the load; then one agent
alone works the form (the baseline, in the same run) and then all of them, with every type
requested as they start.

Printed per route: requests, errors, p50/p95/p99 loaded, the same with one agent, the ratio,
and the 250 ms p95 target; then how long each sync type went without a completed run, the
drafts check (every draft saved is listed once afterwards), the demo ERP's overlaps and what
the server logged.

The demo ERP runs its ``realistic`` profile by default: the ERP's own latency is what keeps
its single session busy, so the smart syncs wait for the page in flight and the scheduled syncs
hold the session as long as they do in the field. ``instant`` measures the web tier alone.

    python bench/load.py [--agents 200] [--seconds 60] [--database sqlite|postgres|both]

``ERPSYNC_WORKER_THREADS`` set for the bench reaches the server; nothing else of the caller's
``ERPSYNC_*`` does.

Exits non-zero only when the bench could not run; missed targets are printed, not fatal.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import ssl
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from argon2 import PasswordHasher
from load_agents import Crew, Identity, Recorder, agent_client, run_phase
from load_cpu import cpu_share, metering, read_cpu
from load_device import DeviceSlice, warm_devices
from load_report import (
    SYNC_TYPES,
    DraftCheck,
    Phase,
    RunResult,
    percentile,
    report,
    scan_log,
    sync_waits,
)
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from erpsync.adapters.clock import SystemClock
from erpsync.adapters.db.engine import build_engine, is_sqlite, normalise_url
from erpsync.adapters.db.migrate import upgrade
from erpsync.adapters.db.users import SqlUserStore
from erpsync.auth.passwords import Passwords
from erpsync.demo_erp import DemoErpConfig
from erpsync.services.accounts import Accounts

SRC = Path(__file__).resolve().parents[1] / "src"
#: Settings of the bench's own environment that reach the server, to compare tunings.
PASSED_ON = frozenset({"ERPSYNC_WORKER_THREADS"})
ERP_TOKEN = "demo-token"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
#: Upper bounds on the waits, so a broken build ends the bench instead of hanging it.
START_TIMEOUT_S = 60.0
WARM_UP_TIMEOUT_S = 600.0
STOP_TIMEOUT_S = 20.0
#: Generator loop lag beyond this means the latencies include the generator's own queueing.
LAG_WARNING_S = 0.05
#: Other processes using more than this (% of a core) during the load are worth a note.
OTHERS_WARNING_PCT = 25.0


class BenchError(RuntimeError):
    """The bench could not take its measurement (no server, no database, a failed warm-up)."""


@dataclass(frozen=True)
class BenchSettings:
    """What one run does; the command line's options."""

    agents: int = 200
    seconds: float = 60.0
    baseline_seconds: float = 30.0
    #: Think times are multiplied by this under load; the baseline agent thinks faster so
    #: it calls every route often enough in its shorter stretch (it is alone all the same).
    pace: float = 1.0
    baseline_pace: float = 0.25
    ramp_s: float = 5.0
    profile: str = "realistic"
    interval_minutes: float = 1.0
    #: How many intervals open forms may hold a type back before it runs anyway: half of one;
    #: every type is requested as the load begins, so the 60 s of load outlast the budget and
    #: show whether the types still sync.
    starvation_budget: float = 0.5
    drain_s: float = 60.0
    seed: int = 7
    #: ``device``: each agent's browser keeps its slice (downloaded before the load, as on
    #: any day after the first) and the form searches on it; ``server``: browsers keeping
    #: none, every keystroke a request.
    form_search: str = "device"


@dataclass(frozen=True)
class People:
    agents: list[Identity]
    idle: Identity
    admin_token: str


# -- the database and its users -----------------------------------------------------------------


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one run, dropped afterwards."""
    name = f"erpsync_load_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        raise BenchError(f"PostgreSQL at {admin_url} is not reachable: {exc.orig}") from None
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url.replace("postgresql+psycopg://", "postgresql://")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def postgres_reachable(admin_url: str) -> bool:
    engine = create_engine(normalise_url(admin_url))
    try:
        with engine.connect():
            return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


def create_people(url: str, agents: int) -> People:
    """The agents (agent codes in turn), the baseline agent and an admin, with a token each.

    They sign in with tokens only, so their passwords get the cheapest argon2 parameters:
    200 users are made in a second instead of ten.
    """
    engine = build_engine(url)
    try:
        upgrade(engine)
        cheap = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        accounts = Accounts(SqlUserStore(engine), cheap, SystemClock())
        codes = DemoErpConfig().agent_codes

        def agent(name: str, n: int) -> Identity:
            code = codes[n % len(codes)]
            accounts.add_user(name, uuid.uuid4().hex, agent_code=code)
            return Identity(name, code, accounts.issue_token(name, "load bench"))

        crew = [agent(f"agente-{n:03d}", n) for n in range(1, agents + 1)]
        idle = agent("agente-solo", 0)
        accounts.add_user("ufficio-bench", uuid.uuid4().hex, admin=True)
        return People(crew, idle, accounts.issue_token("ufficio-bench", "load bench"))
    finally:
        engine.dispose()


# -- the server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    base_url: str
    erp_url: str
    log: Path
    process: asyncio.subprocess.Process

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def server_env(
    url: str, folder: Path, port: int, erp_port: int, profile: str, budget: float
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ERPSYNC_") or k in PASSED_ON}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH")) if p)
    env.update(
        ERPSYNC_DATABASE_URL=url,
        ERPSYNC_HOST="127.0.0.1",
        ERPSYNC_PORT=str(port),
        ERPSYNC_DEMO_ERP_PORT=str(erp_port),
        ERPSYNC_DEMO_ERP_PROFILE=profile,
        ERPSYNC_DATA_DIR=str(folder),
        ERPSYNC_DEMO_USERS="false",
        ERPSYNC_STARVATION_BUDGET_INTERVALS=str(budget),
    )
    return env


@asynccontextmanager
async def serving(url: str, folder: Path, profile: str, budget: float) -> AsyncIterator[Server]:
    """``erpsync serve`` in a subprocess until the block ends; its output goes to a log."""
    port, erp_port = free_port(), free_port()
    log = folder / "serve.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "erpsync",
            "serve",
            env=server_env(url, folder, port, erp_port, profile, budget),
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{erp_port}", log, process)
    try:
        await wait_ready(server)
        yield server
    finally:
        await stop(process)


async def wait_ready(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    async with httpx.AsyncClient(base_url=server.base_url, timeout=2) as client:
        while time.monotonic() < deadline:
            if server.process.returncode is not None:
                raise BenchError(f"erpsync serve exited:\n{server.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get("/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise BenchError(f"erpsync serve did not answer in {START_TIMEOUT_S:.0f} s")


async def stop(process: asyncio.subprocess.Process) -> None:
    """Ctrl-C first (a graceful shutdown), then the harder signals."""
    for sent in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        if process.returncode is not None:
            return
        process.send_signal(sent)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)


@asynccontextmanager
async def answering(server: Server) -> AsyncIterator[None]:
    """A server that stops answering ends the bench, with the end of what it logged."""
    try:
        yield
    except httpx.HTTPError as exc:
        raise BenchError(
            f"erpsync serve stopped answering ({type(exc).__name__}: {exc}); its log ends:\n"
            f"{server.log_tail()}"
        ) from None


async def measured_phase(
    server: Server, database: str | None, *args: Any, **kwargs: Any
) -> tuple[Phase, Crew]:
    """:func:`run_phase`, with the CPU each side used meanwhile (``database``: the
    PostgreSQL database whose backends count as the database server's)."""
    before = read_cpu(server.process.pid)
    async with metering(database) as backends:
        phase, crew = await run_phase(server.base_url, *args, **kwargs)
    after = read_cpu(server.process.pid)
    cpu = cpu_share(before, after, None if backends is None else backends.ticks)
    return replace(phase, cpu=cpu), crew


# -- before, during and after the load ----------------------------------------------------------


async def get_json(client: httpx.AsyncClient, path: str, **params: Any) -> dict[str, Any]:
    response = await client.get(path, params=params or None)
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


async def warm_up(admin: httpx.AsyncClient) -> float:
    """Mirror all six types in full and wait until nothing runs or waits; seconds taken."""
    started = time.monotonic()
    (await admin.post("/api/sync/all", json={"mode": "full"})).raise_for_status()
    while time.monotonic() - started < WARM_UP_TIMEOUT_S:
        runs = (await get_json(admin, "/api/sync/runs", limit=100))["runs"]
        done = {r["type"] for r in runs if r["mode"] == "full" and r["status"] == "completed"}
        failed = [r for r in runs if r["status"] == "failed"]
        if failed:
            raise BenchError(f"warm-up: {failed[0]['type']} failed: {failed[0]['error']}")
        status = await get_json(admin, "/api/sync/status")
        if done >= set(SYNC_TYPES) and status["current"] is None and not status["queue"]:
            return time.monotonic() - started
        await asyncio.sleep(0.5)
    raise BenchError(f"warm-up: the six full syncs did not end in {WARM_UP_TIMEOUT_S:.0f} s")


async def devices_ready(
    base_url: str, identities: list[Identity]
) -> tuple[dict[str, DeviceSlice], float]:
    """Every agent's device holding its slice; seconds taken."""
    started = time.monotonic()
    recorder = Recorder()
    tls = ssl.create_default_context()
    async with contextlib.AsyncExitStack() as stack:
        clients = {
            who.name: await stack.enter_async_context(agent_client(base_url, who, tls))
            for who in identities
        }
        try:
            devices = await warm_devices([who.name for who in identities], recorder.call, clients)
        except RuntimeError as exc:
            raise BenchError(f"devices: {exc}") from exc
    return devices, time.monotonic() - started


async def shorten_schedule(admin: httpx.AsyncClient, minutes: float) -> None:
    """Every type due every ``minutes``, priorities unchanged, so syncs come due under load."""
    schedule = await get_json(admin, "/api/sync/schedule")
    for entry in schedule["types"]:
        body = {"interval_minutes": minutes, "offset_minutes": 0, "priority": entry["priority"]}
        answer = await admin.put(f"/api/sync/schedule/{entry['type']}", json=body)
        if answer.status_code != 200:
            raise BenchError(f"schedule of {entry['type']}: {answer.status_code} {answer.text}")


async def queued_reasons(admin: httpx.AsyncClient, after_s: float) -> dict[str, str]:
    """After ``after_s``, why each queued type waits (``forms_open``…)."""
    await asyncio.sleep(after_s)
    with contextlib.suppress(httpx.HTTPError):
        status = await get_json(admin, "/api/sync/status")
        return {q["type"]: q["reason"] for q in status["queue"]}
    return {}


async def drain(admin: httpx.AsyncClient, seconds: float) -> None:
    """With the forms closed, let what waited run (up to ``seconds``)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = await get_json(admin, "/api/sync/status")
        if status["current"] is None and not status["queue"]:
            return
        await asyncio.sleep(0.5)


async def check_drafts(
    base_url: str, people: Mapping[str, Identity], crews: list[Crew]
) -> DraftCheck:
    """``GET /api/drafts`` for every agent, against what each was told it had saved."""
    check = DraftCheck()
    gate = asyncio.Semaphore(16)

    async def listed(client: httpx.AsyncClient, who: Identity) -> list[str]:
        async with gate:
            answer = await client.get(
                "/api/drafts", headers={"Authorization": f"Bearer {who.token}"}
            )
            answer.raise_for_status()
            return [d["id"] for d in answer.json()["drafts"]]

    saved: dict[str, tuple[set[str], set[str]]] = {}
    for crew in crews:
        for name, (ok, unsure) in crew.saved().items():
            mine = saved.setdefault(name, (set(), set()))
            mine[0].update(ok)
            mine[1].update(unsure)
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        names = sorted(saved)
        lists = await asyncio.gather(*(listed(client, people[n]) for n in names))
    for name, ids in zip(names, lists, strict=True):
        ok, unsure = saved[name]
        check.add(ok, unsure - ok, ids)
    return check


async def erp_stats(erp_url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(
        base_url=erp_url, headers={"Authorization": f"Bearer {ERP_TOKEN}"}, timeout=10
    ) as erp:
        return await get_json(erp, "/admin/stats")


def progress(message: str) -> None:
    print(f"[load] {message}", file=sys.stderr, flush=True)


def _notes(settings: BenchSettings, load: Phase) -> list[str]:
    notes = [f"{k}={os.environ[k]} for the server" for k in sorted(PASSED_ON) if k in os.environ]
    lag = percentile(list(load.lag), 0.99)
    if lag is not None and lag > LAG_WARNING_S:
        notes.append(
            "the load generator's own loop lagged (p99 above "
            f"{LAG_WARNING_S * 1000:.0f} ms): part of the loaded latency is the generator's"
        )
    cpu = load.cpu
    if cpu is not None and cpu.others > OTHERS_WARNING_PCT:
        notes.append(
            f"other processes on this machine used {cpu.others:.0f}% of a core during the load: "
            "the server had less CPU than the machine has, and its latencies show it"
        )
    if settings.form_search == "server":
        notes.append("no device: every keystroke of a search and every price asked of the server")
    else:
        notes.append(
            "searches on each agent's device (its slice downloaded before the load), prices "
            "there once the slice caught up after the smart sync"
        )
    if settings.profile == "instant":
        notes.append("instant ERP: syncs cost no ERP time, so this measures the web tier alone")
    return notes


async def measure(settings: BenchSettings, database: str, url: str, folder: Path) -> RunResult:
    """One database: users, server, warm-up, baseline, load, drain, checks."""
    progress(f"{database}: creating {settings.agents + 2} users")
    people = await asyncio.to_thread(create_people, url, settings.agents)
    everyone = {p.name: p for p in [*people.agents, people.idle]}
    backends = None if is_sqlite(url) else make_url(normalise_url(url)).database
    async with (
        serving(url, folder, settings.profile, settings.starvation_budget) as server,
        answering(server),
    ):
        admin = httpx.AsyncClient(
            base_url=server.base_url,
            headers={"Authorization": f"Bearer {people.admin_token}"},
            timeout=30,
        )
        async with admin:
            progress(f"{database}: warming up (six full syncs, {settings.profile} ERP)")
            warmed = await warm_up(admin)
            await shorten_schedule(admin, settings.interval_minutes)
            devices = None
            if settings.form_search == "device":
                progress(f"{database}: every agent's device downloads its slice")
                devices, devices_s = await devices_ready(
                    server.base_url, [*people.agents, people.idle]
                )
                progress(f"{database}: {len(devices)} devices ready in {devices_s:.0f} s")
            progress(f"{database}: baseline, 1 agent for {settings.baseline_seconds:g} s")
            idle, idle_crew = await measured_phase(
                server,
                backends,
                [people.idle],
                settings.baseline_seconds,
                pace=settings.baseline_pace,
                ramp_s=0,
                seed=settings.seed,
                devices=devices,
            )
            progress(f"{database}: load, {settings.agents} agents for {settings.seconds:g} s")
            # Every type wanted as the load begins: each is past its budget well inside it.
            (await admin.post("/api/sync/all")).raise_for_status()
            reasons = asyncio.create_task(queued_reasons(admin, max(0.0, settings.seconds - 1)))
            load, crew = await measured_phase(
                server,
                backends,
                people.agents,
                settings.seconds,
                pace=settings.pace,
                ramp_s=min(settings.ramp_s, settings.seconds / 4),
                seed=settings.seed,
                devices=devices,
            )
            queued = await reasons
            progress(f"{database}: the forms are closed; letting the waiting syncs run")
            await drain(admin, settings.drain_s)
            runs = (await get_json(admin, "/api/sync/runs", limit=500))["runs"]
            drafts = await check_drafts(server.base_url, everyone, [idle_crew, crew])
            erp = await erp_stats(server.erp_url)
    log = scan_log(server.log.read_text(errors="replace").splitlines())
    return RunResult(
        database=database,
        profile=settings.profile,
        interval_minutes=settings.interval_minutes,
        starvation_budget=settings.starvation_budget,
        load=load,
        idle=idle,
        drafts=drafts,
        erp=erp,
        waits=sync_waits(runs, load.started, load.ended, queued=queued),
        log=log,
        warm_up_s=warmed,
        notes=_notes(settings, load),
    )


async def measure_sqlite(settings: BenchSettings, folder: Path) -> RunResult:
    return await measure(settings, "SQLite", f"sqlite:///{folder / 'erpsync.db'}", folder)


async def measure_postgres(settings: BenchSettings, admin_url: str, folder: Path) -> RunResult:
    with postgres_database(admin_url) as url:
        return await measure(settings, "PostgreSQL", url, folder)


# -- the command line ---------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--agents", type=int, default=200, help="agents under load")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the load")
    parser.add_argument(
        "--database", choices=("sqlite", "postgres", "both"), default="both", help="where to run"
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("ERPSYNC_TEST_POSTGRES_URL", DEFAULT_POSTGRES),
        help="a PostgreSQL server the bench may create (and drop) a database on",
    )
    parser.add_argument("--baseline-seconds", type=float, default=30.0)
    parser.add_argument("--pace", type=float, default=1.0, help="think times x this, loaded")
    parser.add_argument("--baseline-pace", type=float, default=0.25, help="think times x this")
    parser.add_argument("--profile", choices=("realistic", "instant"), default="realistic")
    parser.add_argument("--interval-minutes", type=float, default=1.0, help="every type's")
    parser.add_argument("--drain-seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--form-search",
        choices=("device", "server"),
        default="device",
        help="where the form searches once its device is current (server: browsers keeping none)",
    )
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> list[list[str]]:
    settings = BenchSettings(
        agents=args.agents,
        seconds=args.seconds,
        baseline_seconds=args.baseline_seconds,
        pace=args.pace,
        baseline_pace=args.baseline_pace,
        profile=args.profile,
        interval_minutes=args.interval_minutes,
        drain_s=args.drain_seconds,
        seed=args.seed,
        form_search=args.form_search,
    )
    reports = []
    with tempfile.TemporaryDirectory(prefix="erpsync-load-") as folder:
        if args.database in ("sqlite", "both"):
            sqlite_folder = Path(folder) / "sqlite"
            sqlite_folder.mkdir()
            reports.append(report(await measure_sqlite(settings, sqlite_folder)))
            print("\n".join(reports[-1]) + "\n", flush=True)
        if args.database == "both" and not postgres_reachable(args.postgres_url):
            reports.append([f"PostgreSQL run skipped: nothing answers at {args.postgres_url}"])
            print(reports[-1][0], flush=True)
        elif args.database in ("postgres", "both"):
            pg_folder = Path(folder) / "postgres"
            pg_folder.mkdir()
            reports.append(report(await measure_postgres(settings, args.postgres_url, pg_folder)))
            print("\n".join(reports[-1]) + "\n", flush=True)
    return reports


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    try:
        asyncio.run(run(args))
    except BenchError as exc:
        print(f"load bench could not run: {exc}", file=sys.stderr)
        return 2
    print(f"(bench wall time {time.perf_counter() - started:.0f} s, {datetime.now(UTC):%H:%M} UTC)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
