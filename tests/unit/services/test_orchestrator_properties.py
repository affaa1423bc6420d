"""Property tests: random interleavings of requests, form sessions, pages and time.

The runner is scripted: a sync advances only when the test says so, page by page, and checks
``should_yield`` between pages like the real engine. Whatever the interleaving:
never two syncs at once; the sync started is always the highest-priority eligible one; nothing
but customers starts while a form is open; and once no form is open, every queued request runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erpsync.domain.runs import Checkpoint, RunStatus, SyncCounts, SyncRun
from erpsync.domain.types import SyncMode, SyncType
from erpsync.services.events import EventBus
from erpsync.services.orchestrator import Orchestrator
from erpsync.services.orchestrator_config import OrchestratorConfig
from erpsync.services.orchestrator_state import SMART_TRIGGER
from erpsync.testing import FakeClock, InMemoryRunStore, InMemoryScheduleStore
from tests.unit.services.conftest import T0


@dataclass
class Active:
    type: SyncType
    run: SyncRun
    should_yield: Callable[[], bool]
    step: asyncio.Queue[str] = field(default_factory=asyncio.Queue)


class ScriptedRunner:
    def __init__(self, runs: InMemoryRunStore, clock: FakeClock) -> None:
        self.runs = runs
        self.clock = clock
        self.active: Active | None = None
        self.violations: list[str] = []
        self.on_start: Callable[[SyncType, str], None] = lambda t, trigger: None
        self.started: list[tuple[SyncType, str]] = []

    async def run(
        self,
        type: SyncType,
        mode: SyncMode = SyncMode.INCREMENTAL,
        *,
        trigger: str = "manual",
        should_yield: Callable[[], bool],
        on_page: Callable[[SyncRun], None],
        resume: bool = True,
    ) -> SyncRun:
        if self.active is not None:
            self.violations.append(f"{type} started while {self.active.type} ran")
        pending = self.runs.resumable_run(type) if resume else None
        if pending is not None:
            run = self.runs.reopen_run(pending.id)
        else:
            run = self.runs.start_run(type, mode, trigger=trigger, since=None, started_at=T0)
        self.on_start(type, trigger)
        self.started.append((type, trigger))
        active = self.active = Active(type, run, should_yield)
        try:
            while True:
                step = await active.step.get()
                pages = run.checkpoint.pages + 1
                run = run.with_checkpoint(Checkpoint("c", pages, SyncCounts(fetched=pages)))
                self.runs.checkpoint(run.id, run.checkpoint)
                on_page(run)
                if step == "last":
                    return self.runs.finish_run(
                        run.id, RunStatus.COMPLETED, finished_at=self.clock.now()
                    )
                if should_yield():
                    return self.runs.finish_run(run.id, RunStatus.INTERRUPTED, finished_at=None)
        finally:
            self.active = None


TYPES = st.sampled_from(list(SyncType))
SESSIONS = st.sampled_from(["tab-aaaaaa01", "tab-aaaaaa02", "tab-aaaaaa03"])
OPERATIONS = st.one_of(
    st.tuples(st.just("request"), TYPES, st.sampled_from(list(SyncMode))),
    st.tuples(st.just("open"), SESSIONS),
    st.tuples(st.just("close"), SESSIONS),
    st.tuples(st.just("ping"), SESSIONS),
    st.tuples(st.just("page"), st.sampled_from(["more", "last"])),
    st.tuples(st.just("advance"), st.integers(min_value=1, max_value=400)),
)


async def scenario(operations: list[tuple[Any, ...]]) -> None:
    clock = FakeClock(T0)
    runs = InMemoryRunStore()
    runner = ScriptedRunner(runs, clock)
    orch = Orchestrator(
        runner,  # type: ignore[arg-type]
        runs,
        InMemoryScheduleStore(),
        clock,
        EventBus(),
        OrchestratorConfig(
            scheduler=False,
            lease_ttl=timedelta(seconds=60),
            safety_timeout=timedelta(seconds=300),
            smart_reuse_window=timedelta(0),
            max_run_time=timedelta(days=1),
        ),
    )

    def check_start(type: SyncType, trigger: str) -> None:
        if orch.sessions.paused and type != SyncType.CUSTOMERS:
            runner.violations.append(f"{type} started while a form was open")
        if trigger == SMART_TRIGGER:
            return
        started_priority = orch.schedule.priority(type)
        smart_waiting = orch._smart is not None and not orch._smart.started
        better = [
            r.type
            for r in orch.queue.entries()
            if orch.eligible(r.type) and r.priority > started_priority
        ]
        if better or smart_waiting:
            runner.violations.append(f"{type} started before {better or 'the smart sync'}")

    runner.on_start = check_start
    forms: list[asyncio.Task[object]] = []
    requested_after_run: set[SyncType] = set()

    async def settle() -> None:
        for _ in range(20):
            await asyncio.sleep(0)

    for operation in operations:
        kind = operation[0]
        if kind == "request":
            orch.request(operation[1], operation[2])
            requested_after_run.add(operation[1])
        elif kind == "open":
            forms.append(asyncio.create_task(orch.open_form(operation[1])))
        elif kind == "close":
            orch.close_form(operation[1])
        elif kind == "ping":
            orch.ping_form(operation[1], active=True)
        elif kind == "page" and runner.active is not None:
            runner.active.step.put_nowait(operation[1])
        elif kind == "advance":
            await clock.advance(operation[1])
            orch._dispatch()
        await settle()
        assert not runner.violations, runner.violations

    for session_id in list(orch.sessions.active_ids):
        orch.close_form(session_id)
    started_before = len(runner.started)
    for _ in range(200):
        await settle()
        if runner.active is not None:
            runner.active.step.put_nowait("last")
            continue
        orch._dispatch()
        await settle()
        if runner.active is None:
            break
    assert not runner.violations, runner.violations
    assert len(orch.queue) == 0, orch.queue.entries()
    assert orch.running is None
    ran_at_the_end = {t for t, _ in runner.started[started_before:]}
    never_ran = {t for t in requested_after_run if t not in {s for s, _ in runner.started}}
    assert not never_ran, f"requested but never ran: {never_ran} ({ran_at_the_end})"
    for form in forms:
        form.cancel()
    await orch.stop(grace_s=0)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(OPERATIONS, max_size=40))
def test_orchestration_rules_hold_for_any_interleaving(operations: list[tuple[Any, ...]]) -> None:
    asyncio.run(scenario(operations))
