"""What ``bench/load.py`` measured, and how it reads: percentiles, sync waits, the drafts check
and the printed report. Pure: no server, no clock, so the arithmetic is tested on its own."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

#: Every route but the smart sync keeps its 95th percentile at or under this, loaded.
TARGET_P95_MS = 250.0
#: The route the p95 target does not apply to, in all its kinds: the smart sync waits for
#: the ERP.
SMART_SYNC = "POST /api/customers/smart-sync"
SYNC_TYPES = ("orders", "customers", "ddt", "invoices", "prices", "products")

#: The order the routes are printed in: the form's life from opening to closing.
ROUTE_ORDER = (
    f"{SMART_SYNC} (synced)",
    f"{SMART_SYNC} (timed out)",
    SMART_SYNC,
    "POST /api/customers/heartbeat",
    "GET /api/customers",
    "GET /api/products",
    "GET /api/products/{code}/prices",
    "POST /api/drafts",
    "GET /api/sync/status",
    "GET /api/sync/events",
    "POST /api/customers/resume-syncs",
    "POST /api/customers/resume-syncs (phase end)",
    "GET /api/drafts",
)


@dataclass(frozen=True)
class Sample:
    """One request: its route, how long it took, and what went wrong (``None`` if nothing);
    ``at``: when it was sent, in seconds from the phase's start."""

    route: str
    seconds: float
    error: str | None = None
    at: float = 0.0


