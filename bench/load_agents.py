"""Simulated field agents: each one a user with a token, working the order form over HTTP as
its page does (``src/erpsync/web/static/form_session.js``, ``order_form.js``).

An agent's day, repeated until the phase ends: open the form (a fresh session id, the Smart
Customer Sync in the background as the page runs it, then the device's slice brought up to
date), heartbeats and activity reports while it is open, customers and products searched as
typed and a product's price, one to five drafts saved under ids it chose, now and then the sync
status or the dashboard's event stream, then "Fatto" (resume-syncs) and a pause away from the
form; the goodbyes of the forms still open as the phase ends go out together, as a wave
(:class:`Wave`). Searches come from the device when it holds a slice and prices once its slice
has caught up (see ``load_device.py``); from the server before that, when the device finds
nothing, and for agents without a device (``--form-search server``: one request a keystroke, as
the picker does past its debounce). Requests are closed-loop: an agent waits for an answer
before its next keystroke, so a slow server slows its agents instead of piling requests up.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import math
import random
import ssl
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import httpx
from load_device import DeviceSlice
from load_report import Phase, Sample, Tally

from erpsync.demo_erp.names import CITIES, PRODUCT_GROUPS, SURNAMES, TRADES
from erpsync.settings import Settings
from erpsync.web.routers.pages import form_timing


def _first_words(phrases: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({p.split()[0].lower() for p in phrases}))


#: What agents type to find a customer: trades, surnames and cities of the demo data.
CUSTOMER_WORDS = _first_words([*TRADES, *SURNAMES, *(c.name for c in CITIES)])
#: What agents type to find a product: the first word of each article.
PRODUCT_WORDS = _first_words([a for articles, _, _ in PRODUCT_GROUPS.values() for a in articles])
#: The page's own timing, from the default lease and safety timeout.
FORM_TIMING = form_timing(
    Settings.model_fields["session_lease_s"].default,
    Settings.model_fields["safety_timeout_s"].default,
)
REQUEST_TIMEOUT_S = 30.0
SMART_SYNC = "POST /api/customers/smart-sync"
RESUME_PATH = "/api/customers/resume-syncs"
CLOSE = f"POST {RESUME_PATH}"
WAVE = f"{CLOSE} (phase end)"
#: Idle connections are let go before uvicorn's own 5 s keep-alive closes them under a request.
KEEPALIVE_S = 4.0


def _remember_missing_sniffio() -> None:
    """httpcore imports ``sniffio`` on every request; where it is not installed, each failed
    import searches all of ``sys.path`` again, which costs the generator more CPU than the
    requests themselves. A ``None`` entry makes the import fail at once, as Python intends."""
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


_remember_missing_sniffio()


class PhaseOver(Exception):
    """The phase's time is up: the agent closes its form and stops."""


@dataclass(frozen=True)
class Identity:
    name: str
    agent_code: str
    token: str


@dataclass(frozen=True)
class Pace:
    """Think times in seconds (ranges drawn uniformly), and how often an agent does the
    occasional things. ``scaled`` speeds every wait up or down alike."""

    keystroke: tuple[float, float] = (0.15, 0.4)
    pick: tuple[float, float] = (0.5, 1.5)
    between_lines: tuple[float, float] = (1.0, 3.0)
    before_save: tuple[float, float] = (1.0, 3.0)
    away: tuple[float, float] = (3.0, 10.0)
    sse_hold: tuple[float, float] = (5.0, 20.0)
    drafts: tuple[int, int] = (1, 5)
    lines: tuple[int, int] = (1, 4)
    status_chance: float = 0.3
    sse_chance: float = 0.15
    list_drafts_chance: float = 0.5

    def scaled(self, factor: float) -> Pace:
        def by(span: tuple[float, float]) -> tuple[float, float]:
            return (span[0] * factor, span[1] * factor)

        return replace(
            self,
            keystroke=by(self.keystroke),
            pick=by(self.pick),
            between_lines=by(self.between_lines),
            before_save=by(self.before_save),
            away=by(self.away),
            sse_hold=by(self.sse_hold),
        )


