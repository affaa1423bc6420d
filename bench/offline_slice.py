"""The agent's slice on the device: what its download costs, what a delta after a few changes
costs, and how fast Chromium searches it, against the server's own search in the same run.

Two datasets: the demo data (the demo ERP's default volumes: 1,500 customers, 4,500 products,
5,000 prices) and the same with ``--customers`` customers (20,000). For each, the demo ERP runs
on its instant profile over HTTP on 127.0.0.1 and a real ``erpsync serve`` runs on a fresh
SQLite database as a subprocess, its first start hydrating the empty mirror (timed). Two users
sign in: an agent of ``A01`` (the agent's slice: a third of the customers) and an admin (every
customer). For each user:

    first download  ``GET /api/offline/{customers,products,prices}`` with gzip accepted: the
                    body as sent (compressed) and as JSON (raw), and the time from the request
                    to its last byte (httpx over loopback); the same download as the order form
                    makes it in Chromium, from the page's resource timing
    delta           10 of the agent's customers changed through the demo ERP's admin API, a
                    customers sync asked for through erpsync's API and awaited, then
                    ``/api/offline/customers?since=`` the first download's cursor
    304             the delta asked again with ``If-None-Match``: the answer's head (no body)
    local search    ``/orders/new`` opened online once in Chromium (the form downloads the
                    slice into IndexedDB); then, inside the page, the user's store opened and
                    loaded once (``DeviceSlice.load()``: IndexedDB read and ``LocalIndex`` built,
                    timed) and ``slice.customers(q)`` timed ``--repeats`` times per query with
                    ``performance.now()`` (Chromium rounds it to 0.1 ms)
    baseline        the server's ``GET /api/customers?q=`` for the same queries, ``fetch``ed
                    from the same page and read as JSON, ``--server-repeats`` times per query

Queries come from ``--queries`` customers of the user's slice (seeded): the name's first word
and the start of the next (name prefix), the code, the VAT number, the city; one letter that
matches nearly every customer; and a word that matches none. Each is made once untimed.

Targets (issue 11): the first download at most 2 MB compressed on the demo data, a 10-record
delta under 5 KB, a local search p95 at most 10 ms (on 20,000 customers; held on every row).

    python bench/offline_slice.py [--customers 20000] [--datasets demo|large|both]
        [--queries 10] [--repeats 30] [--server-repeats 5] [--seed 7]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
import pages
from argon2 import PasswordHasher
from pages import BenchError, demo_erp, percentile, progress
from playwright.sync_api import Browser, expect, sync_playwright

from erpsync.adapters.clock import SystemClock
from erpsync.adapters.db.engine import build_engine
from erpsync.adapters.db.migrate import upgrade
from erpsync.adapters.db.users import SqlUserStore
from erpsync.auth.passwords import Passwords
from erpsync.demo_erp import DemoErpConfig, LatencyProfile, Volumes
from erpsync.domain.search import normalise
from erpsync.services.accounts import Accounts
from erpsync.testing.browser import CHROMIUM, CHROMIUM_ARGS
from erpsync.web.app import SESSION_COOKIE

#: Issue 11's targets.
TARGET_FIRST_BYTES = 2_000_000
TARGET_DELTA_BYTES = 5_000
TARGET_SEARCH_P95_MS = 10.0
KINDS = ("customers", "products", "prices")
QUERY_KINDS = ("name prefix", "code", "VAT number", "city", "matches nearly all", "matches none")
NONE_QUERY = "zzzz"
#: ``performance.now()``'s resolution in a page that is not cross-origin isolated.
CLOCK_MS = 0.1
CHANGED = 10
AGENT_CODE = "A01"
ERP_TOKEN = "demo-token"
WAIT_S = 300.0
POLL_S = 0.2


@dataclass(frozen=True)
class Download:
    """One slice answer: its rows, its body as sent and as JSON, how long it took."""

    kind: str
    rows: int
    sent: int
    raw: int
    ms: float
    browser_ms: float | None = None


@dataclass(frozen=True)
class Query:
    kind: str
    text: str


@dataclass(frozen=True)
class Search:
    """One query kind's timings in milliseconds, on the device and on the server."""

    kind: str
    local: list[float]
    server: list[float]

    @property
    def met(self) -> bool:
        return percentile(self.local, 0.95) <= TARGET_SEARCH_P95_MS


