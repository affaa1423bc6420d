"""SIGKILL of ``erpsync serve`` on SQLite in the middle of full syncs, at seeded random moments.

One demo ERP and one database live through every trial; each trial saves drafts, changes the
ERP, starts slowed full syncs of all six types, kills the service at a random moment, changes
the ERP again while it is down, restarts it, lets everything finish and records what it finds.
The tests below then judge the trials, one property each.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, update

from erpsync.adapters.db.engine import build_engine
from erpsync.adapters.db.tables import sync_runs
from erpsync.domain.catalog import SPECS
from erpsync.domain.types import SyncType
from tests.crash.deployment import Api, Erp, add_user, erpsync_settings, start_erp, start_serve
from tests.crash.mirror_check import RunRow, mirror_differences, run, runs
from tests.crash.processes import POLL_S, Processes, Server

TRIALS = 3
SEED = 20_511
#: Extra time per ERP page: a full sync of all six types (56 pages) then lasts about 7 s.
SLOW_PAGE_S = 0.1
#: When, after the syncs were asked for, the service is killed.
KILL_WINDOW_S = (0.3, 5.5)
DRAFTS_BEFORE_SYNC = 2
TOUCHED_WHILE_DOWN = {SyncType.CUSTOMERS: 4, SyncType.PRODUCTS: 4, SyncType.ORDERS: 3}
AGENT_CODE = "A01"
SYNC_TIMEOUT_S = 40

Json = dict[str, Any]


@dataclass
class Trial:
    """What one kill and restart left behind."""

    number: int
    kill_after_s: float
    #: The run the kill interrupted, as the database kept it.
    killed: RunRow | None = None
    #: Pages of the killed run's type the ERP served after the kill.
    asked_after_kill: int = 0
    #: How many pages a pass over the whole type takes now.
    pages_of_type: int = 0
    shown_running_after_restart: list[str] = field(default_factory=list)
    killed_at_end: RunRow | None = None
    runs_begun_instead: list[RunRow] = field(default_factory=list)
    running_at_end_api: list[str] = field(default_factory=list)
    running_at_end_db: list[str] = field(default_factory=list)
    mirror_differences: dict[str, str] = field(default_factory=dict)
    draft_problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"trial {self.number} (kill after {self.kill_after_s:.2f} s, {self.killed})"


def orderable_qty(product: Json) -> int:
    """The smallest quantity the product's rules accept."""
    step = math.lcm(product["multipleQty"] or 1, product["packageSize"] or 1)
    return step * max(1, math.ceil((product["minQty"] or 1) / step))


@dataclass
class Site:
    """The demo ERP and one ``erpsync serve`` on one SQLite database, which every trial
    kills and starts again on the same port."""

    processes: Processes
    erp: Erp
    settings: dict[str, str]
    engine: Engine
    admin_token: str
    agent_token: str
    server: Server

    @property
    def admin(self) -> Api:
        return Api(self.server.url, self.admin_token)

    @property
    def agent(self) -> Api:
        return Api(self.server.url, self.agent_token)

    def kill(self) -> None:
        self.server.process.kill()

    def restart(self) -> None:
        port = int(self.server.url.rsplit(":", 1)[1])
        self.server = start_serve(
            self.processes, "serve", self.settings, self.admin_token, port=port
        )


class Drafts:
    """The agent's drafts saved so far, by id with the body they were saved with."""

    def __init__(self, site: Site, rng: random.Random) -> None:
        self._site = site
        self._rng = rng
        self.saved: dict[str, Json] = {}

    def save(self, label: str) -> None:
        agent = self._site.agent
        customers = agent.get("/api/customers?limit=20")["customers"]
        products = agent.get("/api/products?limit=20")["products"]
        chosen = self._rng.sample(products, self._rng.randint(1, 3))
        body = {
            "id": f"{label}-{self._rng.getrandbits(48):012x}",
            "customer_code": self._rng.choice(customers)["code"],
            "lines": [
                {"product_code": p["code"], "qty": orderable_qty(p), "unit_price": "9.90"}
                for p in chosen
            ],
            "notes": label,
        }
        answer = agent.call("POST", "/api/drafts", json=body)
        assert answer.status_code == 201, answer.text
        self.saved[body["id"]] = body

    def problems(self) -> list[str]:
        """How the agent's drafts differ from the ones saved: each exactly once, with its
        lines, and saving one again (a retry) neither fails nor makes a second."""
        agent = self._site.agent
        found = []
        listed = agent.get("/api/drafts")["drafts"]
        ids = [d["id"] for d in listed]
        for draft_id in self.saved:
            if ids.count(draft_id) != 1:
                found.append(f"draft {draft_id} is listed {ids.count(draft_id)} times")
        if extra := set(ids) - self.saved.keys():
            found.append(f"drafts never saved are listed: {sorted(extra)}")
        for draft in listed:
            body = self.saved.get(draft["id"])
            if body is not None and len(draft["lines"]) != len(body["lines"]):
                found.append(f"draft {draft['id']} has {len(draft['lines'])} lines")
        for body in self.saved.values():
            again = agent.call("POST", "/api/drafts", json=body)
            if again.status_code != 200 or again.json()["created"]:
                found.append(f"saving {body['id']} again answered {again.status_code}")
        if len(agent.get("/api/drafts")["drafts"]) != len(listed):
            found.append("saving the drafts again changed how many there are")
        return found


