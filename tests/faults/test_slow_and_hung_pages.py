"""Slow and hung ERP pages: a slow sync completes; a page past ``ERPSYNC_PAGE_DEADLINE_S`` is
reported hung (and the ERP not reachable) while it hangs and not after; the watchdog ends a
sync past ``ERPSYNC_MAX_RUN_TIME_S`` and the next one goes on; an order form gets its answer
in time however long the ERP takes."""

from __future__ import annotations

import json
import time

import pytest

from erpsync.domain.types import SyncType
from tests.faults.checks import (
    StatusLog,
    assert_back_to_the_erp,
    hung_type,
    idle,
    running_run,
    type_health,
)
from tests.faults.site import PAGE_DEADLINE_S, SYNC_TIMEOUT_S, OpenSite

#: The client waits for slow pages here: only the page deadline and the watchdog judge them.
PATIENT = {"erp_timeout_s": "15"}
SLOW_PAGE_S = 0.5
HANG_S = PAGE_DEADLINE_S + 1
WATCHDOG_S = 3
#: Shorter than the 5 s default, which the outage test keeps: the same rule, sooner.
FORM_ANSWER_S = 3.0
#: An answer to the order form this much past its deadline is still "in time".
ANSWER_MARGIN_S = 1.0


def test_slow_pages_within_the_page_deadline_complete_and_are_never_reported_hung(
    open_site: OpenSite,
) -> None:
    site = open_site(**PATIENT)
    log = StatusLog(site.admin)
    site.faults(slow_page_seconds=SLOW_PAGE_S)
    first = site.last_run_id()
    site.request([SyncType.INVOICES])
    log.until(idle, "the sync ended", SYNC_TIMEOUT_S)

    (run,) = site.runs_after(first)
    assert run["status"] == "completed", run
    assert run["durationS"] >= run["pages"] * SLOW_PAGE_S, "the pages were not slow"
    running = [s for s in log.samples if running_run(s) == "invoices"]
    assert running, "no status was sampled while the sync ran"
    assert not [s for s in running if s["health"]["types"]["invoices"]["hung"]]
    assert all(s["health"]["healthy"] for s in log.samples)
    assert_back_to_the_erp(site, log, [SyncType.INVOICES])


def test_a_hung_page_is_reported_while_it_hangs_and_health_is_green_again_once_it_lands(
    open_site: OpenSite,
) -> None:
    site = open_site(**PATIENT)
    log = StatusLog(site.admin)
    site.sync([SyncType.ORDERS])
    site.faults(slow_page_seconds=HANG_S)
    first = site.last_run_id()
    asked = time.monotonic()
    site.request([SyncType.ORDERS], "incremental")

    hung = log.until(lambda s: type_health(s, "orders")["hung"], "orders reported hung", HANG_S + 1)
    assert time.monotonic() - asked > PAGE_DEADLINE_S, "called hung before the deadline"
    assert hung_type(hung) == "orders"
    assert type_health(hung, "orders")["erpReachable"] is False
    assert type_health(hung, "orders")["healthy"] is False
    assert (hung["health"]["erpReachable"], hung["health"]["healthy"]) == (False, False)

    after = log.until(idle, "the hung page landed", HANG_S + SYNC_TIMEOUT_S)
    (run,) = site.runs_after(first)
    assert run["status"] == "completed", run
    orders = type_health(after, "orders")
    assert (orders["hung"], orders["erpReachable"], orders["healthy"]) == (False, True, True)
    assert (after["health"]["erpReachable"], after["health"]["healthy"]) == (True, True)
    assert_back_to_the_erp(site, log, [SyncType.ORDERS])


@pytest.mark.parametrize(
    "outlasts_s",
    [1.0, 4.0],
    ids=["the page ends within the next sync's retries", "the page ends after them"],
)
def test_a_hung_sync_is_ended_by_the_watchdog_as_timed_out_and_the_next_sync_goes_on(
    open_site: OpenSite, outlasts_s: float
) -> None:
    """The ERP goes on serving the page the watchdog gave up on for ``outlasts_s`` more,
    turning every other request away with 409 meanwhile, as it allows one session at a
    time: the sync queued behind meets an ERP busy with the service's own abandoned request,
    which is no reason to fail it, nor to call the ERP unreachable."""
    # The watchdog is short for orders only: the sync behind keeps the default limit, and
    # its time waiting for the session is part of its run.
    limits = json.dumps({"orders": WATCHDOG_S})
    site = open_site(**PATIENT, max_run_time_by_type_s=limits)
    log = StatusLog(site.admin)
    site.sync([SyncType.ORDERS, SyncType.CUSTOMERS])
    site.faults(slow_page_seconds=WATCHDOG_S + outlasts_s)
    first = site.last_run_id()
    site.request([SyncType.ORDERS, SyncType.CUSTOMERS], "incremental")
    log.until(lambda s: type_health(s, "orders")["hung"], "orders reported hung", WATCHDOG_S)
    site.faults()  # the page in flight hangs on; the next ones come at once

    log.until(idle, "the watchdog ended the sync and the next one ran", SYNC_TIMEOUT_S)
    hung, following = site.runs_after(first)
    assert (hung["type"], hung["status"], hung["errorKind"]) == ("orders", "failed", "timed_out")
    assert f"maximum run time of {WATCHDOG_S} s" in hung["error"], hung["error"]
    assert WATCHDOG_S - 0.1 <= hung["durationS"] < WATCHDOG_S + 1, hung["durationS"]
    assert following["type"] == "customers"
    assert following["status"] == "completed", (
        f"the sync after the watchdog {following['status']} {following['errorKind']}: "
        f"{following['error']}; the health then said {log.sample()['health']['types']['customers']}"
    )
    status = log.sample()
    assert not any(own["hung"] for own in status["health"]["types"].values())
    assert_back_to_the_erp(site, log, [SyncType.ORDERS, SyncType.CUSTOMERS])


def test_the_order_form_gets_an_answer_in_time_while_the_erp_hangs(
    open_site: OpenSite,
) -> None:
    site = open_site(**PATIENT, smart_sync_answer_s=str(FORM_ANSWER_S))
    log = StatusLog(site.admin)
    site.sync([SyncType.CUSTOMERS])
    site.faults(slow_page_seconds=FORM_ANSWER_S + 1.5)
    first = site.last_run_id()

    body, took = site.open_form("tab-hung-0001")
    assert took < FORM_ANSWER_S + ANSWER_MARGIN_S, f"the form waited {took:.1f} s"
    assert body["result"]["status"] == "timed_out", body["result"]
    hanging = log.sample()
    assert type_health(hanging, "customers")["hung"] is True
    assert hanging["smartSync"]["inFlight"] is True

    site.faults()
    log.until(
        lambda s: (
            s["current"] is None
            and (s["smartSync"]["lastResult"] or {}).get("status") == "completed"
        ),
        "the smart sync finished in the background",
        SYNC_TIMEOUT_S,
    )
    site.close_form("tab-hung-0001")
    (run,) = site.runs_after(first)
    assert run["status"] == "completed", run
    assert_back_to_the_erp(site, log, [SyncType.CUSTOMERS])