@dataclass(frozen=True)
class UserFigures:
    """One user's figures.

    Attributes:
        deleted: Keys the delta named as gone.
        not_modified_head: Bytes of the 304's status line and headers.
        load_ms: The page's ``DeviceSlice.load()``: IndexedDB read, ``LocalIndex`` built.
        held: Customers on the device.
        agreed: Queries whose local answer (codes, in order) is the server's, of ``asked``.
    """

    user: str
    first: list[Download]
    delta: Download
    deleted: int
    not_modified_head: int
    load_ms: float
    held: int
    searches: list[Search]
    agreed: int
    asked: int


@dataclass(frozen=True)
class Result:
    """One dataset's figures; ``load`` is the 1-minute load average as the searches ended,
    over ``cpus`` CPUs (the machine is shared)."""

    volumes: Volumes
    demo: bool
    hydration_s: float
    users: list[UserFigures]
    load: float
    cpus: int


@dataclass(frozen=True)
class User:
    label: str
    name: str
    password: str
    token: str


# -- pure parts ---------------------------------------------------------------------------------


def head_bytes(status: int, reason: str, headers: Sequence[tuple[bytes, bytes]]) -> int:
    """The size of an HTTP/1.1 answer's status line and headers, as they cross the wire."""
    line = len(f"HTTP/1.1 {status} {reason}\r\n")
    return line + sum(len(k) + len(v) + 4 for k, v in headers) + 2


def commonest_letter(texts: Sequence[str]) -> str:
    """The letter found in the most ``texts`` (ties: the first in the alphabet)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    counts = {letter: sum(letter in text for text in texts) for letter in letters}
    return max(letters, key=lambda letter: counts[letter])


def queries(customers: Sequence[dict[str, Any]], count: int, rng: random.Random) -> list[Query]:
    """Typical queries made from ``count`` customers drawn from ``customers``: the kinds of
    :data:`QUERY_KINDS`, in that order."""
    if not customers:
        raise BenchError("the slice holds no customer to make queries from")
    drawn = rng.sample(list(customers), min(count, len(customers)))
    made: list[Query] = []
    for customer in drawn:
        words = customer["name"].split()
        made.append(Query("name prefix", " ".join([*words[:1], *(w[:3] for w in words[1:2])])))
    made += [Query("code", c["code"]) for c in drawn]
    made += [Query("VAT number", c["vat_number"]) for c in drawn if c["vat_number"]]
    made += [Query("city", c["city"]) for c in drawn if c["city"]]
    texts = [
        normalise(" ".join(str(c[f] or "") for f in ("code", "name", "vat_number", "city")))
        for c in customers
    ]
    made.append(Query("matches nearly all", commonest_letter(texts)))
    made.append(Query("matches none", NONE_QUERY))
    return made


def ratio(times: float) -> str:
    """``times`` as ``4.2x`` below ten, ``42x`` above."""
    return f"{times:.1f}x" if times < 10 else f"{times:.0f}x"


def kb(size: int) -> str:
    return f"{size / 1000:,.1f}"


def _download_rows(result: Result) -> list[str]:
    lines = [
        "first download, one request per kind: body sent gzip-encoded / as JSON, KB; time to "
        "the last byte, ms (httpx, and the order form's own in Chromium)",
        f"{'user':<11}{'kind':<11}{'rows':>8}{'sent KB':>10}{'raw KB':>10}{'gzip':>7}"
        f"{'httpx ms':>10}{'chromium':>10}{'target KB':>11}{'':>6}",
    ]
    for u in result.users:
        for d in u.first:
            chromium = "-" if d.browser_ms is None else f"{d.browser_ms:.0f}"
            lines.append(
                f"{u.user:<11}{d.kind:<11}{d.rows:>8,}{kb(d.sent):>10}{kb(d.raw):>10}"
                f"{d.raw / d.sent:>6.1f}x{d.ms:>10.0f}{chromium:>10}"
            )
        sent, raw = sum(d.sent for d in u.first), sum(d.raw for d in u.first)
        ms = sum(d.ms for d in u.first)
        target = f"{TARGET_FIRST_BYTES / 1000:,.0f}" if result.demo else "-"
        in_page = [d.browser_ms for d in u.first]
        chromium = "-" if None in in_page else f"{sum(filter(None, in_page)):.0f}"
        verdict = ("PASS" if sent <= TARGET_FIRST_BYTES else "MISS") if result.demo else ""
        lines.append(
            f"{u.user:<11}{'all':<11}{sum(d.rows for d in u.first):>8,}{kb(sent):>10}"
            f"{kb(raw):>10}{raw / sent:>6.1f}x{ms:>10.0f}{chromium:>10}{target:>11}{verdict:>6}"
        )
    return lines


def _delta_rows(result: Result) -> list[str]:
    lines = [
        f"delta after {CHANGED} customers changed in the ERP and a customers sync; then the "
        "same delta revalidated (304: head only, no body), bytes",
        f"{'user':<11}{'rows':>5}{'deleted':>8}{'sent B':>8}{'raw B':>8}{'ms':>6}"
        f"{'vs first':>10}{'304 head B':>12}{'target B':>10}{'':>6}",
    ]
    for u in result.users:
        d = u.delta
        first = next(f for f in u.first if f.kind == "customers")
        verdict = "PASS" if d.sent < TARGET_DELTA_BYTES else "MISS"
        lines.append(
            f"{u.user:<11}{d.rows:>5}{u.deleted:>8}{d.sent:>8,}{d.raw:>8,}{d.ms:>6.0f}"
            f"{ratio(first.sent / d.sent):>10}{u.not_modified_head:>12}"
            f"{f'< {TARGET_DELTA_BYTES:,}':>10}"
            f"{verdict:>6}"
        )
    return lines


def every_query(user: UserFigures) -> Search:
    """The user's queries of every kind as one."""
    local = [t for s in user.searches for t in s.local]
    return Search("all", local, [t for s in user.searches for t in s.server])


