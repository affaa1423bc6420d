"""Property tests: random interleavings of requests, form sessions, pages and time.

The sync engine is scripted: a sync advances only when the test says so, page by page, and
asks ``yield_reason`` between pages like the real engine. Whatever the interleaving:
never two syncs at once; the sync started is always the highest-priority eligible one; nothing
but customers starts while a form is open; every form's smart sync started after the form
opened (or its answer says it timed out); and once no form is open, every queued request runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erpsync.domain.answers import FormOpened, SmartSyncStatus
from erpsync.domain.commands import CloseForm, OpenForm, PingForm, RequestSync
from erpsync.domain.dispatch import YieldReason
from erpsync.domain.runs import Checkpoint, SyncCounts, SyncRun
from erpsync.domain.types import SyncMode, SyncType, Trigger
from erpsync.ports import RunObserver, SyncJob
from erpsync.services.events import EventBus
from erpsync.services.orchestrator import Orchestrator
from erpsync.services.orchestrator_config import OrchestratorConfig
from erpsync.testing import FakeClock, InMemoryRunStore, InMemoryScheduleStore
from tests.unit.services.conftest import T0


@dataclass
class Active:
    type: SyncType
    run: SyncRun
    step: asyncio.Queue[str] = field(default_factory=asyncio.Queue)


class ScriptedEngine:
    """A :class:`~erpsync.ports.SyncEngine` whose syncs advance a page when told."""

    def __init__(self, runs: InMemoryRunStore, clock: FakeClock) -> None:
        self.runs = runs
        self.clock = clock
        self.active: Active | None = None
        self.violations: list[str] = []
        self.on_start: Callable[[SyncType, Trigger], None] = lambda t, trigger: None
        self.started: list[tuple[SyncType, Trigger]] = []

    async def last_full_syncs(self) -> dict[SyncType, datetime]:
        return {}

    async def recover(self) -> list[SyncRun]:
        return []

    async def run(
        self,
        job: SyncJob,
        *,
        yield_reason: Callable[[], YieldReason | None],
        observer: RunObserver,
        time_limit: timedelta,
    ) -> SyncRun:
        type = job.type
        if self.active is not None:
            self.violations.append(f"{type} started while {self.active.type} ran")
        pending = self.runs.unfinished(type) if job.resume else None
        if pending is not None:
            run = self.runs.resume(pending.id, self.clock.now())
        else:
            run = self.runs.start(
                type, job.mode, trigger=job.trigger, since=None, at=self.clock.now()
            )
        observer.began(run, pending is not None)
        self.on_start(type, job.trigger)
        self.started.append((type, job.trigger))
        active = self.active = Active(type, run)
        try:
            while True:
                step = await active.step.get()
                pages = run.checkpoint.pages + 1
                run = run.with_checkpoint(Checkpoint("c", pages, SyncCounts(fetched=pages)))
                self.runs.checkpoint(run.id, run.checkpoint, self.clock.now())
                observer.progressed(run)
                if step == "last":
                    return self.runs.complete(run.id, self.clock.now())
                reason = yield_reason()
                if reason is not None:
                    observer.stopping(reason)
                    return self.runs.interrupt(run.id, self.clock.now())
        finally:
            self.active = None


TYPES = st.sampled_from(list(SyncType))
SESSION_IDS = ["tab-aaaaaa01", "tab-aaaaaa02", "tab-aaaaaa03"]
SESSIONS = st.sampled_from(SESSION_IDS)
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
    runner = ScriptedEngine(runs, clock)
    orch = Orchestrator(
        runner,
        InMemoryScheduleStore(),
        clock,
        EventBus(),
        OrchestratorConfig(
            scheduler=False,
            lease_ttl=timedelta(seconds=60),
            safety_timeout=timedelta(seconds=300),
            max_run_time=timedelta(days=1),
        ),
    )

    def check_start(type: SyncType, trigger: Trigger) -> None:
        snapshot = orch.snapshot()
        if snapshot.paused and type != SyncType.CUSTOMERS:
            runner.violations.append(f"{type} started while a form was open")
        if trigger == Trigger.SMART:
            return
        started_priority = snapshot.schedule[type].priority
        better = [
            r.type
            for r in snapshot.queue
            if snapshot.eligible(r.type) and r.priority > started_priority
        ]
        if better or snapshot.smart_waiting:
            runner.violations.append(f"{type} started before {better or 'the smart sync'}")

    runner.on_start = check_start
    forms: list[tuple[datetime, asyncio.Task[FormOpened]]] = []
    requested_after_run: set[SyncType] = set()

    async def settle() -> None:
        for _ in range(20):
            await asyncio.sleep(0)

    await orch.start()  # its loop applies what time makes due as the fake clock moves
    for operation in operations:
        kind = operation[0]
        if kind == "request":
            await orch.handle(RequestSync(operation[1], operation[2]))
            requested_after_run.add(operation[1])
        elif kind == "open":
            opened_at = clock.now()
            forms.append((opened_at, asyncio.create_task(orch.handle(OpenForm(operation[1], 1)))))
        elif kind == "close":
            await orch.handle(CloseForm(operation[1], 1))
        elif kind == "ping":
            await orch.handle(PingForm(operation[1], 1, active=True))
        elif kind == "page" and runner.active is not None:
            runner.active.step.put_nowait(operation[1])
        elif kind == "advance":
            await clock.advance(operation[1])
        await settle()
        assert not runner.violations, runner.violations

    for session_id in SESSION_IDS:
        await orch.handle(CloseForm(session_id, 1))
    started_before = len(runner.started)
    for _ in range(200):
        await settle()
        if runner.active is not None:
            runner.active.step.put_nowait("last")
            continue
        await settle()
        if runner.active is None:
            break
    assert not runner.violations, runner.violations
    snapshot = orch.snapshot()
    assert len(snapshot.queue) == 0, snapshot.queue
    assert snapshot.running is None
    ran_at_the_end = {t for t, _ in runner.started[started_before:]}
    never_ran = {t for t in requested_after_run if t not in {s for s, _ in runner.started}}
    assert not never_ran, f"requested but never ran: {never_ran} ({ran_at_the_end})"
    for opened_at, form in forms:
        if not form.done():
            form.cancel()
            continue
        result = form.result().result
        if result.status != SmartSyncStatus.TIMED_OUT:
            started = runs.get(result.run_id or 0).started_at
            assert started >= opened_at, "a form's smart sync started after it opened"
    await orch.stop(grace_s=0)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(OPERATIONS, max_size=40))
def test_orchestration_rules_hold_for_any_interleaving(operations: list[tuple[Any, ...]]) -> None:
    asyncio.run(scenario(operations))
