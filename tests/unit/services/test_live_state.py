"""The live state survives its trip through JSON (how replicas read it)."""

from __future__ import annotations

import asyncio

from erpsync.domain.types import SyncMode, SyncType
from erpsync.services.live_state import LiveState
from tests.unit.services.conftest import World


async def test_live_state_round_trips_through_json(world: World) -> None:
    orch = world.orchestrator
    await orch.open_form("tab-0000001")
    world.source.gate(SyncType.CUSTOMERS)
    orch.request(SyncType.PRODUCTS, SyncMode.FULL)
    orch.request(SyncType.CUSTOMERS)
    await world.settle()
    live = orch.live_state()
    assert live.running is not None
    assert live.last_smart is not None
    assert live.sessions == 1

    copy = LiveState.from_json(live.as_json())

    assert copy == live
    world.source.open(SyncType.CUSTOMERS)
    await asyncio.wait_for(orch.run_until_idle(), 10)