def _search_rows(result: Result) -> list[str]:
    lines = [
        "customer search in Chromium: LocalIndex over the IndexedDB slice vs GET /api/customers "
        f"fetched from the page, ms (the page's clock ticks {CLOCK_MS} ms: ratios count a "
        f"faster local search as one tick); load average {result.load:.1f} on {result.cpus} CPUs",
        f"{'user':<11}{'query':<20}{'n':>5}{'local p50':>10}{'p95':>7}{'server p50':>11}"
        f"{'p95':>7}{'target':>7}{'':>6}{'vs target':>10}{'speed-up':>10}",
    ]
    for u in result.users:
        lines.append(
            f"{u.user:<11}{u.held:,} customers on the device; slice.load() {u.load_ms:.0f} ms; "
            f"same answers as the server for {u.agreed} of {u.asked} queries"
        )
        every = every_query(u)
        for s in [*u.searches, every]:
            local95, server95 = percentile(s.local, 0.95), percentile(s.server, 0.95)
            lines.append(
                f"{u.user:<11}{s.kind:<20}{len(s.local):>5}{percentile(s.local, 0.5):>10.2f}"
                f"{local95:>7.2f}{percentile(s.server, 0.5):>11.2f}{server95:>7.2f}"
                f"{TARGET_SEARCH_P95_MS:>7.0f}{'PASS' if s.met else 'MISS':>6}"
                f"{ratio(TARGET_SEARCH_P95_MS / max(local95, CLOCK_MS)):>10}"
                f"{ratio(server95 / max(local95, CLOCK_MS)):>10}"
            )
    return lines


def missed(result: Result) -> list[str]:
    """The targets the result misses, named."""
    out: list[str] = []
    for u in result.users:
        if result.demo and sum(d.sent for d in u.first) > TARGET_FIRST_BYTES:
            out.append(f"{u.user} first download")
        if u.delta.sent >= TARGET_DELTA_BYTES:
            out.append(f"{u.user} delta")
        every = [*u.searches, every_query(u)]
        out += [f"{u.user} search {s.kind}" for s in every if not s.met]
    return out


def report(result: Result) -> list[str]:
    v = result.volumes
    name = "demo data" if result.demo else "large data"
    lines = [
        f"offline slice, {name}: {v.customers:,} customers, {v.products:,} products, "
        f"{v.prices:,} prices (demo ERP instant, mirrored by the first start's hydration in "
        f"{result.hydration_s:.1f} s); agent {AGENT_CODE} and an admin (every customer)",
        *_download_rows(result),
        *_delta_rows(result),
        *_search_rows(result),
    ]
    misses = missed(result)
    lines.append(
        f"TARGET MISSED: {', '.join(misses)}"
        if misses
        else "all targets met"
        + (f" (first download <= {TARGET_FIRST_BYTES / 1000:,.0f} KB, " if result.demo else " (")
        + f"delta < {TARGET_DELTA_BYTES:,} B, local search p95 <= {TARGET_SEARCH_P95_MS:.0f} ms)"
    )
    return lines


