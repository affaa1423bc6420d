"""Everything one running demo ERP holds; it lives on ``app.state.erp``, never in globals."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request

from erpsync.demo_erp.config import DemoErpConfig
from erpsync.demo_erp.faults import FaultInjector
from erpsync.demo_erp.latency import LatencyModel
from erpsync.demo_erp.order_desk import OrderDesk
from erpsync.demo_erp.session import ErpSession
from erpsync.demo_erp.stats import ErpStats
from erpsync.demo_erp.store import Dataset

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class DemoErpState:
    config: DemoErpConfig
    dataset: Dataset
    faults: FaultInjector
    latency: LatencyModel
    session: ErpSession
    stats: ErpStats
    orders: OrderDesk
    edits_rng: random.Random
    sleep: Sleep


def erp_state(request: Request) -> DemoErpState:
    state = request.app.state.erp
    assert isinstance(state, DemoErpState)
    return state
