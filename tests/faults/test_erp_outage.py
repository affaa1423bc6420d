"""The ERP process killed in the middle of full syncs and started again: the runs that meet the
outage fail as ``erp_unavailable`` with the reason, health says the ERP is cut off for as long
as it is, the order form still gets its answer in time, and once the ERP is back the syncs
complete and health turns green."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.crash.processes import wait_until
from tests.faults.checks import StatusLog, assert_back_to_the_erp, idle, type_health
from tests.faults.site import ALL_TYPES, SMART_SYNC_ANSWER_S, SYNC_TIMEOUT_S, FaultSite, Json

#: Slow enough that the kill lands inside a sync, fast enough that the syncs soon go on.
SLOW_PAGE_S = 0.15
PAGES_BEFORE_KILL = 2
#: Types of 15 pages or more.
LONG_TYPES = ("customers", "products")
#: Long enough for a run to exhaust its attempts on a dead ERP.
NOTICE_S = 10.0
ANSWER_MARGIN_S = 1.0
#: How many samples of the status to take while the ERP is down, once a run has met it.
OUTAGE_SAMPLES = 5


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def long_run_under_way(site: FaultSite, first: int) -> Json | None:
    """A run after ``first`` of a type with many pages, a few of them written: killing the
    ERP now surely lands inside it."""
    running = (r for r in site.runs_after(first) if r["status"] == "running")
    return next(
        (
            r
            for r in running
            if r["type"] in LONG_TYPES and PAGES_BEFORE_KILL <= r["pages"] < PAGES_BEFORE_KILL + 3
        ),
        None,
    )


def test_an_erp_outage_fails_the_runs_it_meets_and_the_service_recovers_once_it_is_back(
    site: FaultSite, log: StatusLog
) -> None:
    assert log.sample()["health"]["healthy"], "not healthy before the outage"
    site.faults(slow_page_seconds=SLOW_PAGE_S)
    first = site.last_run_id()
    site.request(ALL_TYPES)
    met = wait_until(lambda: long_run_under_way(site, first), "a long sync under way", 20)
    site.kill_erp()
    down_at = datetime.now(UTC)

    noticed = log.until(
        lambda s: s["health"]["erpReachable"] is False, "health says the ERP is cut off", NOTICE_S
    )
    assert noticed["health"]["healthy"] is False
    assert type_health(noticed, met["type"])["erpReachable"] is False
    during = [log.sample() for _ in range(OUTAGE_SAMPLES)]

    session = "tab-outage-01"
    body, took = site.open_form(session)
    assert took < SMART_SYNC_ANSWER_S + ANSWER_MARGIN_S, f"the order form waited {took:.1f} s"
    result = body["result"]
    assert result["status"] in ("timed_out", "failed"), result
    if result["status"] == "failed":
        assert (result["errorKind"], bool(result["error"])) == ("erp_unavailable", True), result
    during.append(log.sample())
    site.close_form(session)
    during.append(log.sample())
    assert [s["health"] for s in during if s["health"]["erpReachable"] is not False] == []
    assert [s["health"] for s in during if s["health"]["healthy"]] == []

    # Taken before the restart: once the ERP answers again, a queued run may complete before
    # the restart's readiness poll returns, and that run rightly did not meet the outage.
    up_at = datetime.now(UTC)
    site.restart_erp()
    log.until(idle, "the syncs went on", SYNC_TIMEOUT_S)
    runs = site.runs_after(first)
    ended_down = [r for r in runs if r["finishedAt"] and down_at <= _at(r["finishedAt"]) < up_at]
    killed = next(r for r in runs if r["id"] == met["id"])
    assert (killed["status"], killed["errorKind"]) == ("failed", "erp_unavailable"), killed
    problems = [
        f"run {r['id']} ({r['type']}) ended {r['status']} {r['errorKind']}: {r['error']}"
        for r in ended_down
        if r["status"] != "failed" or r["errorKind"] != "erp_unavailable" or "ERP" not in r["error"]
    ]
    assert not problems, "\n".join(problems)

    assert_back_to_the_erp(site, log)