def change_erp_before_the_sync(erp: Erp, trial: int, rng: random.Random) -> None:
    """Records the full syncs must find: two deleted, two created."""
    for type in (SyncType.CUSTOMERS, SyncType.PRODUCTS):
        erp.request("DELETE", f"/admin/{type.value}/{rng.choice(erp.keys(type))}")
    erp.request(
        "POST",
        "/admin/customers",
        json={"code": f"C9{trial:05d}", "name": f"Cliente nuovo {trial}", "agent_code": AGENT_CODE},
    )
    erp.request(
        "POST",
        "/admin/products",
        json={"code": f"P9{trial:05d}", "description": f"Articolo nuovo {trial}", "vat_rate": "22"},
    )


def wait_while_alive(server: Server, seconds: float) -> None:
    """Let ``seconds`` pass, failing at once if the service dies by itself meanwhile."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        assert server.process.alive(), f"the service died:\n{server.process.log_tail()}"
        time.sleep(min(POLL_S, max(0.0, until - time.monotonic())))


def wait_for_a_run(site: Site, timeout_s: float = 5.0) -> None:
    """Until a run is running (at once, mostly): the moment drawn may fall between two."""
    until = time.monotonic() + timeout_s
    while not runs(site.engine, status="running") and time.monotonic() < until:
        assert site.server.process.alive(), f"the service died:\n{site.server.process.log_tail()}"
        time.sleep(0.005)


def running_in_api(api: Api) -> list[str]:
    return [f"run {r['id']} ({r['type']})" for r in api.runs() if r["status"] == "running"]


def crash_once(number: int, site: Site, drafts: Drafts, rng: random.Random) -> Trial:
    """One trial; it asserts only what it needs to go on, and records the rest."""
    trial = Trial(number, rng.uniform(*KILL_WINDOW_S))
    erp, engine = site.erp, site.engine
    for n in range(DRAFTS_BEFORE_SYNC):
        drafts.save(f"t{number}-before-{n}")
    change_erp_before_the_sync(erp, number, rng)
    erp.slow_pages(SLOW_PAGE_S)
    asked = time.monotonic()
    site.admin.request_sync(None)
    drafts.save(f"t{number}-during")
    wait_while_alive(site.server, trial.kill_after_s - (time.monotonic() - asked))
    wait_for_a_run(site)  # not in the instant between one type's run and the next one's
    site.kill()

    erp.slow_pages(0)
    erp.reset_stats()
    left = runs(engine, status="running")
    assert len(left) <= 1, f"one sync runs at a time, yet these were running: {left}"
    trial.killed = left[0] if left else None
    for type, count in TOUCHED_WHILE_DOWN.items():
        erp.request("POST", f"/admin/touch/{type.value}?count={count}")

    site.restart()
    # unasked, the restarted service goes on with what the dead one left unfinished
    site.admin.wait_idle(SYNC_TIMEOUT_S)
    trial.shown_running_after_restart = running_in_api(site.admin)
    if trial.killed is not None:
        killed, type = trial.killed, SyncType(trial.killed.type)
        trial.asked_after_kill = erp.served_since_reset(type)
        trial.pages_of_type = math.ceil(len(erp.keys(type)) / SPECS[type].page_size)
        trial.killed_at_end = run(engine, killed.id)
        trial.runs_begun_instead = [r for r in runs(engine, type=type.value) if r.id > killed.id]
    site.admin.request_sync(None)  # full syncs find what changed while it was down
    site.admin.wait_idle(SYNC_TIMEOUT_S)
    trial.running_at_end_api = running_in_api(site.admin)
    trial.running_at_end_db = [str(r) for r in runs(engine, status="running")]
    trial.mirror_differences = mirror_differences(erp, engine, SyncType)
    trial.draft_problems = drafts.problems()
    return trial


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Customers and products mirrored already, so the agent can save drafts."""
    root: Path = tmp_path_factory.mktemp("sqlite-kill")
    database_url = f"sqlite:///{root / 'erpsync.db'}"
    with Processes(root) as processes:
        erp = start_erp(processes)
        settings = erpsync_settings(database_url, erp, root / "data")
        admin_token = add_user(processes, settings, "ufficio")
        agent_token = add_user(processes, settings, "rossi", agent_code=AGENT_CODE)
        server = start_serve(processes, "serve", settings, admin_token)
        engine = build_engine(database_url)
        try:
            site = Site(processes, erp, settings, engine, admin_token, agent_token, server)
            for type in (SyncType.CUSTOMERS, SyncType.PRODUCTS):
                site.admin.request_sync(type)
            site.admin.wait_idle(SYNC_TIMEOUT_S)
            yield site
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def trials(site: Site) -> list[Trial]:
    rng = random.Random(SEED)
    drafts = Drafts(site, rng)
    return [crash_once(number, site, drafts, rng) for number in range(1, TRIALS + 1)]


