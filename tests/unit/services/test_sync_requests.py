"""Sync requests: merged into the running sync that covers them, else queued or merged in
the queue, each step logged with why it waits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from erpsync.domain.answers import RequestOutcome, SyncRequested
from erpsync.domain.dispatch import OperationKind, Situation, SyncOperation, WaitReason
from erpsync.domain.queue import SyncQueue
from erpsync.domain.types import SyncMode, SyncType, Trigger
from erpsync.services.events import EventBus
from erpsync.services.orchestrator_state import Running
from erpsync.services.sync_requests import SyncRequests
from erpsync.services.timetable import Timetable
from erpsync.testing import FakeClock

T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def desk(clock: FakeClock) -> tuple[SyncRequests, SyncQueue, EventBus]:
    queue, bus = SyncQueue(), EventBus()
    timetable = Timetable(T, last_fired={}, full_every=timedelta(hours=24), enabled=False)
    return SyncRequests(queue, timetable, bus, clock), queue, bus


def running(type: SyncType, mode: SyncMode) -> Running:
    return Running(SyncOperation(OperationKind.SYNC, type, mode, Trigger.SCHEDULE), T)


def test_a_request_the_running_sync_covers_merges_into_it(clock: FakeClock) -> None:
    requests, queue, bus = desk(clock)
    full = running(SyncType.ORDERS, SyncMode.FULL)
    answer = requests.accept(
        SyncType.ORDERS,
        SyncMode.INCREMENTAL,
        Trigger.MANUAL,
        T,
        running=full,
        situation=lambda: Situation(T),
    )
    assert answer == SyncRequested(SyncType.ORDERS, RequestOutcome.MERGED, SyncMode.FULL, 0)
    assert len(queue) == 0
    assert [e.action.value for e in bus.recent] == ["sync_requested", "sync_merged"]


def test_a_wider_request_or_one_for_a_stopping_sync_is_queued(clock: FakeClock) -> None:
    requests, queue, bus = desk(clock)
    incremental = running(SyncType.ORDERS, SyncMode.INCREMENTAL)
    wider = requests.accept(
        SyncType.ORDERS,
        SyncMode.FULL,
        Trigger.MANUAL,
        T,
        running=incremental,
        situation=lambda: Situation(T, running=incremental.operation),
    )
    assert wider == SyncRequested(SyncType.ORDERS, RequestOutcome.QUEUED, SyncMode.FULL, 1)
    queued = bus.recent[-1]
    assert queued.fields["reason"] == WaitReason.BEHIND_RUNNING
    assert queued.fields["behind"] == SyncType.ORDERS
    again = requests.accept(
        SyncType.ORDERS,
        SyncMode.INCREMENTAL,
        Trigger.MANUAL,
        T,
        running=None,
        situation=lambda: Situation(T),
    )
    assert again.outcome == RequestOutcome.MERGED and again.mode == SyncMode.FULL
    assert len(queue) == 1