# -- the app ------------------------------------------------------------------------------------


def make_users(database_url: str) -> list[User]:
    """An agent of ``AGENT_CODE`` and an admin, with passwords (to sign in a browser) and API
    tokens (cheap argon2: the bench signs in a few times only)."""
    engine = build_engine(database_url)
    try:
        upgrade(engine)
        cheap = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        accounts = Accounts(SqlUserStore(engine), cheap, SystemClock())
        agent, admin = uuid.uuid4().hex, uuid.uuid4().hex
        accounts.add_user("bench-agent", agent, agent_code=AGENT_CODE)
        accounts.add_user("bench-admin", admin, admin=True)
        users = [
            User(f"agent {AGENT_CODE}", "bench-agent", agent, accounts.issue_token("bench-agent")),
            User("admin", "bench-admin", admin, accounts.issue_token("bench-admin")),
        ]
        return users
    finally:
        engine.dispose()


@contextmanager
def serving(database_url: str, erp_url: str, folder: Path) -> Iterator[str]:
    """``erpsync serve`` hydrating the empty mirror as a first start does; its base URL."""
    extra = {"ERPSYNC_HYDRATE_ON_START": "true"}
    with pages.serving(database_url, erp_url, folder, extra) as base_url:
        yield base_url


def wait_for(check: Any, what: str, timeout: float = WAIT_S) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(POLL_S)
    raise BenchError(f"gave up after {timeout:.0f} s waiting for {what}")


def wait_hydrated(admin: httpx.Client) -> None:
    def hydrated() -> bool:
        status = admin.get("/api/sync/status").raise_for_status().json()
        hydration = status["hydration"]
        return (
            hydration is not None
            and not hydration["active"]
            and hydration["done"] == hydration["total"]
            and status["current"] is None
            and not status["queue"]
        )

    wait_for(hydrated, "the first start's hydration")


def sync_customers(admin: httpx.Client) -> None:
    """A customers sync asked for through erpsync's API, awaited to its end."""

    def newest() -> dict[str, Any] | None:
        runs = admin.get("/api/sync/runs", params={"type": "customers", "limit": 1}).json()
        return runs["runs"][0] if runs["runs"] else None

    before = newest()
    admin.post("/api/sync/customers").raise_for_status()

    def ended() -> dict[str, Any] | None:
        run = newest()
        fresh = run is not None and (before is None or run["id"] != before["id"])
        return run if fresh and run is not None and run["finishedAt"] else None

    run = wait_for(ended, "the customers sync")
    if run["status"] != "completed":
        raise BenchError(f"the customers sync ended {run['status']}")


# -- the measures -------------------------------------------------------------------------------


def fetch(
    client: httpx.Client, kind: str, since: str | None = None, etag: str | None = None
) -> tuple[httpx.Response, bytes, float]:
    """One slice answer: the response, its body as sent, and the milliseconds to its last
    byte."""
    params = {"since": since} if since else {}
    headers = {"If-None-Match": etag} if etag else {}
    started = time.perf_counter()
    with client.stream("GET", f"/api/offline/{kind}", params=params, headers=headers) as answer:
        sent = b"".join(answer.iter_raw())
    ms = (time.perf_counter() - started) * 1000
    if answer.status_code not in (200, 304):
        raise BenchError(f"GET /api/offline/{kind} answered {answer.status_code}")
    return answer, sent, ms


def decoded(answer: httpx.Response, sent: bytes) -> tuple[dict[str, Any], int]:
    """The answer's JSON, and its size as JSON."""
    raw = gzip.decompress(sent) if answer.headers.get("content-encoding") == "gzip" else sent
    parsed: dict[str, Any] = json.loads(raw)
    return parsed, len(raw)


def first_download(client: httpx.Client) -> tuple[list[Download], dict[str, dict[str, Any]]]:
    downloads, answers = [], {}
    for kind in KINDS:
        answer, sent, ms = fetch(client, kind)
        answers[kind], raw = decoded(answer, sent)
        if answer.headers.get("content-encoding") != "gzip" or not answers[kind]["full"]:
            raise BenchError(f"the first {kind} answer is not a whole gzip-encoded slice")
        downloads.append(Download(kind, len(answers[kind]["rows"]), len(sent), raw, ms))
    return downloads, answers


