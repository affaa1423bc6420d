"""The status document: the snapshot, the run history, health and the role, on fakes."""

from __future__ import annotations

from datetime import timedelta

from erpsync.domain.book import Freshness
from erpsync.domain.commands import RequestSync
from erpsync.domain.runs import SyncRun
from erpsync.domain.status import TypeStatus
from erpsync.domain.types import SyncMode, SyncType, Trigger
from erpsync.errors import ErrorKind
from erpsync.services.cluster import RoleView
from erpsync.services.status import HISTORY, build_report, freshness_of
from erpsync.web.sync_json import status_json
from tests.unit.services.conftest import World

ROLE = RoleView("node-a", True, None)


def history(world: World) -> dict[SyncType, list[SyncRun]]:
    return {t: world.runs.recent(t, HISTORY) for t in SyncType}


async def test_the_status_shows_all_six_types_health_and_the_smart_sync_block(
    world: World,
) -> None:
    await world.open_form("tab-0000001")
    await world.request(SyncType.PRODUCTS, SyncMode.FULL)
    report = build_report(world.snapshot(), history(world), world.clock.now(), ROLE)
    status = status_json(report)

    assert [t["type"] for t in status["types"]] == [
        "orders",
        "customers",
        "ddt",
        "invoices",
        "prices",
        "products",
    ]
    by_type = {t["type"]: t for t in status["types"]}
    assert by_type["customers"]["status"] == "completed"
    assert by_type["products"]["status"] == "paused"
    assert by_type["orders"]["status"] == "idle"
    assert by_type["orders"]["nextRun"] is None, "the scheduler is off: nothing is due"
    assert by_type["customers"]["lastRun"]["counts"]["inserted"] == 30
    assert status["queue"] == [
        {
            "position": 1,
            "type": "products",
            "mode": "full",
            "priority": 1,
            "trigger": "manual",
            "requestedAt": world.clock.now().isoformat(),
            "reason": "forms_open",
            "behind": None,
        }
    ]
    assert status["health"]["types"]["customers"]["healthy"] is True
    assert set(status["health"]) == {"healthy", "erpReachable", "types"}
    smart = status["smartSync"]
    assert smart["activeSessions"] == 1
    assert smart["syncsPaused"] is True
    assert smart["safetyTimeoutActive"] is True
    assert smart["safetyTimeoutAt"] == (world.clock.now() + timedelta(minutes=10)).isoformat()
    assert smart["lastResult"]["inserted"] == 30
    assert status["orchestrator"] == {"node": "node-a", "holdsRole": True, "stateAgeS": None}


async def test_a_running_full_sync_shows_its_progress_against_the_last_full_one(
    world: World,
) -> None:
    await world.request(SyncType.PRODUCTS, SyncMode.FULL)
    await world.orchestrator.run_until_idle()
    world.source.gate(SyncType.PRODUCTS)
    world.source.release(SyncType.PRODUCTS, 3)
    await world.orchestrator.handle(RequestSync(SyncType.PRODUCTS, SyncMode.FULL, Trigger.CLI))
    await world.until(world.blocked_on(SyncType.PRODUCTS), "three pages of products are in")
    await world.until(
        lambda: (r := world.snapshot().running) is not None and r.fetched == 30,
        "the third page is written",
    )
    report = build_report(world.snapshot(), history(world), world.clock.now(), ROLE)
    assert report.progress == 30 / 120
    by_type = {t.type: t for t in report.types}
    assert by_type[SyncType.PRODUCTS].status == TypeStatus.RUNNING
    current = status_json(report)["current"]
    assert current["kind"] == "sync"
    assert current["trigger"] == "cli"
    assert (current["fetched"], current["pages"], current["stopping"]) == (30, 3, None)
    world.source.open(SyncType.PRODUCTS)
    await world.orchestrator.run_until_idle()


async def test_a_type_whose_erp_cannot_be_reached_says_so(world: World) -> None:
    run = world.runs.start(
        SyncType.DDT, SyncMode.FULL, trigger=Trigger.SCHEDULE, since=None, at=world.clock.now()
    )
    world.runs.fail(run.id, world.clock.now(), ErrorKind.ERP_UNAVAILABLE, "ERP answered 503")
    report = build_report(world.snapshot(), history(world), world.clock.now(), ROLE)
    ddt = next(t for t in report.types if t.type == SyncType.DDT)
    assert ddt.status == TypeStatus.ERROR
    assert ddt.health.erp_reachable is False
    assert report.health.erp_reachable is False
    last = status_json(report)["types"][2]["lastRun"]
    assert (last["status"], last["errorKind"]) == ("failed", "erp_unavailable")


async def test_a_page_the_erp_takes_too_long_to_serve_is_reported_before_anything_fails(
    world: World,
) -> None:
    world.source.gate(SyncType.DDT)
    await world.request(SyncType.DDT, SyncMode.FULL)
    await world.until(world.blocked_on(SyncType.DDT), "ddt waits for its first page")
    await world.clock.advance(29)
    early = build_report(world.snapshot(), history(world), world.clock.now(), ROLE)
    assert not early.health.types[SyncType.DDT].hung
    await world.clock.advance(2)
    report = build_report(world.snapshot(), history(world), world.clock.now(), ROLE)
    ddt = report.health.types[SyncType.DDT]
    assert (ddt.hung, ddt.healthy, ddt.erp_reachable) == (True, False, False)
    assert (report.health.healthy, report.health.erp_reachable) == (False, False)
    assert status_json(report)["health"]["types"]["ddt"]["hung"] is True
    world.source.open(SyncType.DDT)
    await world.orchestrator.run_until_idle()


async def test_freshness_is_the_last_completed_sync_and_stale_past_the_interval(
    world: World,
) -> None:
    await world.request(SyncType.CUSTOMERS, SyncMode.FULL)
    await world.orchestrator.run_until_idle()
    synced = world.clock.now()
    interval = world.snapshot().schedule[SyncType.CUSTOMERS].interval
    fresh = freshness_of(world.snapshot(), history(world), world.clock.now())
    assert fresh[SyncType.CUSTOMERS] == Freshness(synced, stale=False)
    assert fresh[SyncType.PRODUCTS] == Freshness(None, stale=True), "never synced"

    await world.clock.advance(interval.total_seconds() + 1)
    run = world.runs.start(
        SyncType.CUSTOMERS,
        SyncMode.INCREMENTAL,
        trigger=Trigger.SCHEDULE,
        since=None,
        at=world.clock.now(),
    )
    world.runs.fail(run.id, world.clock.now(), ErrorKind.ERP_UNAVAILABLE, "ERP answered 503")
    later = freshness_of(world.snapshot(), history(world), world.clock.now())
    assert later[SyncType.CUSTOMERS] == Freshness(synced, stale=True), "a failed run is no sync"