@dataclass
class Tally:
    """What the agents saw besides latencies, summed over a phase."""

    sessions: int = 0
    reregistered: int = 0
    #: Heartbeats answered ``known: false`` for a session this agent had not closed.
    dropped: int = 0
    #: ``resume-syncs`` answered ``closed: false`` for a session this agent had open.
    not_closed: int = 0
    smart_timed_out: int = 0
    smart_failed: int = 0
    max_active_sessions: int = 0
    sse_streams: int = 0
    sse_events: int = 0
    sse_ended_early: int = 0
    no_customer_found: int = 0
    #: Keystrokes searched on the device, and those it found nothing for (asked the server).
    device_searches: int = 0
    device_misses: int = 0
    #: Requests sent again because the server closed the connection without answering.
    retried: int = 0
    incidents: list[str] = field(default_factory=list)

    def merge(self, other: Tally) -> None:
        for name in (
            "sessions",
            "reregistered",
            "dropped",
            "not_closed",
            "smart_timed_out",
            "smart_failed",
            "sse_streams",
            "sse_events",
            "sse_ended_early",
            "no_customer_found",
            "device_searches",
            "device_misses",
            "retried",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.max_active_sessions = max(self.max_active_sessions, other.max_active_sessions)
        self.incidents.extend(other.incidents)


@dataclass(frozen=True)
class CpuShare:
    """CPU used over a phase, in per cent of one core (two busy cores: 200)."""

    server: float
    generator: float
    others: float
    cores: int
    #: The PostgreSQL backends of the run's database (``None`` on SQLite, inside the server).
    database: float | None = None


@dataclass(frozen=True)
class Phase:
    """One stretch of agents against the server."""

    agents: int
    seconds: float
    pace: float
    started: datetime
    ended: datetime
    samples: Sequence[Sample]
    tally: Tally
    #: How late the load generator's own event loop woke up, in seconds (its saturation).
    lag: Sequence[float] = ()
    cpu: CpuShare | None = None


# -- arithmetic ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-quantile (0..1) by linear interpolation between closest ranks; ``None`` for
    no values, the value itself for one."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class RouteStats:
    """Latencies in milliseconds, over the successful requests only (errors are counted)."""

    requests: int
    errors: int
    p50: float | None
    p95: float | None
    p99: float | None
    error_kinds: Mapping[str, int] = field(default_factory=dict)


def route_stats(samples: Iterable[Sample]) -> dict[str, RouteStats]:
    by_route: dict[str, list[Sample]] = {}
    for sample in samples:
        by_route.setdefault(sample.route, []).append(sample)
    stats = {}
    for route, taken in by_route.items():
        ok = [s.seconds * 1000 for s in taken if s.error is None]
        kinds = Counter(s.error for s in taken if s.error is not None)
        stats[route] = RouteStats(
            len(taken),
            sum(kinds.values()),
            percentile(ok, 0.50),
            percentile(ok, 0.95),
            percentile(ok, 0.99),
            dict(kinds),
        )
    return stats


def ordered_routes(routes: Iterable[str]) -> list[str]:
    known = set(routes)
    return [r for r in ROUTE_ORDER if r in known] + sorted(known - set(ROUTE_ORDER))


@dataclass(frozen=True)
class SyncWait:
    """One sync type over the load: the runs that completed in it and the longest stretch
    without a completed run, counted from the last one before the load began."""

    type: str
    completed: int
    smart: int
    longest_gap_s: float
    last_before: datetime | None
    #: After the load, how long until its first completed run (``None``: none seen).
    after_load_s: float | None = None
    #: Why it was queued as the load ended (``forms_open``…), or ``None`` if it was not.
    queued_reason: str | None = None

    @property
    def ran(self) -> bool:
        return self.completed > 0


def _finished(run: Mapping[str, object]) -> datetime | None:
    text = run.get("finishedAt")
    if run.get("status") != "completed" or not isinstance(text, str):
        return None
    return datetime.fromisoformat(text)


def longest_gap(
    completions: Sequence[datetime], start: datetime, end: datetime, before: datetime | None
) -> float:
    """The longest stretch of ``[start, end]`` with no completed run, in seconds; a gap that
    began before ``start`` counts from ``before`` (the last completion before it)."""
    marks = [before or start, *sorted(c for c in completions if start <= c <= end), end]
    return max((b - a).total_seconds() for a, b in itertools.pairwise(marks))


def sync_waits(
    runs: Sequence[Mapping[str, object]],
    start: datetime,
    end: datetime,
    *,
    queued: Mapping[str, str] | None = None,
) -> dict[str, SyncWait]:
    """Each type's :class:`SyncWait` over ``[start, end]``, from ``GET /api/sync/runs``."""
    waits = {}
    for type in SYNC_TYPES:
        mine = [(r, at) for r in runs if r.get("type") == type and (at := _finished(r))]
        inside = [(r, at) for r, at in mine if start <= at <= end]
        earlier = [at for _, at in mine if at < start]
        later = [at for _, at in mine if at > end]
        waits[type] = SyncWait(
            type=type,
            completed=len(inside),
            smart=sum(1 for r, _ in inside if r.get("trigger") == "smart"),
            longest_gap_s=longest_gap(
                [at for _, at in inside], start, end, max(earlier, default=None)
            ),
            last_before=max(earlier, default=None),
            after_load_s=(min(later) - end).total_seconds() if later else None,
            queued_reason=(queued or {}).get(type),
        )
    return waits


@dataclass
class DraftCheck:
    """Every draft an agent was told was saved must be listed afterwards, exactly once."""

    agents: int = 0
    saved: int = 0
    listed: int = 0
    lost: int = 0
    duplicated: int = 0
    #: Listed but never confirmed to the agent (a save that failed or timed out, yet stored).
    unconfirmed_present: int = 0
    #: Listed, yet never sent by the agent at all.
    foreign: int = 0
    lost_ids: list[str] = field(default_factory=list)

    def add(self, saved: set[str], unconfirmed: set[str], listed: Sequence[str]) -> None:
        """One agent: ``saved`` were answered 200/201, ``unconfirmed`` were sent but never
        answered so, ``listed`` is what ``GET /api/drafts`` returned."""
        counts = Counter(listed)
        self.agents += 1
        self.saved += len(saved)
        self.listed += len(listed)
        missing = sorted(saved - counts.keys())
        self.lost += len(missing)
        self.lost_ids.extend(missing[: max(0, 5 - len(self.lost_ids))])
        self.duplicated += sum(n - 1 for n in counts.values() if n > 1)
        present = counts.keys() - saved
        self.unconfirmed_present += len(present & unconfirmed)
        self.foreign += len(present - unconfirmed)


@dataclass(frozen=True)
class ServerLog:
    """What the server wrote that a healthy run does not: tracebacks, errors, warnings."""

    tracebacks: int = 0
    errors: int = 0
    counted: Mapping[str, int] = field(default_factory=dict)
    first_errors: Sequence[str] = ()


#: Coordination steps worth counting in the server log (``action=…``).
LOGGED_ACTIONS = (
    "session_expired",
    "safety_timeout",
    "sync_failed",
    "sync_watchdog",
    "sync_preempted",
    "demo_erp_overlap",
)


def scan_log(lines: Iterable[str]) -> ServerLog:
    tracebacks = errors = 0
    counted: Counter[str] = Counter()
    first: list[str] = []
    for line in lines:
        if line.startswith("Traceback"):
            tracebacks += 1
        if " ERROR " in line or line.startswith("ERROR:"):
            errors += 1
            if len(first) < 5:
                first.append(line.strip()[:200])
        for action in LOGGED_ACTIONS:
            if f"action={action} " in line or line.rstrip().endswith(f"action={action}"):
                counted[action] += 1
    return ServerLog(tracebacks, errors, dict(counted), tuple(first))


@dataclass(frozen=True)
class RunResult:
    """Everything one database's run measured."""

    database: str
    profile: str
    interval_minutes: float
    starvation_budget: float
    load: Phase
    idle: Phase
    drafts: DraftCheck
    erp: Mapping[str, object]
    waits: Mapping[str, SyncWait]
    log: ServerLog
    warm_up_s: float
    notes: Sequence[str] = ()


# -- the report ---------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def _ratio(loaded: float | None, idle: float | None) -> str:
    if loaded is None or idle is None or idle <= 0:
        return "-"
    return f"{loaded / idle:.1f}x"


def bounded(route: str) -> bool:
    """Whether the p95 target applies: to every route but the smart sync's."""
    return not route.startswith(SMART_SYNC)


def _p95_met(route: str, stats: RouteStats) -> str:
    if not bounded(route):
        return "-"
    return "yes" if stats.p95 is not None and stats.p95 <= TARGET_P95_MS else "NO"


def route_table(load: Phase, idle: Phase) -> list[str]:
    loaded, quiet = route_stats(load.samples), route_stats(idle.samples)
    header = (
        f"{'':<46}{'loaded':^33} |{'1 agent (idle)':^26} |{'loaded / idle':^20} |"
        f" p95 <= {TARGET_P95_MS:.0f} ms"
    )
    columns = (
        f"{'route':<46}{'req':>7}{'err':>5}{'p50':>7}{'p95':>7}{'p99':>7} |"
        f"{'req':>5}{'p50':>7}{'p95':>7}{'p99':>7} |{'p50':>6}{'p95':>7}{'p99':>7} | met"
    )
    lines = [header, columns, "-" * len(columns)]
    for route in ordered_routes([*loaded, *quiet]):
        mine, base = loaded.get(route), quiet.get(route)
        empty = RouteStats(0, 0, None, None, None)
        mine, base = mine or empty, base or empty
        lines.append(
            f"{route:<46}{mine.requests:>7}{mine.errors:>5}{_ms(mine.p50):>7}{_ms(mine.p95):>7}"
            f"{_ms(mine.p99):>7} |{base.requests:>5}{_ms(base.p50):>7}{_ms(base.p95):>7}"
            f"{_ms(base.p99):>7} |{_ratio(mine.p50, base.p50):>6}{_ratio(mine.p95, base.p95):>7}"
            f"{_ratio(mine.p99, base.p99):>7} | {_p95_met(route, mine)}"
        )
    return lines


#: The stretch of the load each p95 of :func:`window_line` covers.
WINDOW_S = 10.0


def window_line(load: Phase) -> str:
    """The p95 of every bounded route together, per stretch of the load: whether the
    latencies belong to the ramp (every agent opening its form at once) or to all of it."""
    windows: dict[int, list[float]] = {}
    for sample in load.samples:
        if sample.error is None and bounded(sample.route):
            windows.setdefault(int(sample.at // WINDOW_S), []).append(sample.seconds * 1000)
    parts = [
        f"{n * WINDOW_S:.0f}-{(n + 1) * WINDOW_S:.0f} s {_ms(percentile(taken, 0.95))}"
        for n, taken in sorted(windows.items())
    ]
    return f"p95 in ms of all routes but the smart sync, by {WINDOW_S:.0f} s of the load: " + (
        ", ".join(parts) or "-"
    )


def error_lines(phase: Phase, label: str) -> list[str]:
    lines = []
    for route, stats in route_stats(phase.samples).items():
        for kind, count in sorted(stats.error_kinds.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {label}: {route}: {count} x {kind}")
    return lines


def _gap(wait: SyncWait) -> str:
    return f"{wait.longest_gap_s:.1f} s"


def _verdict(wait: SyncWait, window_s: float) -> str:
    if not wait.ran:
        why = f", queued: {wait.queued_reason}" if wait.queued_reason else ""
        return f"NEVER RAN during the {window_s:.0f} s load{why}"
    if wait.smart:
        return f"ran ({wait.smart} of them smart syncs)"
    return "ran"


def sync_table(result: RunResult) -> list[str]:
    window = (result.load.ended - result.load.started).total_seconds()
    lines = [
        f"sync waits: every type due every {result.interval_minutes:g} min, held back by open "
        f"forms {result.starvation_budget:g} interval(s) at most; longest gap between "
        "completed runs during the load (from the last run before it)",
        f"{'type':<11}{'runs':>5}{'longest gap':>13}{'after load':>12}  verdict",
    ]
    for type in SYNC_TYPES:
        wait = result.waits[type]
        after = "-" if wait.after_load_s is None else f"+{wait.after_load_s:.1f} s"
        lines.append(
            f"{type:<11}{wait.completed:>5}{_gap(wait):>13}{after:>12}  {_verdict(wait, window)}"
        )
    return lines


@dataclass(frozen=True)
class Target:
    label: str
    measured: str
    met: bool


def targets(result: RunResult) -> list[Target]:
    loaded = route_stats(result.load.samples)
    found = []
    for route in ordered_routes(loaded):
        stats = loaded[route]
        found.append(Target(f"{route}: errors = 0", str(stats.errors), stats.errors == 0))
        if bounded(route):
            found.append(
                Target(
                    f"{route}: p95 <= {TARGET_P95_MS:.0f} ms",
                    f"{_ms(stats.p95)} ms",
                    stats.p95 is not None and stats.p95 <= TARGET_P95_MS,
                )
            )
    drafts = result.drafts
    found.append(Target("drafts lost = 0", str(drafts.lost), drafts.lost == 0))
    found.append(Target("drafts listed twice = 0", str(drafts.duplicated), drafts.duplicated == 0))
    overlaps = result.erp.get("overlaps")
    found.append(Target("ERP overlaps = 0", str(overlaps), overlaps == 0))
    tally = result.load.tally
    found.append(
        Target(
            "sessions ended by someone else = 0",
            str(tally.dropped + tally.not_closed),
            tally.dropped + tally.not_closed == 0,
        )
    )
    for type in SYNC_TYPES:
        wait = result.waits[type]
        found.append(Target(f"{type} ran during the load", f"{wait.completed} runs", wait.ran))
    return found


def _rate(phase: Phase) -> float:
    span = (phase.ended - phase.started).total_seconds()
    return len(phase.samples) / span if span > 0 else 0.0


def _phase_lines(label: str, phase: Phase) -> list[str]:
    lag = percentile(list(phase.lag), 0.99)
    worst = max(phase.lag, default=0.0)
    agents = f"{phase.agents} agent{'s' if phase.agents != 1 else ''}"
    lines = [
        f"{label + ':':<8}{agents}, {phase.seconds:g} s, think times x{phase.pace:g}, "
        f"{len(phase.samples):,} requests ({_rate(phase):.0f}/s)"
    ]
    cpu = phase.cpu
    if cpu is not None:
        database = "" if cpu.database is None else f", its PostgreSQL {cpu.database:.0f}"
        lines.append(
            f"{'':8}CPU in % of one core: server {cpu.server:.0f}{database}, load generator "
            f"{cpu.generator:.0f}, other processes {cpu.others:.0f} (of {cpu.cores * 100})"
        )
    lines.append(
        f"{'':8}load generator's event loop lag p99 "
        f"{_ms(None if lag is None else lag * 1000)} ms, max {worst * 1000:.0f} ms"
    )
    return lines


def _sessions_lines(tally: Tally) -> list[str]:
    return [
        f"order forms: {tally.sessions} opened, at most {tally.max_active_sessions} open at once; "
        f"smart syncs answered timed out {tally.smart_timed_out}, failed {tally.smart_failed}",
        f"  heartbeats answered known=false (session dropped under the agent): {tally.dropped}; "
        f"re-registered after a drop: {tally.reregistered}",
        f"  resume-syncs answered closed=false (session no longer open): {tally.not_closed}",
        f"  event streams held: {tally.sse_streams}, events received {tally.sse_events}, "
        f"ended by the server early {tally.sse_ended_early}; searches that found no customer "
        f"after three words: {tally.no_customer_found}",
        f"  keystrokes searched on the device: {tally.device_searches}, of which found nothing "
        f"there (asked the server): {tally.device_misses}",
        f"  requests sent again after the server closed the connection unanswered: {tally.retried}",
    ]


def report(result: RunResult) -> list[str]:
    load, idle = result.load, result.idle
    lines = [
        f"erpsync under load on {result.database}: demo ERP {result.profile} profile, "
        f"scheduler on (warm-up: six full syncs in {result.warm_up_s:.0f} s)",
        *_phase_lines("loaded", load),
        *_phase_lines("idle", idle),
        "latency in ms of the successful requests; GET /api/sync/events is the time to its "
        "first event",
        "",
        *route_table(load, idle),
        window_line(load),
        "",
        *sync_table(result),
        "",
        *_sessions_lines(load.tally),
    ]
    drafts = result.drafts
    lines += [
        f"drafts: {drafts.saved} saved by {drafts.agents} agents, {drafts.listed} listed; "
        f"lost {drafts.lost}, listed twice {drafts.duplicated}, stored though the save failed "
        f"{drafts.unconfirmed_present}, never sent {drafts.foreign}",
    ]
    if drafts.lost_ids:
        lines.append(f"  lost, e.g.: {', '.join(drafts.lost_ids)}")
    erp = result.erp
    lines.append(
        f"demo ERP: {erp.get('requests_total')} requests, {erp.get('pages_served')} pages, "
        f"overlaps {erp.get('overlaps')}"
    )
    log = result.log
    counted = ", ".join(f"{k} {v}" for k, v in sorted(log.counted.items())) or "none"
    lines.append(
        f"server log: {log.tracebacks} tracebacks, {log.errors} error lines; steps: {counted}"
    )
    lines += [f"  {line}" for line in log.first_errors]
    errors = error_lines(load, "loaded") + error_lines(idle, "idle")
    if errors:
        lines += ["errors by route:", *errors]
    incidents = load.tally.incidents + idle.tally.incidents
    if incidents:
        lines += ["incidents (first ones):", *[f"  {i}" for i in incidents[:10]]]
    lines += [f"note: {note}" for note in result.notes]
    checked = targets(result)
    missed = [t for t in checked if not t.met]
    lines.append("")
    if missed:
        lines += [f"TARGET MISSED: {t.label} (measured {t.measured})" for t in missed]
    else:
        lines.append("all targets met")
    return lines
