"""Every type syncs for real: over HTTP from the demo ERP into SQLite."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from erpsync.domain.catalog import SPECS
from erpsync.domain.runs import RunStatus
from erpsync.domain.types import SyncMode, SyncType, Trigger
from erpsync.ports import SyncJob
from tests.integration.conftest import PAGE_SIZE, VOLUMES, DemoErp, Stack

ALL_TYPES = list(SyncType)


@pytest.mark.parametrize("type", ALL_TYPES)
async def test_first_full_sync_inserts_everything_and_second_finds_it_unchanged(
    stack: Stack, type: SyncType
) -> None:
    volume = VOLUMES.of(type)
    first = await stack.runner.run(SyncJob(type, SyncMode.FULL, Trigger.MANUAL))
    assert first.status == RunStatus.COMPLETED, first.error
    assert first.counts.inserted == volume
    assert first.checkpoint.pages == -(-volume // PAGE_SIZE)
    assert stack.mirror.count(SPECS[type]) == volume

    second = await stack.runner.run(SyncJob(type, SyncMode.FULL, Trigger.MANUAL))
    assert second.status == RunStatus.COMPLETED
    assert (second.counts.unchanged, second.counts.inserted, second.counts.updated) == (
        volume,
        0,
        0,
    )
    assert second.counts.deleted == 0


@pytest.mark.parametrize("type", ALL_TYPES)
async def test_changes_in_the_erp_show_up_as_updated_inserted_and_deleted(
    stack: Stack, demo_erp: DemoErp, type: SyncType
) -> None:
    spec = SPECS[type]
    await stack.runner.run(SyncJob(type, SyncMode.FULL, Trigger.MANUAL))
    keys = [item[spec.key] for item in _items(demo_erp, type, 4)]
    touched_keys, victim = keys[:3], keys[3]
    for key in touched_keys:
        _change(demo_erp, type, key)
    demo_erp.admin.delete(f"/admin/{type}/{victim}").raise_for_status()
    created = _new_record(demo_erp, type)

    run = await stack.runner.run(SyncJob(type, SyncMode.FULL, Trigger.MANUAL))

    assert run.status == RunStatus.COMPLETED
    assert (run.counts.updated, run.counts.inserted, run.counts.deleted) == (3, 1, 1)
    deleted = stack.mirror.get(spec, victim)
    assert deleted is not None and deleted["deleted_at"] is not None
    assert stack.mirror.get(spec, created) is not None


#: A field each type can change to, for a change that is surely a change.
CHANGES = {
    SyncType.CUSTOMERS: ("phone", "+39 000 000 0000"),
    SyncType.PRODUCTS: ("description", "Articolo modificato nel test"),
    SyncType.PRICES: ("unit_price", "9999.99"),
    SyncType.ORDERS: ("state", "annullato"),
    SyncType.DDT: ("carrier", "Vettore di prova"),
    SyncType.INVOICES: ("due_date", "2031-12-31"),
}


def _items(demo_erp: DemoErp, type: SyncType, count: int) -> list[dict[str, object]]:
    page = demo_erp.admin.get(f"/api/v1/{type}", params={"limit": count}).json()
    items: list[dict[str, object]] = page["items"]
    return items


def _change(demo_erp: DemoErp, type: SyncType, key: object) -> None:
    field, value = CHANGES[type]
    demo_erp.admin.patch(f"/admin/{type}/{key}", json={field: value}).raise_for_status()


def _new_record(demo_erp: DemoErp, type: SyncType) -> str:
    """Create a record of ``type`` in the ERP by copying an existing one under a new key."""
    spec = SPECS[type]
    template = demo_erp.admin.get(f"/api/v1/{type}", params={"limit": 1}).json()["items"][0]
    key = f"NEW{type.value[:3].upper()}1"
    body = {k: v for k, v in template.items() if k != "updated_at"}
    body[spec.key] = key
    demo_erp.admin.post(f"/admin/{type}", json=body).raise_for_status()
    return key


@pytest.mark.parametrize("type", ALL_TYPES)
async def test_incremental_fetches_only_what_changed_and_moves_the_watermark(
    stack: Stack, demo_erp: DemoErp, type: SyncType
) -> None:
    await stack.runner.run(SyncJob(type, SyncMode.FULL, Trigger.MANUAL))
    before = stack.runs.watermark(type)
    for item in _items(demo_erp, type, 2):
        _change(demo_erp, type, item[SPECS[type].key])

    run = await stack.runner.run(SyncJob(type, SyncMode.INCREMENTAL, Trigger.MANUAL))

    assert run.status == RunStatus.COMPLETED
    assert run.mode == SyncMode.INCREMENTAL
    assert run.counts.updated == 2
    assert run.counts.fetched < VOLUMES.of(type) / 2
    after = stack.runs.watermark(type)
    assert before is not None and after is not None and after > before


async def test_an_incremental_sync_of_an_empty_mirror_is_a_full_one(stack: Stack) -> None:
    run = await stack.runner.run(SyncJob(SyncType.CUSTOMERS, SyncMode.INCREMENTAL, Trigger.MANUAL))
    assert run.mode == SyncMode.FULL
    assert run.counts.inserted == VOLUMES.customers


async def test_malformed_rows_are_quarantined_with_a_reason_while_the_rest_lands(
    stack: Stack, demo_erp: DemoErp
) -> None:
    demo_erp.faults(malformed_rate=0.3)
    run = await stack.runner.run(SyncJob(SyncType.INVOICES, SyncMode.FULL, Trigger.MANUAL))

    assert run.status == RunStatus.COMPLETED
    assert run.counts.quarantined > 0
    assert run.counts.inserted + run.counts.quarantined == VOLUMES.invoices
    assert stack.mirror.count(SPECS[SyncType.INVOICES]) == run.counts.inserted
    quarantined = stack.mirror.quarantined(run.id)
    assert len(quarantined) == run.counts.quarantined
    assert all(q["reason"] and q["record_key"] for q in quarantined)


async def test_a_malformed_row_never_deletes_its_mirrored_record(
    stack: Stack, demo_erp: DemoErp
) -> None:
    await stack.runner.run(SyncJob(SyncType.PRODUCTS, SyncMode.FULL, Trigger.MANUAL))
    demo_erp.faults(malformed_rate=1.0)
    run = await stack.runner.run(SyncJob(SyncType.PRODUCTS, SyncMode.FULL, Trigger.MANUAL))
    assert run.counts.quarantined == VOLUMES.products
    assert run.counts.deleted == 0
    assert stack.mirror.count(SPECS[SyncType.PRODUCTS]) == VOLUMES.products


class SimulatedCrash(BaseException):
    """The process dying: not an ``Exception``, so nothing in the engine catches it."""


async def test_a_crash_inside_a_page_leaves_no_partial_page_and_the_next_run_continues(
    stack: Stack, sqlite_engine: object
) -> None:
    spec = SPECS[SyncType.CUSTOMERS]
    checkpoints = 0

    def crash_on_third_checkpoint(conn, cursor, statement, *args: object) -> None:  # type: ignore[no-untyped-def]
        nonlocal checkpoints
        if statement.startswith("UPDATE sync_runs SET cursor"):
            checkpoints += 1
            if checkpoints == 3:
                raise SimulatedCrash

    event.listen(sqlite_engine, "before_cursor_execute", crash_on_third_checkpoint)
    with pytest.raises(SimulatedCrash):
        await stack.runner.run(SyncJob(SyncType.CUSTOMERS, SyncMode.FULL, Trigger.MANUAL))
    event.remove(sqlite_engine, "before_cursor_execute", crash_on_third_checkpoint)

    assert stack.mirror.count(spec) == 2 * PAGE_SIZE, "the third page must be all or nothing"
    crashed = stack.runs.unfinished(SyncType.CUSTOMERS)
    assert crashed is not None and crashed.checkpoint.pages == 2

    resumed = await stack.runner.run(SyncJob(SyncType.CUSTOMERS, SyncMode.FULL, Trigger.MANUAL))

    assert resumed.id == crashed.id
    assert resumed.status == RunStatus.COMPLETED
    assert resumed.counts.inserted == VOLUMES.customers
    assert resumed.counts.deleted == 0
    assert stack.mirror.count(spec) == VOLUMES.customers


async def test_transient_failures_are_retried(stack: Stack, demo_erp: DemoErp) -> None:
    demo_erp.faults(fail_next=2)
    run = await stack.runner.run(SyncJob(SyncType.PRICES, SyncMode.FULL, Trigger.MANUAL))
    assert run.status == RunStatus.COMPLETED
    assert run.counts.inserted == VOLUMES.prices
    assert demo_erp.stats()["unavailable_injected"] == 2


async def test_a_persistent_failure_ends_the_run_as_failed_with_the_reason(
    stack: Stack, demo_erp: DemoErp
) -> None:
    demo_erp.faults(error_rate=1.0)
    run = await stack.runner.run(SyncJob(SyncType.DDT, SyncMode.FULL, Trigger.MANUAL))
    assert run.status == RunStatus.FAILED
    assert run.error is not None and "503" in run.error
    assert run.finished_at is not None


async def test_a_persistent_timeout_ends_the_run_as_failed(stack: Stack, demo_erp: DemoErp) -> None:
    demo_erp.faults(timeout_rate=1.0, timeout_seconds=0.3)
    run = await stack.runner.run(SyncJob(SyncType.ORDERS, SyncMode.FULL, Trigger.MANUAL))
    assert run.status == RunStatus.FAILED
    assert (run.error is not None and "504" in run.error) or "Timeout" in (run.error or "")


async def test_orders_keep_their_lines(stack: Stack, demo_erp: DemoErp) -> None:
    await stack.runner.run(SyncJob(SyncType.ORDERS, SyncMode.FULL, Trigger.MANUAL))
    erp_order = demo_erp.admin.get("/api/v1/orders", params={"limit": 1}).json()["items"][0]
    mirrored = stack.mirror.get(SPECS[SyncType.ORDERS], erp_order["number"])
    assert mirrored is not None
    assert [line["product_code"] for line in mirrored["lines"]] == [
        line["product_code"] for line in erp_order["lines"]
    ]