def customers_of(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(zip(answer["fields"], row, strict=True)) for row in answer["rows"]]


def change_customers(erp_url: str, codes: Sequence[str]) -> None:
    """Each customer's address changed in the demo ERP, as someone in the ERP would."""
    with httpx.Client(base_url=erp_url, headers={"Authorization": f"Bearer {ERP_TOKEN}"}) as erp:
        for i, code in enumerate(codes):
            erp.patch(
                f"/admin/customers/{code}", json={"address": f"Via del Banco {i + 1}"}
            ).raise_for_status()


def delta(client: httpx.Client, cursor: str) -> tuple[Download, int, int]:
    """The customers' delta since ``cursor``, its deletions, and the head of the 304 its ETag
    gets."""
    answer, sent, ms = fetch(client, "customers", since=cursor)
    parsed, raw = decoded(answer, sent)
    if parsed["full"]:
        raise BenchError("the delta came as a whole slice")
    again, _, _ = fetch(client, "customers", since=cursor, etag=answer.headers["etag"])
    if again.status_code != 304:
        raise BenchError(f"the revalidation answered {again.status_code}, not 304")
    head = head_bytes(304, again.reason_phrase, again.headers.raw)
    figures = Download("customers", len(parsed["rows"]), len(sent), raw, ms)
    return figures, len(parsed["deleted"]), head


# -- in Chromium --------------------------------------------------------------------------------

#: Inside the page: the user's store loaded once (timed), then every query timed on the device
#: and, as the baseline, on the server.
SEARCH_SCRIPT = """async ({ queries, repeats, serverRepeats }) => {
  const { DeviceStore } = await import("/static/device_store.js");
  const { DeviceSlice } = await import("/static/device_slice.js");
  const slice = new DeviceSlice(await DeviceStore.open(document.body.dataset.user));
  const began = performance.now();
  const indexes = await slice.load();
  const loadMs = performance.now() - began;
  const server = async (q) => {
    const answer = await fetch(`/api/customers?q=${encodeURIComponent(q)}`);
    if (!answer.ok) throw new Error(`GET /api/customers answered ${answer.status}`);
    return (await answer.json()).customers;
  };
  const timed = async (run, times) => {
    await run();
    const ms = [];
    for (let i = 0; i < times; i++) {
      const start = performance.now();
      await run();
      ms.push(performance.now() - start);
    }
    return ms;
  };
  const out = [];
  for (const { kind, text } of queries) {
    const local = await timed(() => slice.customers(text), repeats);
    const remote = await timed(() => server(text), serverRepeats);
    const mine = (await slice.customers(text)).map((c) => c.code);
    const theirs = (await server(text)).map((c) => c.code);
    const agreed = JSON.stringify(mine) === JSON.stringify(theirs);
    out.push({ kind, local, server: remote, agreed });
  }
  return { loadMs, held: indexes.customers.records.length, out };
}"""

#: The order form's own slice download, from the page's resource timing.
RESOURCES_SCRIPT = """() => Object.fromEntries(performance.getEntriesByType("resource")
  .filter((e) => e.name.includes("/api/offline/"))
  .map((e) => [new URL(e.name).pathname.split("/").pop(), e.responseEnd - e.startTime]))"""


def session_cookie(base_url: str, user: User) -> dict[str, Any]:
    """Signed in through ``POST /login``, as a browser would."""
    with httpx.Client(base_url=base_url, headers={"Origin": base_url}) as client:
        answer = client.post("/login", data={"username": user.name, "password": user.password})
        if answer.status_code != 303:
            raise BenchError(f"POST /login answered {answer.status_code}")
        value = client.cookies[SESSION_COOKIE]
    return {"name": SESSION_COOKIE, "value": value, "domain": "127.0.0.1", "path": "/"}


def search_in_browser(
    browser: Browser, base_url: str, user: User, asked: Sequence[Query], args: argparse.Namespace
) -> tuple[dict[str, Any], dict[str, float]]:
    """The form opened online once (the slice downloaded into IndexedDB), then the queries
    timed inside the page; and the form's own download times per kind."""
    context = browser.new_context(locale="it-IT", viewport={"width": 1200, "height": 900})
    try:
        context.add_cookies([session_cookie(base_url, user)])  # type: ignore[list-item]
        page = context.new_page()
        page.goto(f"{base_url}/orders/new")
        expect(page.locator("#device-data")).to_contain_text(
            "aggiornati alle", timeout=WAIT_S * 1000
        )
        downloaded: dict[str, float] = page.evaluate(RESOURCES_SCRIPT)
        timings: dict[str, Any] = page.evaluate(
            SEARCH_SCRIPT,
            {
                "queries": [{"kind": q.kind, "text": q.text} for q in asked],
                "repeats": args.repeats,
                "serverRepeats": args.server_repeats,
            },
        )
        page.close()  # as a user closes the tab: the form says goodbye
        return timings, downloaded
    finally:
        context.close()


