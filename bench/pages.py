"""The agent's book on a large mirror: how long ``/customers/{code}`` and ``/api/orders`` take
the server, with the book's indexes (migration 0009) and, in the same run, without them.

The demo ERP's data is scaled to ``--orders`` orders (``ddt`` 1.1 times as many, as many
invoices, the other volumes its defaults), served on its instant profile over HTTP on 127.0.0.1
and mirrored through erpsync's real sync (all six types, full); the mirroring is timed. Then a
real ``erpsync serve`` runs as a subprocess on that database (no scheduler, no hydration, the
bench's demo ERP as its ERP) and an agent (``A01``, a third of the data) signs in with an API
token. Requests go one at a time over a kept-alive connection, so each latency is the server's
time plus the loopback's:

    card           ``/customers/{code}`` (the HTML card) for a sample of the agent's customers,
                   the busiest included
    orders         ``/api/orders``, the first page
    by customer    ``/api/orders?customer=``, the sampled customers in turn
    by date range  ``/api/orders?from=&to=``, 30-day windows across the year of data
    by state       ``/api/orders?state=``, every state in turn
    deep page      ``/api/orders?after=``, cursors from the back half of the agent's orders,
                   reached by walking every page through ``next``

All requests are made once untimed, then timed in one shuffled order; then the six indexes of
migration 0009 are dropped, the same requests timed again (the baseline) and the indexes
recreated. Printed per kind: p50 and p95 with and without the indexes, the p95 against the
50 ms target (issue 10), and how many times faster the indexes make it.

    python bench/pages.py [--orders 100000] [--database sqlite|postgres|both]
        [--postgres-url URL] [--customers 200] [--samples 100] [--seed 7]

PostgreSQL runs in a fresh database created on the server of ``--postgres-url`` and dropped
afterwards; the mirror (order lines included) is analysed after the sync and after each index
change, as autovacuum would soon do. SQLite is left as erpsync leaves it: never analysed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx
from argon2 import PasswordHasher
from sqlalchemy import Engine, Index, create_engine, text
from sqlalchemy.exc import OperationalError

from erpsync.adapters.clock import SystemClock
from erpsync.adapters.db.engine import build_engine, normalise_url
from erpsync.adapters.db.migrate import upgrade
from erpsync.adapters.db.mirror import SqlMirrorStore
from erpsync.adapters.db.runs import SqlRunStore
from erpsync.adapters.db.tables import child_tables, mirror_tables
from erpsync.adapters.db.users import SqlUserStore
from erpsync.adapters.erp_http import HttpErpSource
from erpsync.auth.passwords import Passwords
from erpsync.demo_erp import DemoErpConfig, LatencyProfile, Volumes, demo_erp_server
from erpsync.domain.types import SyncMode, SyncType, Trigger
from erpsync.ports import SyncJob
from erpsync.services.accounts import Accounts
from erpsync.services.sync_runner import SyncRunner

#: Issue 10: the server's p95 for the card and the orders list.
TARGET_P95_MS = 50.0
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SRC = Path(__file__).resolve().parents[1] / "src"
ERP_TOKEN = "demo-token"
AGENT_CODE = "A01"
#: The indexes of migration 0009, the baseline runs without.
BOOK_INDEXES = (
    "ix_orders_customer_date",
    "ix_orders_agent_date",
    "ix_ddt_order_number",
    "ix_ddt_customer_date",
    "ix_invoices_order_number",
    "ix_invoices_customer_date",
)
KINDS = ("card", "orders", "by customer", "by date range", "by state", "deep page")
DATE_WINDOW = timedelta(days=30)
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0
REQUEST_TIMEOUT_S = 120.0


class BenchError(RuntimeError):
    """The bench could not take its measurement (no server, no database, a failed request)."""


@dataclass(frozen=True)
class Probe:
    """One measured request."""

    kind: str
    path: str
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Figures:
    """One kind's latencies in milliseconds, with the book's indexes and without."""

    kind: str
    indexed: list[float]
    bare: list[float]

    @property
    def met(self) -> bool:
        return percentile(self.indexed, 0.95) <= TARGET_P95_MS


@dataclass(frozen=True)
class Result:
    database: str
    orders: int
    agent_orders: int
    customers: int
    mirror_s: dict[SyncType, float]
    figures: list[Figures]


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-quantile (0..1) by linear interpolation between closest ranks.

    Raises:
        ValueError: no values.
    """
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def volumes(orders: int) -> Volumes:
    """The demo ERP's default volumes with its documents scaled to ``orders`` orders."""
    return Volumes(orders=orders, ddt=orders * 11 // 10, invoices=orders)


# -- the mirror ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def demo_erp(config: DemoErpConfig) -> Iterator[str]:
    """A fresh demo ERP on a free 127.0.0.1 port, in a thread; yields its base URL."""
    port = free_port()
    server = demo_erp_server("127.0.0.1", port, config, embedded=True)
    thread = threading.Thread(
        target=lambda: asyncio.run(server.serve()), name="demo-erp", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise BenchError("the demo ERP did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=STOP_TIMEOUT_S)


async def mirror(erp_url: str, engine: Engine) -> dict[SyncType, float]:
    """Every type synced in full through HTTP; the seconds each took."""
    source = HttpErpSource(erp_url, ERP_TOKEN, timeout_s=REQUEST_TIMEOUT_S)
    runner = SyncRunner(source, SqlMirrorStore(engine), SqlRunStore(engine), SystemClock())
    seconds: dict[SyncType, float] = {}
    try:
        for type in SyncType:
            started = time.perf_counter()
            run = await runner.run(SyncJob(type, SyncMode.FULL, Trigger.MANUAL))
            if run.status != "completed":
                raise BenchError(f"the {type} sync ended {run.status}: {run.error}")
            seconds[type] = time.perf_counter() - started
    finally:
        await source.aclose()
    return seconds


def analyse(engine: Engine) -> None:
    """PostgreSQL's statistics of the mirror, order lines included, as autovacuum would soon
    gather them (SQLite keeps none unless told: erpsync never analyses it)."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in (*mirror_tables, *child_tables):
                conn.execute(text(f"ANALYZE {table}"))


def book_indexes() -> list[Index]:
    declared = {str(ix.name): ix for table in mirror_tables.values() for ix in table.indexes}
    return [declared[name] for name in BOOK_INDEXES]


@contextmanager
def without_book_indexes(engine: Engine) -> Iterator[None]:
    """The book's indexes dropped for the block, recreated after it."""
    indexes = book_indexes()
    with engine.begin() as conn:
        for index in indexes:
            index.drop(conn)
    analyse(engine)
    try:
        yield
    finally:
        with engine.begin() as conn:
            for index in indexes:
                index.create(conn)
        analyse(engine)


def agent_token(engine: Engine) -> str:
    """A new agent user of ``AGENT_CODE`` and an API token for it (cheap argon2: it signs in
    with the token only)."""
    cheap = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    accounts = Accounts(SqlUserStore(engine), cheap, SystemClock())
    accounts.add_user("agente-bench", uuid.uuid4().hex, agent_code=AGENT_CODE)
    return accounts.issue_token("agente-bench", "pages bench")


@contextmanager
def sqlite_url(folder: Path) -> Iterator[str]:
    yield f"sqlite:///{folder / 'bench.db'}"


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one run, dropped afterwards."""
    name = f"erpsync_pages_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        raise BenchError(f"PostgreSQL at {admin_url} is not reachable: {exc.orig}") from None
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- the server ---------------------------------------------------------------------------------


def server_env(database_url: str, erp_url: str, folder: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ERPSYNC_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH")) if p)
    env.update(
        ERPSYNC_DATABASE_URL=database_url,
        ERPSYNC_HOST="127.0.0.1",
        ERPSYNC_PORT=str(port),
        ERPSYNC_ERP_URL=erp_url,
        ERPSYNC_ERP_TOKEN=ERP_TOKEN,
        ERPSYNC_SCHEDULER="false",
        ERPSYNC_HYDRATE_ON_START="false",
        ERPSYNC_DEMO_USERS="false",
        ERPSYNC_DATA_DIR=str(folder),
        ERPSYNC_LOG_LEVEL="WARNING",
    )
    return env


@contextmanager
def serving(
    database_url: str, erp_url: str, folder: Path, extra_env: dict[str, str] | None = None
) -> Iterator[str]:
    """``erpsync serve`` in a subprocess until the block ends (``extra_env``: settings of its
    own); yields its base URL."""
    port = free_port()
    log = folder / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "erpsync", "serve"],
            env={**server_env(database_url, erp_url, folder, port), **(extra_env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base_url, process, log)
        yield base_url
    finally:
        for sent in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            if process.poll() is not None:
                break
            process.send_signal(sent)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(STOP_TIMEOUT_S)


def wait_ready(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"erpsync serve exited:\n{log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise BenchError(f"erpsync serve did not answer in {START_TIMEOUT_S:.0f} s")


# -- the requests -------------------------------------------------------------------------------


def sample_customers(engine: Engine, count: int, rng: random.Random) -> list[str]:
    """``count`` of the agent's customers: the busiest (most orders) first, the rest random."""
    query = text(
        "SELECT c.code, COUNT(o.number) AS n FROM customers c "
        "LEFT JOIN orders o ON o.customer_code = c.code AND o.deleted_at IS NULL "
        "WHERE c.agent_code = :agent AND c.deleted_at IS NULL GROUP BY c.code "
        "ORDER BY n DESC, c.code"
    )
    with engine.connect() as conn:
        codes = [row.code for row in conn.execute(query, {"agent": AGENT_CODE})]
    if not codes:
        raise BenchError(f"agent {AGENT_CODE} has no customers in the mirror")
    rest = codes[1:]
    return [codes[0], *rng.sample(rest, min(count - 1, len(rest)))]


def walk_cursors(client: httpx.Client) -> list[str]:
    """Every ``next`` of the agent's orders, walked page by page from the first; checks the
    walk meets each order once."""
    cursors: list[str] = []
    seen: set[str] = set()
    params: dict[str, str] = {}
    while True:
        page = get(client, "/api/orders", params).json()
        for order in page["orders"]:
            if order["number"] in seen:
                raise BenchError(f"order {order['number']} came twice through the cursors")
            seen.add(order["number"])
        if page["next"] is None:
            return cursors
        cursors.append(page["next"])
        params = {"after": page["next"]}


def spread(items: Sequence[str], count: int) -> list[str]:
    """``count`` items evenly spread over ``items`` (all of them when there are fewer)."""
    if len(items) <= count:
        return list(items)
    step = len(items) / count
    return [items[int(i * step)] for i in range(count)]


def plan(
    client: httpx.Client, engine: Engine, customers: int, samples: int, rng: random.Random
) -> tuple[list[Probe], int, int]:
    """The measured requests in a shuffled order, the agent's order count and customers."""
    codes = sample_customers(engine, customers, rng)
    with engine.connect() as conn:
        first, last = conn.execute(
            text("SELECT MIN(date), MAX(date) FROM orders WHERE agent_code = :a"),
            {"a": AGENT_CODE},
        ).one()
        states = sorted(
            row.state for row in conn.execute(text("SELECT DISTINCT state FROM orders"))
        )
        agent_orders = conn.execute(
            text("SELECT COUNT(*) FROM orders WHERE agent_code = :a AND deleted_at IS NULL"),
            {"a": AGENT_CODE},
        ).scalar_one()
    first, last = date.fromisoformat(str(first)), date.fromisoformat(str(last))
    cursors = walk_cursors(client)
    probes = [Probe("card", f"/customers/{code}") for code in codes]
    probes += [Probe("orders", "/api/orders") for _ in range(samples)]
    probes += [
        Probe("by customer", "/api/orders", (("customer", codes[i % len(codes)]),))
        for i in range(samples)
    ]
    span = max((last - first - DATE_WINDOW).days, 0)
    for _ in range(samples):
        start = first + timedelta(days=rng.randint(0, span))
        window = (("from", start.isoformat()), ("to", (start + DATE_WINDOW).isoformat()))
        probes.append(Probe("by date range", "/api/orders", window))
    probes += [
        Probe("by state", "/api/orders", (("state", states[i % len(states)]),))
        for i in range(samples)
    ]
    deep = spread(cursors[len(cursors) // 2 :], samples)
    probes += [Probe("deep page", "/api/orders", (("after", c),)) for c in deep]
    rng.shuffle(probes)
    return probes, agent_orders, len(codes)


def get(
    client: httpx.Client, path: str, params: dict[str, str] | tuple[tuple[str, str], ...]
) -> httpx.Response:
    response = client.get(path, params=params)
    if response.status_code != 200:
        raise BenchError(f"GET {path} {params} answered {response.status_code}")
    return response


def time_probes(client: httpx.Client, probes: Sequence[Probe]) -> dict[str, list[float]]:
    """Each probe once untimed (warming the caches), then each timed, in milliseconds."""
    for probe in probes:
        get(client, probe.path, probe.params)
    timings: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for probe in probes:
        started = time.perf_counter()
        get(client, probe.path, probe.params)
        timings[probe.kind].append((time.perf_counter() - started) * 1000)
    return timings


# -- one database -------------------------------------------------------------------------------


def measure(
    database: str, url: str, orders: int, customers: int, samples: int, seed: int
) -> Result:
    config = DemoErpConfig(
        seed=seed, volumes=volumes(orders), latency=LatencyProfile.INSTANT, token=ERP_TOKEN
    )
    with tempfile.TemporaryDirectory() as name, demo_erp(config) as erp_url:
        folder = Path(name)
        engine = build_engine(url)
        try:
            upgrade(engine)
            progress(f"{database}: mirroring {orders:,} orders from the demo ERP")
            mirror_s = asyncio.run(mirror(erp_url, engine))
            analyse(engine)
            token = agent_token(engine)
            with (
                serving(url, erp_url, folder) as base_url,
                httpx.Client(
                    base_url=base_url,
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=REQUEST_TIMEOUT_S,
                ) as client,
            ):
                probes, agent_orders, sampled = plan(
                    client, engine, customers, samples, random.Random(seed)
                )
                progress(f"{database}: {len(probes)} requests with the book's indexes")
                indexed = time_probes(client, probes)
                with without_book_indexes(engine):
                    progress(f"{database}: the same requests without them")
                    bare = time_probes(client, probes)
        finally:
            engine.dispose()
    figures = [Figures(kind, indexed[kind], bare[kind]) for kind in KINDS]
    return Result(database, orders, agent_orders, sampled, mirror_s, figures)


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def report(result: Result) -> list[str]:
    total = sum(result.mirror_s.values())
    per_type = ", ".join(f"{t.value} {s:.1f}" for t, s in result.mirror_s.items())
    lines = [
        f"agent's book over {result.orders:,} orders ({result.database}); agent {AGENT_CODE} "
        f"sees {result.agent_orders:,}; {result.customers} customers' cards",
        f"mirrored through the sync in {total:.1f} s ({per_type})",
        "one request at a time: server time plus loopback, ms",
        f"{'request':<15}{'n':>5}{'no index p50':>14}{'p95':>9}{'indexed p50':>13}{'p95':>9}"
        f"{'target':>8}{'':>6}{'vs target':>10}{'speed-up':>10}",
    ]
    for f in result.figures:
        bare95, new95 = percentile(f.bare, 0.95), percentile(f.indexed, 0.95)
        lines.append(
            f"{f.kind:<15}{len(f.indexed):>5}{percentile(f.bare, 0.5):>14.1f}{bare95:>9.1f}"
            f"{percentile(f.indexed, 0.5):>13.1f}{new95:>9.1f}{TARGET_P95_MS:>8.0f}"
            f"{'PASS' if f.met else 'MISS':>6}{TARGET_P95_MS / new95:>9.1f}x{bare95 / new95:>9.1f}x"
        )
    missed = [f.kind for f in result.figures if not f.met]
    lines.append(
        f"TARGET MISSED: {', '.join(missed)}"
        if missed
        else f"all targets met (p95 <= {TARGET_P95_MS:.0f} ms)"
    )
    return lines


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=100_000, help="orders in the demo ERP")
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--customers", type=int, default=200, help="customer cards requested")
    parser.add_argument("--samples", type=int, default=100, help="requests of each orders kind")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    for name in ("orders", "customers", "samples"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    databases = ("sqlite", "postgres") if args.database == "both" else (args.database,)
    for database in databases:
        try:
            with (
                tempfile.TemporaryDirectory() as folder,
                sqlite_url(Path(folder))
                if database == "sqlite"
                else postgres_database(args.postgres_url) as url,
            ):
                result = measure(
                    database, url, args.orders, args.customers, args.samples, args.seed
                )
        except BenchError as error:
            print(f"{database}: the bench could not run: {error}", file=sys.stderr)
            return 1
        print("\n".join(report(result)))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
