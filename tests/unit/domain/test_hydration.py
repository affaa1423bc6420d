"""The first start's hydration as data: which types are done, failed or still to load."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from erpsync.domain.hydration import Hydration, HydrationState
from erpsync.domain.types import SyncType

T = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
LATER = T + timedelta(seconds=40)
FORM_TYPES = (SyncType.CUSTOMERS, SyncType.PRICES, SyncType.PRODUCTS)


def test_it_ends_when_every_type_is_done_or_failed() -> None:
    hydration = Hydration(T, FORM_TYPES)
    hydration = hydration.ended(SyncType.PRODUCTS, completed=True, at=T)
    hydration = hydration.ended(SyncType.CUSTOMERS, completed=False, at=T)
    assert hydration.active
    hydration = hydration.ended(SyncType.PRICES, completed=True, at=LATER)
    assert not hydration.active
    assert hydration.ended_at == LATER
    assert hydration.done == (SyncType.PRICES, SyncType.PRODUCTS), "in the hydration's order"
    assert hydration.failed == (SyncType.CUSTOMERS,)


def test_a_completed_run_makes_up_for_a_failed_one_and_the_end_stays_put() -> None:
    hydration = Hydration(T, (SyncType.CUSTOMERS,)).ended(SyncType.CUSTOMERS, completed=False, at=T)
    assert hydration.ended_at == T
    hydration = hydration.ended(SyncType.CUSTOMERS, completed=True, at=LATER)
    assert (hydration.done, hydration.failed, hydration.ended_at) == ((SyncType.CUSTOMERS,), (), T)


def test_runs_of_other_types_and_of_done_types_change_nothing() -> None:
    hydration = Hydration(T, FORM_TYPES).ended(SyncType.PRICES, completed=True, at=T)
    assert hydration.ended(SyncType.ORDERS, completed=True, at=T) == hydration
    assert hydration.ended(SyncType.PRICES, completed=False, at=T) == hydration


def test_each_type_is_pending_running_done_or_failed() -> None:
    hydration = (
        Hydration(T, FORM_TYPES)
        .ended(SyncType.CUSTOMERS, completed=True, at=T)
        .ended(SyncType.PRICES, completed=False, at=T)
    )
    states = {t: hydration.state(t, running=SyncType.PRODUCTS) for t in FORM_TYPES}
    assert states == {
        SyncType.CUSTOMERS: HydrationState.DONE,
        SyncType.PRICES: HydrationState.FAILED,
        SyncType.PRODUCTS: HydrationState.RUNNING,
    }
    assert hydration.state(SyncType.PRODUCTS, running=None) == HydrationState.PENDING
    assert hydration.state(SyncType.PRICES, running=SyncType.PRICES) == HydrationState.RUNNING
    assert hydration.state(SyncType.CUSTOMERS, running=SyncType.CUSTOMERS) == HydrationState.DONE