class Recorder:
    """Times every request; a non-2xx answer or a transport error is an error sample."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.retried = 0
        #: The phase's start (``perf_counter``): samples are timed from it.
        self.origin = time.perf_counter()

    def sample(
        self, route: str, started: float, error: str | None = None, *, ended: float | None = None
    ) -> None:
        ended = time.perf_counter() if ended is None else ended
        self.samples.append(Sample(route, ended - started, error, started - self.origin))

    async def call(
        self,
        route: str,
        send: Callable[[], Awaitable[httpx.Response]],
        *,
        refine: Callable[[dict[str, Any]], str] | None = None,
    ) -> dict[str, Any] | None:
        """The JSON answer, or ``None`` when the request failed (and was recorded so).
        ``refine`` names the route from a successful answer, to tell its kinds apart.

        A request the server hung up on without answering is sent once more, as browsers do
        when a kept-alive connection was closed under them; every request here is safe to
        repeat (session and draft ids are the client's)."""
        started = time.perf_counter()
        try:
            try:
                response = await send()
            except httpx.RemoteProtocolError:
                self.retried += 1
                response = await send()
        except httpx.HTTPError as exc:
            self.sample(route, started, type(exc).__name__)
            return None
        ended = time.perf_counter()
        if response.status_code >= 400:
            self.sample(route, started, f"HTTP {response.status_code}", ended=ended)
            return None
        # 304: what the client kept (an empty answer here) is still the answer
        answer: dict[str, Any] = {} if response.status_code == 304 else response.json()
        self.sample(refine(answer) if refine else route, started, ended=ended)
        return answer


class Wave:
    """The goodbyes of every form still open as the phase ends, sent as one wave.

    The agents share this process's one event loop: through their own clients their goodbyes
    would leave one after another, as fast as the loop got to each, and each would be timed
    from before the loop's own queue (a few hundred ms of the generator's work, not the
    server's). A phone each sends them within a moment of each other. So each goodbye is
    written on a connection of its own, opened beforehand, all of them in one go, and timed
    from that moment to the end of its answer: the server meets them all at once, and each
    time is the server's and the wire's.
    """

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self._goodbyes: list[tuple[FormTab, bytes, bool]] = []

    def join(self, tab: FormTab, body: dict[str, Any], was_known: bool) -> None:
        payload = json.dumps(body).encode()
        url = tab.client.base_url
        head = (
            f"POST {RESUME_PATH} HTTP/1.1\r\n"
            f"Host: {url.host}:{url.port}\r\n"
            f"Authorization: {tab.client.headers['Authorization']}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n"
            "Connection: close\r\n\r\n"
        )
        self._goodbyes.append((tab, head.encode() + payload, was_known))

    def __len__(self) -> int:
        return len(self._goodbyes)

    async def send(self) -> None:
        goodbyes, self._goodbyes = self._goodbyes, []
        if not goodbyes:
            return
        url = goodbyes[0][0].client.base_url
        assert url.scheme == "http" and url.host and url.port, f"plain HTTP only: {url}"
        opened = await asyncio.gather(
            *(
                asyncio.wait_for(asyncio.open_connection(url.host, url.port), REQUEST_TIMEOUT_S)
                for _ in goodbyes
            ),
            return_exceptions=True,
        )
        started = time.perf_counter()
        for (_, request, _), connection in zip(goodbyes, opened, strict=True):
            if not isinstance(connection, BaseException):
                connection[1].write(request)  # on the socket at once: nothing is buffered yet
        await asyncio.gather(
            *(self._answer(g, c, started) for g, c in zip(goodbyes, opened, strict=True))
        )

    async def _answer(
        self,
        goodbye: tuple[FormTab, bytes, bool],
        connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | BaseException,
        started: float,
    ) -> None:
        tab, _, was_known = goodbye
        answer: dict[str, Any] | None = None
        if isinstance(connection, BaseException):  # never sent: the connection failed
            self.recorder.sample(WAVE, started, type(connection).__name__)
            tab.goodbye_answered(answer, was_known)
            return
        reader, writer = connection
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), REQUEST_TIMEOUT_S)
            status, length = _status_and_length(head)
            # asked with Connection: close, an answer of no stated length ends with the connection
            read = reader.read() if length is None else reader.readexactly(length)
            body = await asyncio.wait_for(read, REQUEST_TIMEOUT_S)
            ended = time.perf_counter()
            if status >= 400:
                self.recorder.sample(WAVE, started, f"HTTP {status}", ended=ended)
            else:
                answer = json.loads(body)
                self.recorder.sample(WAVE, started, ended=ended)
        except (
            OSError,
            TimeoutError,
            ValueError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
        ) as exc:
            self.recorder.sample(WAVE, started, type(exc).__name__)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        tab.goodbye_answered(answer, was_known)


