"""The operators' metrics: counted from the coordination steps, gauged from the snapshot."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families

from erpsync.adapters.metrics import MeteredSource, Metrics
from erpsync.domain.dispatch import Wait, WaitReason
from erpsync.domain.snapshot import OrderView, QueuedView, Snapshot
from erpsync.domain.types import SyncMode, SyncType, Trigger
from erpsync.errors import ErpUnavailableError
from erpsync.ports import SourcePage
from erpsync.services.events import EventAction, EventBus
from erpsync.services.orchestrator import Orchestrator
from erpsync.services.sync_runner import SyncRunner
from erpsync.testing import FakeClock, InMemoryMirrorStore, InMemoryRunStore, InMemoryScheduleStore

T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def samples(text: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text.decode())
        for s in family.samples
    }


def rendered(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return samples(metrics.render(None, holds_role=True, epoch=3, state_age_s=None))


def test_runs_records_smart_syncs_and_orders_are_counted_from_their_steps() -> None:
    metrics, bus = Metrics(), EventBus()
    bus.listen(metrics.observe)
    bus.emit(
        EventAction.SYNC_COMPLETED, T, type=SyncType.ORDERS, running_s=2.5, inserted=4, updated=1
    )
    bus.emit(EventAction.SYNC_FAILED, T, type=SyncType.ORDERS)
    bus.emit(EventAction.SYNC_PREEMPTED, T, type=SyncType.PRODUCTS)
    bus.emit(EventAction.SMART_SYNC_COMPLETED, T, status="completed", duration_s=0.4)
    bus.emit(EventAction.ORDER_PLACED, T, waited_s=0.8)
    bus.emit(EventAction.ORDER_PLACED, T, via="orders_sync")
    bus.emit(EventAction.ORDER_REJECTED, T)
    bus.emit(EventAction.SUBMISSION_RETRIED, T)
    seen = rendered(metrics)
    assert seen[("erpsync_sync_runs_total", (("outcome", "completed"), ("type", "orders")))] == 1
    assert seen[("erpsync_sync_runs_total", (("outcome", "failed"), ("type", "orders")))] == 1
    assert seen[("erpsync_sync_runs_total", (("outcome", "gave_way"), ("type", "products")))] == 1
    assert seen[("erpsync_sync_records_total", (("outcome", "inserted"), ("type", "orders")))] == 4
    assert seen[("erpsync_smart_sync_seconds_count", (("status", "completed"),))] == 1
    assert seen[("erpsync_orders_total", (("outcome", "placed"),))] == 2
    assert seen[("erpsync_orders_total", (("outcome", "rejected"),))] == 1
    assert seen[("erpsync_orders_total", (("outcome", "retried"),))] == 1
    assert seen[("erpsync_order_seconds_count", ())] == 1, "only answers are timed"
    assert seen[("erpsync_role_held", ())] == 1 and seen[("erpsync_role_epoch", ())] == 3


def idle_snapshot() -> Snapshot:
    """The snapshot of an orchestrator that has done nothing yet."""
    runs = InMemoryRunStore()
    clock = FakeClock(T)
    return Orchestrator(
        SyncRunner(Failing(), InMemoryMirrorStore(runs), runs, clock),  # type: ignore[arg-type]
        InMemoryScheduleStore(),
        clock,
        EventBus(),
    ).snapshot()


def test_the_gauges_follow_the_snapshot() -> None:
    idle = idle_snapshot()
    waiting = QueuedView(
        SyncType.PRODUCTS, SyncMode.INCREMENTAL, 1, Trigger.MANUAL, T, Wait(WaitReason.FORMS_OPEN)
    )
    order = OrderView("sub-1", "draft-0001", 1, "C00001", T, 1)
    busy = replace(idle, sessions=2, queue=(waiting,), orders=(order, order))
    seen = samples(Metrics().render(busy, holds_role=False, epoch=None, state_age_s=1.5))
    assert seen[("erpsync_form_sessions", ())] == 2
    assert seen[("erpsync_syncs_paused", ())] == 1
    assert seen[("erpsync_queue_length", ())] == 1
    assert seen[("erpsync_orders_waiting", ())] == 2
    assert seen[("erpsync_state_age_seconds", ())] == 1.5
    assert seen[("erpsync_sync_running", (("type", "products"),))] == 0


class Failing:
    async def fetch_page(self, type: SyncType, **_: object) -> SourcePage:
        raise ErpUnavailableError("ERP answered 503")

    async def aclose(self) -> None:
        return None


async def test_pages_asked_of_the_erp_and_its_failures_are_counted_by_kind() -> None:
    metrics = Metrics()
    source = MeteredSource(Failing(), metrics)  # type: ignore[arg-type]
    with pytest.raises(ErpUnavailableError):
        await source.fetch_page(SyncType.DDT, since=None, cursor=None, limit=10)
    seen = rendered(metrics)
    assert seen[("erpsync_erp_pages_total", (("type", "ddt"),))] == 1
    assert seen[("erpsync_erp_errors_total", (("kind", "erp_unavailable"),))] == 1
