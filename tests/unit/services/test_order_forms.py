"""The order forms as the orchestrator sees them: each session step logged once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from erpsync.domain.answers import FormState
from erpsync.domain.commands import OpenForm
from erpsync.domain.dispatch import OperationKind, SyncOperation
from erpsync.domain.sessions import ResumeReason
from erpsync.domain.types import SyncMode, SyncType, Trigger
from erpsync.services.events import EventBus
from erpsync.services.orchestrator_config import OrchestratorConfig
from erpsync.services.order_forms import OrderForms
from erpsync.testing import FakeClock

CONFIG = OrchestratorConfig(lease_ttl=timedelta(seconds=45), safety_timeout=timedelta(minutes=5))


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def forms(clock: FakeClock, bus: EventBus) -> OrderForms:
    return OrderForms(CONFIG, clock, bus)


def steps(bus: EventBus) -> list[tuple[str, dict[str, object]]]:
    return [(e.action.value, dict(e.fields)) for e in bus.recent]


PRODUCTS = SyncOperation(
    OperationKind.SYNC, SyncType.PRODUCTS, SyncMode.INCREMENTAL, Trigger.SCHEDULE
)


def open_form(
    forms: OrderForms, tab: str, running: SyncOperation | None = None, waiting: int = 0
) -> None:
    forms.open(OpenForm(tab, owner=7), running=running, waiting=waiting)


async def test_the_first_form_pauses_and_the_last_one_resumes(
    forms: OrderForms, bus: EventBus
) -> None:
    open_form(forms, "tab-0000001", PRODUCTS, waiting=2)
    open_form(forms, "tab-0000002", waiting=2)
    open_form(forms, "tab-0000002", waiting=2)
    assert forms.state() == FormState(2, True)
    assert not forms.close("tab-0000009", owner=7, instance=None, waiting=2), (
        "an unknown session is a no-op"
    )
    assert forms.close("tab-0000001", owner=7, instance=None, waiting=2)
    assert forms.close("tab-0000002", owner=7, instance=None, waiting=2)
    assert forms.state() == FormState(0, False)
    assert steps(bus) == [
        ("session_opened", {"session": "tab-0000001", "owner": 7, "sessions": 1}),
        ("syncs_paused", {"sessions": 1, "running": SyncType.PRODUCTS, "waiting": 2}),
        ("smart_sync_requested", {"session": "tab-0000001", "follow_up": False}),
        ("session_opened", {"session": "tab-0000002", "owner": 7, "sessions": 2}),
        ("smart_sync_joined", {"session": "tab-0000002"}),
        ("smart_sync_joined", {"session": "tab-0000002"}),
        ("session_closed", {"session": "tab-0000001", "owner": 7, "sessions": 1}),
        ("session_closed", {"session": "tab-0000002", "owner": 7, "sessions": 0}),
        ("syncs_resumed", {"reason": ResumeReason.LAST_FORM_CLOSED, "waiting": 2}),
    ]


async def test_leases_expire_then_the_safety_timeout_drops_the_rest(
    forms: OrderForms, bus: EventBus, clock: FakeClock
) -> None:
    open_form(forms, "tab-0000001", waiting=0)
    open_form(forms, "tab-0000002", waiting=0)
    await clock.advance(30)
    assert forms.ping("tab-0000002", owner=7, active=False)
    await clock.advance(20)
    assert not forms.expire(waiting=0), "one form is still open"
    assert forms.count == 1
    for _ in range(10):  # heartbeats without activity keep the lease, not the form
        await clock.advance(30)
        forms.ping("tab-0000002", owner=7, active=False)
    assert forms.expire(waiting=1)
    assert forms.state() == FormState(0, False)
    assert forms.safety_deadline() is None
    assert [a for a, _ in steps(bus)][-3:] == ["session_expired", "safety_timeout", "syncs_resumed"]
    assert steps(bus)[-1] == (
        "syncs_resumed",
        {"reason": ResumeReason.SAFETY_TIMEOUT, "waiting": 1},
    )
    assert not forms.expire(waiting=1), "nothing left to expire"