def _status_and_length(head: bytes) -> tuple[int, int | None]:
    """An HTTP/1.1 answer's status and ``Content-Length`` (``None``: not stated), from its head.

    Raises:
        ValueError: a head with no status line.
    """
    status_line, *fields = head.decode("latin-1").split("\r\n")
    version, _, rest = status_line.partition(" ")
    if not version.startswith("HTTP/"):
        raise ValueError(f"not an HTTP answer: {status_line[:80]!r}")
    status = int(rest[:3])
    for line in fields:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            return status, int(value)
    return status, None


@dataclass
class Deadline:
    """The phase's end; ``think`` sleeps unless the phase ends first."""

    at: float
    rng: random.Random

    @property
    def left(self) -> float:
        return max(0.0, self.at - time.monotonic())

    async def think(self, span: tuple[float, float]) -> None:
        wait = self.rng.uniform(*span)
        left = self.left
        if left <= wait:
            await asyncio.sleep(left)
            raise PhaseOver
        await asyncio.sleep(wait)


@dataclass
class FormTab:
    """One open order form: its session id, heartbeat and activity reports, goodbye."""

    client: httpx.AsyncClient
    recorder: Recorder
    tally: Tally
    name: str
    #: The agent's device, or ``None`` for a browser that keeps none.
    device: DeviceSlice | None = None
    #: The device caught up with the mirror in this visit: the form searches on it.
    device_current: bool = False
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    #: This load of the form's page (a tab opened again is a new one).
    instance: str = field(default_factory=lambda: uuid.uuid4().hex)
    known: bool = False
    closed: bool = False
    pending_activity: bool = False
    last_report: float = 0.0
    opened_at: float = 0.0
    registering: asyncio.Task[None] | None = None
    heart: asyncio.Task[None] | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    #: Where the goodbye goes when the phase ends with the form open.
    wave: Wave | None = None

    def _post(
        self,
        route: str,
        path: str,
        body: dict[str, Any],
        refine: Callable[[dict[str, Any]], str] | None = None,
    ) -> Awaitable[dict[str, Any] | None]:
        return self.recorder.call(route, lambda: self.client.post(path, json=body), refine=refine)

    def _spawn(self, work: Awaitable[None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def open(self) -> None:
        """Register the tab and run the smart sync in the background, as the page does."""
        if self.registering is not None:
            return
        self.closed, self.known = False, True
        self.last_report = self.opened_at = time.monotonic()
        self.tally.sessions += 1
        if self.heart is not None:
            self.heart.cancel()
        self.heart = self._spawn(self._heartbeats())
        self.registering = self._spawn(self._register())

    async def _register(self) -> None:
        body = {"session_id": self.id, "instance": self.instance}
        answer = await self._post(SMART_SYNC, "/api/customers/smart-sync", body, smart_sync_kind)
        if answer is not None:
            self._seen(answer)
            status = (answer.get("result") or {}).get("status")
            self.tally.smart_timed_out += status == "timed_out"
            self.tally.smart_failed += status not in ("completed", "timed_out")
        await self.beat(registering=True)
        device = self.device
        if (
            answer is not None
            and device is not None
            and not self.closed
            and await device.refresh(self.recorder.call, self.client)
        ):
            self.device_current = True  # as the page: a later failed refresh keeps it
        self.registering = None

    async def _heartbeats(self) -> None:
        while not self.closed:
            await asyncio.sleep(FORM_TIMING["heartbeatS"])
            await self.beat()

    def activity(self) -> None:
        """The agent typed or clicked: report it (throttled), or register again if the
        server had dropped the session."""
        if self.closed:
            return
        if not self.known:
            self.tally.reregistered += 1
            self.open()
            return
        self.pending_activity = True
        if time.monotonic() - self.last_report >= FORM_TIMING["activityS"]:
            self._spawn(self.beat())

    async def beat(self, *, registering: bool = False) -> None:
        if self.closed or not self.known:
            return
        active, self.pending_activity = self.pending_activity, False
        if active:
            self.last_report = time.monotonic()
        answer = await self._post(
            "POST /api/customers/heartbeat",
            "/api/customers/heartbeat",
            {"session_id": self.id, "active": active},
        )
        if answer is None:
            self.pending_activity = self.pending_activity or active
            return
        self._seen(answer)
        if (
            not answer.get("known")
            and (registering or self.registering is None)
            and not self.closed
        ):
            self.known = False
            self.tally.dropped += 1
            self._incident(
                f"heartbeat answered known=false{' right after registering' if registering else ''}"
            )

    async def close(self, *, at_end: bool = False) -> None:
        """Close the form ("Fatto"): wait for a smart sync still in flight, then say goodbye.
        ``at_end``: every agent closes at once as the phase ends; the goodbye joins the
        :class:`Wave`, sent with all the others."""
        if self.registering is not None:
            with contextlib.suppress(Exception):
                await self.registering
        was_known = self.known
        self.closed = True
        pending = list(self.tasks)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        body = {"session_id": self.id, "instance": self.instance}
        if at_end and self.wave is not None:
            self.wave.join(self, body, was_known)
            return
        answer = await self._post(CLOSE, RESUME_PATH, body)
        self.goodbye_answered(answer, was_known)

    def goodbye_answered(self, answer: dict[str, Any] | None, was_known: bool) -> None:
        if answer is not None and was_known and not answer.get("closed"):
            self.tally.not_closed += 1
            self._incident("resume-syncs answered closed=false")

    def _seen(self, answer: dict[str, Any]) -> None:
        active = answer.get("activeSessions")
        if isinstance(active, int):
            self.tally.max_active_sessions = max(self.tally.max_active_sessions, active)

    def _incident(self, what: str) -> None:
        if len(self.tally.incidents) < 20:
            age = time.monotonic() - self.opened_at
            self.tally.incidents.append(
                f"{self.name} session {self.id[:8]}…: {what}, {age:.1f} s after it opened"
            )


class Agent:
    def __init__(
        self,
        identity: Identity,
        client: httpx.AsyncClient,
        recorder: Recorder,
        pace: Pace,
        deadline: Deadline,
        device: DeviceSlice | None = None,
        wave: Wave | None = None,
    ) -> None:
        self.identity = identity
        self.device = device
        self.wave = wave
        self.client = client
        self.recorder = recorder
        self.pace = pace
        self.deadline = deadline
        self.rng = deadline.rng
        self.tally = Tally()
        self.saved: set[str] = set()
        self.unconfirmed: set[str] = set()

    def _get(self, route: str, path: str, **params: str) -> Awaitable[dict[str, Any] | None]:
        return self.recorder.call(route, lambda: self.client.get(path, params=params or None))

    async def run(self, start_after: float) -> None:
        await asyncio.sleep(start_after)
        with contextlib.suppress(PhaseOver):
            while True:
                await self.session()
                await self.deadline.think(self.pace.away)

    async def session(self) -> None:
        tab = FormTab(
            self.client, self.recorder, self.tally, self.identity.name, self.device, wave=self.wave
        )
        tab.open()
        dashboard: asyncio.Task[None] | None = None
        try:
            if self.rng.random() < self.pace.sse_chance:
                dashboard = asyncio.create_task(self.watch_events())
            if self.rng.random() < self.pace.status_chance:
                await self._get("GET /api/sync/status", "/api/sync/status")
            for _ in range(self.rng.randint(*self.pace.drafts)):
                await self.compose(tab)
        except PhaseOver:
            await tab.close(at_end=True)
            raise
        else:
            await tab.close()
        finally:
            if dashboard is not None:
                await dashboard
        if self.rng.random() < self.pace.list_drafts_chance:
            await self._get("GET /api/drafts", "/api/drafts")

    async def type_and_search(
        self, tab: FormTab, route: str, path: str, word: str, key: str
    ) -> list[dict[str, Any]]:
        """Type a prefix of ``word`` one key at a time, searching after each (and once on
        focus, with nothing typed): on the device when it holds a slice, on the server when
        it holds none or finds nothing; the results of the last search."""
        found: list[dict[str, Any]] = []
        typed = self.rng.randint(min(2, len(word)), min(6, len(word)))
        for n in range(typed + 1):
            local = tab.device is not None and (tab.device_current or tab.device.holds_slice)
            found = tab.device.search(key, word[:n]) if local and tab.device else []
            self.tally.device_searches += local
            self.tally.device_misses += local and not found
            if not found:
                answer = await self._get(route, path, q=word[:n])
                found = list((answer or {}).get(key) or [])
            tab.activity()
            await self.deadline.think(self.pace.keystroke)
        return found

    async def find_customer(self, tab: FormTab) -> dict[str, Any] | None:
        for _ in range(3):
            word = self.rng.choice(CUSTOMER_WORDS)
            found = await self.type_and_search(
                tab, "GET /api/customers", "/api/customers", word, "customers"
            )
            if found:
                await self.deadline.think(self.pace.pick)
                tab.activity()
                return self.rng.choice(found)
        self.tally.no_customer_found += 1
        return None

    async def add_line(self, tab: FormTab) -> dict[str, Any] | None:
        word = self.rng.choice(PRODUCT_WORDS)
        found = await self.type_and_search(
            tab, "GET /api/products", "/api/products", word, "products"
        )
        if not found:
            return None
        product = self.rng.choice(found)
        await self.deadline.think(self.pace.pick)
        tab.activity()
        device = tab.device
        if device is not None and tab.device_current and device.holds(product["code"]):
            price = device.proposed_price(product["code"], datetime.now(UTC).date())
        else:
            prices = await self._get(
                "GET /api/products/{code}/prices", f"/api/products/{product['code']}/prices"
            )
            price = ((prices or {}).get("proposed") or {}).get("unitPrice")
        return {
            "product_code": product["code"],
            "qty": orderable_qty(product, self.rng.randint(1, 3)),
            "unit_price": price or "1.00",
            "discount": self.rng.choice(("0", "0", "5", "10")),
        }

    async def compose(self, tab: FormTab) -> None:
        customer = await self.find_customer(tab)
        if customer is None:
            return
        lines = []
        for _ in range(self.rng.randint(*self.pace.lines)):
            await self.deadline.think(self.pace.between_lines)
            line = await self.add_line(tab)
            if line is not None:
                lines.append(line)
        if not lines:
            return
        await self.deadline.think(self.pace.before_save)
        tab.activity()
        await self.save(customer["code"], lines)

    async def save(self, customer_code: str, lines: list[dict[str, Any]]) -> None:
        """Save a draft under an id of our own; one retry with the same id, as a form
        whose first attempt failed would."""
        draft_id = uuid.uuid4().hex
        body = {"id": draft_id, "customer_code": customer_code, "lines": lines, "notes": "carico"}
        for _ in range(2):
            answer = await self.recorder.call(
                "POST /api/drafts",
                lambda: self.client.post("/api/drafts", json=body),
            )
            if answer is not None:
                self.saved.add(draft_id)
                self.unconfirmed.discard(draft_id)
                return
            self.unconfirmed.add(draft_id)

    async def watch_events(self) -> None:
        """Hold the dashboard's event stream open a while, as a /sync tab beside the form."""
        hold = min(self.rng.uniform(*self.pace.sse_hold), self.deadline.left)
        started = time.perf_counter()
        route = "GET /api/sync/events"
        self.tally.sse_streams += 1
        try:
            async with self.client.stream(
                "GET", "/api/sync/events", timeout=httpx.Timeout(10, read=40)
            ) as response:
                if response.status_code >= 400:
                    self.recorder.sample(route, started, f"HTTP {response.status_code}")
                    return
                await self._read_events(response, started, hold)
        except httpx.HTTPError as exc:
            self.recorder.sample(route, started, type(exc).__name__)

    async def _read_events(self, response: httpx.Response, started: float, hold: float) -> None:
        """Time the first event (the stream's greeting), then count the rest for ``hold``."""
        route = "GET /api/sync/events"
        lines = response.aiter_lines()
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT_S):
                async for line in lines:
                    if line.startswith("event:"):
                        break
                else:
                    raise TimeoutError
        except TimeoutError:
            self.recorder.sample(route, started, "no first event")
            return
        self.recorder.sample(route, started)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(hold):
                async for line in lines:
                    self.tally.sse_events += line.startswith("event:")
                self.tally.sse_ended_early += 1


def smart_sync_kind(answer: dict[str, Any]) -> str:
    """A smart sync that did not end within the form's bound answered at the bound: timed
    apart."""
    timed_out = (answer.get("result") or {}).get("status") == "timed_out"
    return f"{SMART_SYNC} ({'timed out' if timed_out else 'synced'})"


def orderable_qty(product: dict[str, Any], packs: int) -> int:
    """A quantity the product's rules accept: at least its minimum, in its multiple."""
    step = max(1, int(product.get("multipleQty") or 1))
    least = max(1, int(product.get("minQty") or 1))
    return step * math.ceil(least / step) * packs


async def watch_lag(lags: list[float], every: float = 0.1) -> None:
    """How late this process's event loop wakes: when it is late, the latencies measured
    include the load generator's own queueing."""
    while True:
        asked = time.perf_counter()
        await asyncio.sleep(every)
        lags.append(max(0.0, time.perf_counter() - asked - every))


@dataclass
class Crew:
    """The agents of one phase, and what they saved (for the drafts check)."""

    agents: list[Agent]

    def saved(self) -> dict[str, tuple[set[str], set[str]]]:
        return {a.identity.name: (a.saved, a.unconfirmed) for a in self.agents}


def agent_client(base_url: str, identity: Identity, tls: ssl.SSLContext) -> httpx.AsyncClient:
    """The agent's own browser: its token on every request and a few connections, as a
    browser keeps per site (one pool for all agents would cost the generator a scan of every
    connection on every request)."""
    return httpx.AsyncClient(
        base_url=base_url,
        headers={"Authorization": f"Bearer {identity.token}"},
        timeout=REQUEST_TIMEOUT_S,
        limits=httpx.Limits(
            max_connections=6, max_keepalive_connections=6, keepalive_expiry=KEEPALIVE_S
        ),
        verify=tls,
    )


async def run_phase(
    base_url: str,
    identities: list[Identity],
    seconds: float,
    *,
    pace: float,
    ramp_s: float,
    seed: int,
    devices: dict[str, DeviceSlice] | None = None,
) -> tuple[Phase, Crew]:
    """Run one agent per identity for ``seconds`` at ``pace`` (think times scaled by it);
    starts are spread over ``ramp_s``. ``devices``: each agent's, by name (none: every
    search and price asked of the server)."""
    thinking = Pace().scaled(pace)
    recorder = Recorder()
    wave = Wave(recorder)
    lags: list[float] = []
    tls = ssl.create_default_context()  # unused on http://, but built once, not per client
    async with contextlib.AsyncExitStack() as stack:
        deadline = time.monotonic() + seconds
        agents = []
        for identity in identities:
            client = await stack.enter_async_context(agent_client(base_url, identity, tls))
            rng = random.Random(f"{seed}:{identity.name}")
            device = devices.get(identity.name) if devices else None
            agents.append(
                Agent(identity, client, recorder, thinking, Deadline(deadline, rng), device, wave)
            )
        started = datetime.now(UTC)
        recorder.origin = time.perf_counter()
        lag = asyncio.create_task(watch_lag(lags))
        spread = random.Random(seed)
        await asyncio.gather(*(a.run(spread.uniform(0, ramp_s)) for a in agents))
        await wave.send()
        ended = datetime.now(UTC)
        lag.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await lag
    tally = Tally()
    for agent in agents:
        tally.merge(agent.tally)
    tally.retried = recorder.retried
    phase = Phase(len(agents), seconds, pace, started, ended, recorder.samples, tally, lags)
    return phase, Crew(agents)