def searches(timings: dict[str, Any]) -> list[Search]:
    found: dict[str, Search] = {}
    for row in timings["out"]:
        kind = row["kind"]
        known = found.get(kind, Search(kind, [], []))
        found[kind] = Search(kind, known.local + row["local"], known.server + row["server"])
    return [found[kind] for kind in QUERY_KINDS if kind in found]


# -- one dataset --------------------------------------------------------------------------------


def measure(volumes: Volumes, demo: bool, browser: Browser, args: argparse.Namespace) -> Result:
    config = DemoErpConfig(
        seed=args.seed, volumes=volumes, latency=LatencyProfile.INSTANT, token=ERP_TOKEN
    )
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as name, demo_erp(config) as erp_url:
        folder = Path(name)
        url = f"sqlite:///{folder / 'bench.db'}"
        users = make_users(url)
        started = time.perf_counter()
        with serving(url, erp_url, folder) as base_url:
            clients = [
                httpx.Client(
                    base_url=base_url,
                    headers={"Authorization": f"Bearer {u.token}", "Accept-Encoding": "gzip"},
                    timeout=WAIT_S,
                )
                for u in users
            ]
            try:
                progress(f"{volumes.customers:,} customers: hydrating the mirror")
                wait_hydrated(clients[1])
                hydration_s = time.perf_counter() - started
                progress("first downloads")
                firsts = [first_download(c) for c in clients]
                agent_customers = customers_of(firsts[0][1]["customers"])
                changed = [c["code"] for c in rng.sample(agent_customers, CHANGED)]
                change_customers(erp_url, changed)
                sync_customers(clients[1])
                progress(f"{CHANGED} customers changed and synced: deltas")
                deltas = [
                    delta(c, first[1]["customers"]["cursor"])
                    for c, first in zip(clients, firsts, strict=True)
                ]
                figures = []
                for user, (downloads, answers), (changes, deleted, head) in zip(
                    users, firsts, deltas, strict=True
                ):
                    asked = queries(customers_of(answers["customers"]), args.queries, rng)
                    progress(f"{user.label}: {len(asked)} queries in Chromium")
                    timings, in_page = search_in_browser(browser, base_url, user, asked, args)
                    downloads = [
                        Download(d.kind, d.rows, d.sent, d.raw, d.ms, in_page.get(d.kind))
                        for d in downloads
                    ]
                    figures.append(
                        UserFigures(
                            user.label,
                            downloads,
                            changes,
                            deleted,
                            head,
                            timings["loadMs"],
                            timings["held"],
                            searches(timings),
                            sum(row["agreed"] for row in timings["out"]),
                            len(timings["out"]),
                        )
                    )
            finally:
                for client in clients:
                    client.close()
    return Result(volumes, demo, hydration_s, figures, os.getloadavg()[0], os.cpu_count() or 1)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=20_000, help="the large dataset's")
    parser.add_argument("--datasets", choices=("demo", "large", "both"), default="both")
    parser.add_argument("--queries", type=int, default=10, help="customers queries come from")
    parser.add_argument("--repeats", type=int, default=30, help="local timings per query")
    parser.add_argument("--server-repeats", type=int, default=5, help="server timings per query")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    for name in ("customers", "queries", "repeats", "server_repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.customers < CHANGED * 3:
        parser.error(f"--customers must be at least {CHANGED * 3}: {CHANGED} change per agent")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    datasets = []
    if args.datasets in ("demo", "both"):
        datasets.append((Volumes(), True))
    if args.datasets in ("large", "both"):
        datasets.append((Volumes(customers=args.customers), False))
    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            for volumes, demo in datasets:
                try:
                    result = measure(volumes, demo, browser, args)
                except BenchError as error:
                    print(f"the bench could not run: {error}", file=sys.stderr)
                    return 1
                print("\n".join(report(result)))
                print()
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
