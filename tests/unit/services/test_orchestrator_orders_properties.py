"""Property: whatever fails and whenever the service dies, every submitted draft ends as
exactly one ERP order or one refusal — never two orders, never none (SPEC §2.13).

A random plan mixes lost answers, failures before the ERP's commit, refusals, repeated
presses of "Invia", orders syncs that find orders in the ERP, time passing, and crashes at
the two worst moments: while the ERP call is in flight, and after the ERP created the order
but before its answer arrived. A crash is the orchestrator cancelled mid-call and a new one
started on the same outbox, as a restart or a new holder of the role does.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erpsync.domain.commands import SendOrders
from erpsync.domain.submissions import SubmissionState
from erpsync.services.events import EventBus
from erpsync.services.orchestrator import Orchestrator
from erpsync.services.orchestrator_config import OrchestratorConfig
from erpsync.services.order_lane import OrderLane
from erpsync.services.order_sender import OrderSender
from erpsync.testing import FakeClock, InMemoryRunStore, InMemoryScheduleStore
from erpsync.testing.orders import (
    FakeErp,
    InMemorySubmissionStore,
    MirroredOrder,
    WriteFault,
    submission_of,
)
from tests.unit.services.conftest import T0
from tests.unit.services.test_orchestrator_properties import ScriptedEngine

DRAFTS = [f"draft-{n:04d}" for n in range(1, 5)]
STEPS = st.one_of(
    st.tuples(st.just("fault"), st.sampled_from(list(WriteFault))),
    st.tuples(st.just("press"), st.sampled_from(DRAFTS)),
    st.tuples(st.just("advance"), st.sampled_from([1, 2, 5, 30, 300])),
    st.tuples(st.just("crash_in_flight")),
    st.tuples(st.just("crash_after_commit")),
    st.tuples(st.just("orders_sync")),
)


class Service:
    """One orchestrator at a time over the same outbox and ERP, restarted on a crash."""

    def __init__(self) -> None:
        self.clock = FakeClock(T0)
        self.outbox = InMemorySubmissionStore()
        self.erp = FakeErp()
        self.events = EventBus(buffer=10_000, history=10_000)
        self.presses = 0
        self.orchestrator, self.lane = self._build()

    def _build(self) -> tuple[Orchestrator, OrderLane]:
        runs = InMemoryRunStore()
        lane = OrderLane(
            OrderSender(self.outbox, self.erp, self.clock, self.events), self.clock, self.events
        )
        orchestrator = Orchestrator(
            ScriptedEngine(runs, self.clock),
            InMemoryScheduleStore(),
            self.clock,
            self.events,
            OrchestratorConfig(scheduler=False),
            orders=lane,
        )
        return orchestrator, lane

    async def start(self) -> None:
        await self.orchestrator.start()

    async def crash(self) -> None:
        await self.orchestrator.stop(grace_s=0)
        self.erp.gate = self.erp.after_commit = None
        self.orchestrator, self.lane = self._build()
        await self.start()

    async def press(self, draft: str) -> None:
        """An agent presses "Invia" (again). Each press comes with a new key, as "Invia"
        makes one: only the outbox's one live submission a draft keeps a second press from
        becoming a second order."""
        self.presses += 1
        fresh = submission_of(draft, self.clock.now(), key=f"key-{self.presses}")
        queued = self.outbox.queue([fresh])
        await self.orchestrator.handle(SendOrders(tuple(s.id for s in queued)))

    def orders_in_erp(self) -> Counter[str]:
        return Counter(json.loads(body)["client_reference"] for body, _ in self.erp.orders.values())

    async def orders_sync(self) -> None:
        """The orders sync brings the ERP's orders into the mirror, then links them."""
        await self.orchestrator.run_until_idle()
        self.outbox.mirror = [
            MirroredOrder.of(self._submission_of(body), placed.number)
            for body, placed in self.erp.orders.values()
        ]
        await self.lane.link_mirrored()

    def _submission_of(self, body: str) -> Any:
        reference = json.loads(body)["client_reference"]
        return next(s for s in self.outbox.latest(1, [reference]).values())

    async def crash_at(self, gate: str) -> None:
        """Crash while a call waits at ``gate`` (if a call is made at all)."""
        event = asyncio.Event()
        setattr(self.erp, gate, event)
        for _ in range(200):
            if self.erp.in_flight:
                break
            await asyncio.sleep(0)
        await self.crash()


async def scenario(presses: list[str], plan: list[tuple[Any, ...]]) -> None:
    service = Service()
    await service.start()
    for draft in presses:
        await service.press(draft)
    for step in plan:
        match step:
            case ("fault", fault):
                service.erp.faults.append(fault)
            case ("press", draft):
                await service.press(draft)
            case ("advance", seconds):
                await service.clock.advance(seconds)
            case ("crash_in_flight",):
                await service.crash_at("gate")
            case ("crash_after_commit",):
                await service.crash_at("after_commit")
            case ("orders_sync",):
                await service.orders_sync()
        await asyncio.sleep(0)
    service.erp.faults.clear()
    for _ in range(40):  # the service runs on: every retry delay ends
        await service.orchestrator.run_until_idle()
        if not service.outbox.pending():
            break
        await service.clock.advance(300)
    await service.orchestrator.stop(grace_s=0)

    in_erp = service.orders_in_erp()
    assert service.outbox.pending() == [], "every submission ends"
    assert service.erp.overlaps == 0, "one ERP call at a time"
    pressed = set(presses) | {s[1] for s in plan if s[0] == "press"}
    for draft in pressed:
        ended = service.outbox.latest(1, [draft])[draft]
        assert not ended.state.pending
        assert in_erp[draft] <= 1, f"{draft}: never two orders"
        if ended.state == SubmissionState.PLACED:
            assert in_erp[draft] == 1, f"{draft}: placed means the ERP holds it"
            numbers = [p.number for b, p in service.erp.orders.values() if draft in b]
            assert ended.erp_number == numbers[0]
        else:
            assert ended.state == SubmissionState.REJECTED
            assert in_erp[draft] == 0, f"{draft}: refused means the ERP holds none"
    assert set(in_erp) <= pressed


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(DRAFTS), min_size=1, max_size=4),
    st.lists(STEPS, max_size=25),
)
def test_every_submitted_draft_ends_as_one_erp_order_or_one_refusal(
    presses: list[str], plan: list[tuple[Any, ...]]
) -> None:
    asyncio.run(scenario(presses, plan))