def judged(problems: list[str]) -> None:
    assert not problems, "\n".join(problems)


def test_every_kill_lands_while_a_sync_is_running(trials: list[Trial]) -> None:
    """A kill between syncs would prove nothing about recovering from one."""
    judged([f"{t}: nothing was running when it was killed" for t in trials if t.killed is None])


def test_after_a_kill_and_a_restart_the_mirror_equals_the_erp_row_for_row(
    trials: list[Trial],
) -> None:
    judged([f"{t}: {type} {diff}" for t in trials for type, diff in t.mirror_differences.items()])


def test_a_killed_run_resumes_from_its_checkpoint_as_the_same_run(trials: list[Trial]) -> None:
    """The killed run is the one that completes (no new run of its type begins instead),
    and the ERP serves it only the pages after its checkpoint, not the whole type again."""
    problems = []
    for t in trials:
        if t.killed is None:
            continue
        if t.killed_at_end is None or t.killed_at_end.status != "completed":
            problems.append(f"{t}: ended as {t.killed_at_end}")
        if t.runs_begun_instead:
            problems.append(f"{t}: {', '.join(map(str, t.runs_begun_instead))} began instead")
        if t.asked_after_kill > t.pages_of_type - t.killed.pages + 1:
            problems.append(
                f"{t}: {t.asked_after_kill} pages asked after the kill, where the type has "
                f"{t.pages_of_type} and {t.killed.pages} were written before it"
            )
    judged(problems)


def test_a_restarted_service_shows_no_run_running_while_nothing_runs(
    trials: list[Trial],
) -> None:
    """Once the restarted service has gone on with what the dead one left unfinished, nothing
    runs (the schedule is off and nothing more was asked), so a run ``/api/sync/runs`` calls
    running is one a dead process left behind."""
    judged(
        [
            f"{t}: after the restart, while idle, /api/sync/runs shows {', '.join(shown)} running"
            for t in trials
            if (shown := t.shown_running_after_restart)
        ]
    )


def test_no_run_is_left_running_once_the_syncs_have_finished(trials: list[Trial]) -> None:
    judged(
        [f"{t}: /api/sync/runs shows {r} running" for t in trials for r in t.running_at_end_api]
        + [f"{t}: sync_runs holds {r}" for t in trials for r in t.running_at_end_db]
    )


def test_every_draft_saved_before_a_kill_is_there_exactly_once(trials: list[Trial]) -> None:
    judged([f"{t}: {problem}" for t in trials for problem in t.draft_problems])


def test_a_run_killed_after_its_last_page_is_not_paged_through_again(site: Site) -> None:
    """A kill between the last page's transaction and the run's completion leaves the run
    ``running`` with the checkpoint of its last page (no cursor left). That moment lasts
    milliseconds, too short to hit with a timed kill, so the row is put in that state while
    the service is down. Resuming it must not fetch and count the whole type again: a crash
    loses at most the page in flight."""
    type = SyncType.PRODUCTS
    site.admin.request_sync(type)
    site.admin.wait_idle(SYNC_TIMEOUT_S)
    site.kill()
    last = runs(site.engine, type=type.value)[-1]
    with site.engine.begin() as conn:
        conn.execute(
            update(sync_runs)
            .where(sync_runs.c.id == last.id)
            .values(status="running", finished_at=None, duration_s=None)
        )
    site.erp.reset_stats()
    site.restart()  # it goes on with the run on its own
    site.admin.wait_idle(SYNC_TIMEOUT_S)

    asked = site.erp.served_since_reset(type)
    resumed = run(site.engine, last.id)
    assert resumed.status == "completed"
    assert asked <= 1 and resumed.pages <= last.pages + 1, (
        f"run {last.id}, killed with its {last.pages} pages written, was paged through again: "
        f"the ERP was asked for {asked} pages and the run now counts {resumed.pages}"
    )
