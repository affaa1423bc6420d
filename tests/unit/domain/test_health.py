from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from erpsync.domain.health import RunOutcome, TypeHealth, overall_health, type_health
from erpsync.domain.types import DEFAULT_SCHEDULE, SyncType

T = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)
ORDERS, CUSTOMERS, PRODUCTS = SyncType.ORDERS, SyncType.CUSTOMERS, SyncType.PRODUCTS
DDT = SyncType.DDT
TEN_MINUTES = timedelta(minutes=10)
INTERVALS = {t: e.interval for t, e in DEFAULT_SCHEDULE.items()}


def at(minute: float) -> datetime:
    return T + timedelta(minutes=minute)


def ok(minute: float, type: SyncType = ORDERS) -> RunOutcome:
    return RunOutcome(type, True, at(minute))


def failed(minute: float, type: SyncType = ORDERS, *, unreachable: bool = False) -> RunOutcome:
    return RunOutcome(type, False, at(minute), erp_unreachable=unreachable)


def orders_health(runs: list[RunOutcome], minute: float, **thresholds: float) -> TypeHealth:
    return type_health(
        ORDERS,
        runs,
        interval=TEN_MINUTES,
        anchor=T,
        now=at(minute),
        **thresholds,  # type: ignore[arg-type]
    )


def test_a_type_that_never_ran_is_healthy_during_its_grace_period() -> None:
    health = orders_health([], 20)

    assert health == TypeHealth(ORDERS, None, 0, False, None, None, True)


def test_a_type_that_never_succeeded_goes_stale_after_the_grace_period() -> None:
    health = orders_health([], 20.01)

    assert (health.stale, health.healthy, health.staleness_s) == (True, False, None)


def test_a_recent_success_is_healthy() -> None:
    health = orders_health([ok(0), ok(10)], 15)

    assert health.last_success == at(10)
    assert health.staleness_s == 300
    assert health.erp_reachable is True
    assert health.healthy


@pytest.mark.parametrize(("minute", "stale"), [(30, False), (30.01, True)])
def test_stale_after_two_intervals_without_success(minute: float, stale: bool) -> None:
    health = orders_health([ok(10)], minute)

    assert health.stale is stale
    assert health.healthy is not stale


@pytest.mark.parametrize(("failures", "healthy"), [(0, True), (1, True), (2, True), (3, False)])
def test_unhealthy_from_three_failures_in_a_row(failures: int, healthy: bool) -> None:
    runs = [ok(10)] + [failed(11 + i) for i in range(failures)]

    health = orders_health(runs, 15)

    assert health.consecutive_failures == failures
    assert health.healthy is healthy
    assert health.last_success == at(10)


def test_a_success_resets_the_failure_count() -> None:
    runs = [failed(1), failed(2), failed(3), ok(4), failed(5)]

    assert orders_health(runs, 6).consecutive_failures == 1


def test_failures_without_any_success_all_count() -> None:
    assert orders_health([failed(1), failed(2)], 3).consecutive_failures == 2


def test_runs_are_judged_in_time_order_whatever_the_input_order() -> None:
    health = orders_health([failed(12), ok(5), failed(11, unreachable=True), ok(10)], 13)

    assert health.last_success == at(10)
    assert health.consecutive_failures == 2
    assert health.erp_reachable is True


def test_erp_reachability_comes_from_the_latest_run() -> None:
    assert orders_health([ok(1), failed(2, unreachable=True)], 3).erp_reachable is False
    assert orders_health([failed(1, unreachable=True), failed(2)], 3).erp_reachable is True


def test_runs_of_other_types_are_ignored() -> None:
    health = orders_health([ok(1), failed(2, CUSTOMERS), failed(3, CUSTOMERS)], 4)

    assert health.consecutive_failures == 0
    assert health.last_success == at(1)


def test_thresholds_are_arguments() -> None:
    runs = [ok(0), failed(1)]

    assert not orders_health(runs, 2, max_failures=1).healthy
    assert orders_health(runs, 25, stale_after=3).healthy


def test_a_success_that_reached_the_erp_cannot_be_unreachable() -> None:
    with pytest.raises(ValueError, match="reached the ERP"):
        RunOutcome(ORDERS, True, T, erp_unreachable=True)


def test_overall_health_is_healthy_when_every_type_is() -> None:
    runs = [ok(25, t) for t in SyncType]

    health = overall_health(runs, intervals=INTERVALS, anchor=T, now=at(30))

    assert health.healthy
    assert set(health.types) == set(SyncType)
    assert health.erp_reachable is True


def test_one_unhealthy_type_makes_the_service_unhealthy() -> None:
    runs = [ok(25, t) for t in SyncType] + [failed(26 + i, PRODUCTS) for i in range(3)]

    health = overall_health(runs, intervals=INTERVALS, anchor=T, now=at(30))

    assert not health.healthy
    assert [t for t, h in health.types.items() if not h.healthy] == [PRODUCTS]


def test_overall_erp_reachability_comes_from_the_latest_run_of_any_type() -> None:
    runs = [failed(3, CUSTOMERS, unreachable=True), ok(2), ok(1, PRODUCTS)]

    health = overall_health(runs, intervals=INTERVALS, anchor=T, now=at(4))

    assert health.erp_reachable is False
    assert health.types[ORDERS].erp_reachable is True


def test_overall_health_without_runs() -> None:
    health = overall_health([], intervals=INTERVALS, anchor=T, now=at(1))

    assert health.healthy
    assert health.erp_reachable is None


def test_a_type_whose_latest_run_could_not_reach_the_erp_is_unhealthy_at_once() -> None:
    health = orders_health([ok(1), failed(2, unreachable=True)], 3)
    assert (health.consecutive_failures, health.healthy) == (1, False)
    assert orders_health([ok(1), failed(2)], 3).healthy, "one ordinary failure is tolerated"


def test_an_unreachable_erp_makes_the_service_unhealthy() -> None:
    runs = [ok(25, t) for t in SyncType] + [failed(26, DDT, unreachable=True)]
    health = overall_health(runs, intervals=INTERVALS, anchor=T, now=at(27))
    assert (health.healthy, health.erp_reachable) == (False, False)


def test_a_hung_page_makes_its_type_and_the_service_unhealthy_before_anything_failed() -> None:
    runs = [ok(25, t) for t in SyncType]
    health = overall_health(runs, intervals=INTERVALS, anchor=T, now=at(27), hung=PRODUCTS)
    assert (health.healthy, health.erp_reachable) == (False, False)
    hung = health.types[PRODUCTS]
    assert (hung.hung, hung.healthy, hung.erp_reachable, hung.consecutive_failures) == (
        True,
        False,
        False,
        0,
    )
    assert health.types[ORDERS].healthy
