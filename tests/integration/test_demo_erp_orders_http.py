"""The demo ERP's write contract over HTTP: idempotent order writes, refusals, write faults."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from erpsync.demo_erp import (
    DemoErpConfig,
    FaultSettings,
    LatencyProfile,
    Volumes,
    create_demo_erp_app,
)
from erpsync.domain.catalog import SPECS
from erpsync.domain.records import clean_record
from erpsync.domain.types import SyncType

START = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
VOLUMES = Volumes(customers=30, products=20, prices=20, orders=12, ddt=10, invoices=10)
# Made through the admin API, so the rules under test do not hang on generated data.
SETUP = {
    "/admin/products": {"code": "P90001", "description": "Tassello 8 mm", "min_qty": 6,
                        "multiple_qty": 6, "vat_rate": "22"},
    "/admin/prices": {"id": "L01-P90001", "product_code": "P90001", "list_code": "L01",
                      "unit_price": "10.00", "valid_from": "2026-01-01"},
}  # fmt: skip

Sleep = Callable[[float], Awaitable[None]]


class FakeSleep:
    """Records every wait; a blocking one holds each wait until released, so a request can be
    caught in flight."""

    def __init__(self, *, blocking: bool = False) -> None:
        self.blocking = blocking
        self.entered, self.release = asyncio.Event(), asyncio.Event()
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.entered.set()
        if self.blocking:
            await self.release.wait()


@contextlib.asynccontextmanager
async def _erp(sleep: Sleep | None = None, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    settings: dict[str, Any] = {"volumes": VOLUMES, "latency": LatencyProfile.INSTANT}
    config = DemoErpConfig(token=TOKEN, **{**settings, **overrides})
    app = create_demo_erp_app(config, clock_sleep=sleep or FakeSleep(), clock=lambda: START)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://erp", headers=AUTH) as erp:
        for path, record in SETUP.items():
            (await erp.post(path, json=record)).raise_for_status()
        yield erp


@pytest.fixture
async def erp() -> AsyncIterator[httpx.AsyncClient]:
    async with _erp() as client:
        yield client


def _body(**fields: Any) -> dict[str, Any]:
    line = {"product_code": "P90001", "qty": "12", "unit_price": "7.50", "discount": "10"}
    return {
        "client_reference": "draft-0001",
        "customer_code": "C000001",
        "agent_code": None,
        "date": "2026-12-01",
        "notes": "",
        "lines": [line, {**line, "qty": 6, "unit_price": "9.99", "discount": "0"}],
        **fields,
    }


async def _post(
    erp: httpx.AsyncClient, key: str | None = "key-1", body: Any = None
) -> httpx.Response:
    headers = {} if key is None else {"Idempotency-Key": key}
    return await erp.post("/api/v1/orders", json=_body() if body is None else body, headers=headers)


async def _orders_since_start(erp: httpx.AsyncClient) -> Any:
    page = await erp.get("/api/v1/orders", params={"updated_since": START.isoformat()})
    return page.raise_for_status().json()["items"]


async def _stats(erp: httpx.AsyncClient) -> Any:
    return (await erp.get("/admin/stats")).json()


async def test_an_order_is_created_once_then_replayed_as_first_answered(
    erp: httpx.AsyncClient,
) -> None:
    created = await _post(erp)
    synced = await _orders_since_start(erp)
    order = created.json()
    # The order moves on in the ERP; a replay is still the answer as it was created.
    await erp.patch(f"/admin/orders/{order['number']}", json={"state": "confermato"})
    replayed = await _post(erp, body=dict(reversed(_body().items())))

    assert created.status_code == 201
    assert created.headers["content-type"] == "application/json"
    assert "idempotent-replayed" not in created.headers
    assert order["number"] == f"OV{VOLUMES.orders + 1:06d}"
    # 12 × 7.50 × 0.9 = 81.00 (VAT 17.82) and 6 × 9.99 = 59.94 (VAT 13.1868 → 13.19)
    assert (order["total_net"], order["total_vat"], order["total"]) == ("140.94", "31.01", "171.95")
    assert order["state"] == "inserito"
    assert [line["line_no"] for line in order["lines"]] == [1, 2]
    assert synced == [order]
    clean_record(SPECS[SyncType.ORDERS], order)
    assert set(order) == {*SPECS[SyncType.ORDERS].field_names, "lines"}
    assert replayed.status_code == 200
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.content == created.content


async def test_a_key_reused_with_another_body_is_409(erp: httpx.AsyncClient) -> None:
    await _post(erp)

    reused = await _post(erp, body=_body(notes="citofonare"))

    assert reused.status_code == 409
    assert reused.json() == {"error": "idempotency_key_reused", "detail": reused.json()["detail"]}
    assert len(await _orders_since_start(erp)) == 1


async def test_every_reason_to_refuse_comes_in_one_422(erp: httpx.AsyncClient) -> None:
    await erp.put("/admin/blocked-customers/C000001")
    lines = [
        {"product_code": "P90001", "qty": "4", "unit_price": "5.00", "discount": "10"},
        {"product_code": "P00000", "qty": "1", "unit_price": "1.00"},
        {"product_code": "P90001", "qty": 12.0, "unit_price": "10.00"},
    ]

    response = await _post(erp, body=_body(lines=lines))

    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "order_rejected"
    assert body["detail"] == "the ERP refused the order for 6 reasons"
    assert [(r["code"], r["field"], r["line"]) for r in body["reasons"]] == [
        ("customer_blocked", "customer_code", None),
        ("below_minimum", "qty", 1),
        ("not_multiple", "qty", 1),
        ("below_floor", "unit_price", 1),
        ("unknown_product", "product_code", 2),
        ("invalid", "qty", 3),
    ]
    assert all(r["message"] for r in body["reasons"])
    assert await _orders_since_start(erp) == []


async def test_a_blocked_customer_is_refused_until_unblocked(erp: httpx.AsyncClient) -> None:
    blocked = await erp.put("/admin/blocked-customers/C000001")
    listed = await erp.get("/admin/blocked-customers")
    refused = await _post(erp)
    unblocked = await erp.delete("/admin/blocked-customers/C000001")
    accepted = await _post(erp)

    assert blocked.json() == {"customer_code": "C000001", "blocked": True}
    assert listed.json() == {"blocked": ["C000001"]}
    assert refused.status_code == 422
    assert [r["code"] for r in refused.json()["reasons"]] == ["customer_blocked"]
    assert unblocked.json() == {"customer_code": "C000001", "blocked": False}
    assert (await erp.get("/admin/blocked-customers")).json() == {"blocked": []}
    assert accepted.status_code == 201
    unknown = await erp.put("/admin/blocked-customers/C999999")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "record_not_found")


async def test_a_lost_answer_times_out_but_the_order_exists_once() -> None:
    sleep = FakeSleep()
    async with _erp(sleep) as erp:
        await erp.patch("/admin/faults", json={"lose_answer_next": 1, "timeout_seconds": 30})
        lost = await _post(erp)
        retried = await _post(erp)
        synced = await _orders_since_start(erp)
        stats = await _stats(erp)

    assert lost.status_code == 504
    assert lost.json()["error"] == "timeout"
    assert sleep.waits == [30]
    assert retried.status_code == 200
    assert [o for o in synced if o["client_reference"] == "draft-0001"] == [retried.json()]
    assert stats["orders_created"] == 1
    assert stats["write_faults_injected"]["answer_lost"] == 1


async def test_a_retry_during_the_lost_answers_hang_finds_the_order() -> None:
    sleep = FakeSleep(blocking=True)
    async with _erp(sleep) as erp:
        await erp.patch("/admin/faults", json={"lose_answer_next": 1})
        hanging = asyncio.create_task(_post(erp))
        await sleep.entered.wait()
        retried = await _post(erp)
        sleep.release.set()
        lost = await hanging

    assert retried.status_code == 200
    assert retried.json()["client_reference"] == "draft-0001"
    assert lost.status_code == 504


async def test_fail_before_commit_creates_nothing_and_the_retry_creates(
    erp: httpx.AsyncClient,
) -> None:
    await erp.patch("/admin/faults", json={"fail_before_commit_next": 1})

    failed = await _post(erp)
    nothing = await _orders_since_start(erp)
    retried = await _post(erp)

    assert failed.status_code == 503
    assert failed.json()["error"] == "unavailable"
    assert failed.headers["Retry-After"] == "1"
    assert nothing == []
    assert retried.status_code == 201


async def test_reject_next_refuses_without_creating(erp: httpx.AsyncClient) -> None:
    await erp.patch("/admin/faults", json={"reject_next": 1})

    refused = await _post(erp)
    nothing = await _orders_since_start(erp)
    accepted = await _post(erp)

    assert refused.status_code == 422
    assert refused.json()["reasons"] == [
        {"code": "refused", "field": None, "line": None, "message": "the ERP refused the order"}
    ]
    assert nothing == []
    assert accepted.status_code == 201


async def test_read_faults_leave_writes_alone_and_write_faults_leave_reads_alone(
    erp: httpx.AsyncClient,
) -> None:
    both = {"fail_next": 1, "reject_next": 1}
    await erp.put("/admin/faults", json=both)
    read_first = [(await erp.get("/api/v1/customers")).status_code, (await _post(erp)).status_code]
    await erp.put("/admin/faults", json=both)
    write_first = [(await _post(erp)).status_code, (await erp.get("/api/v1/customers")).status_code]
    await erp.put("/admin/faults", json={"error_rate": 1.0})
    written = await _post(erp)

    assert read_first == [503, 422]
    assert write_first == [422, 503]
    assert written.status_code == 201


async def test_writes_do_not_move_the_dice_of_the_reads() -> None:
    async def read_statuses(*, writing: bool) -> list[int]:
        statuses = []
        async with _erp(faults=FaultSettings(error_rate=0.5)) as erp:
            for n in range(20):
                if writing:
                    await _post(erp, key=f"key-{n}", body=_body(client_reference=f"d-{n}"))
                statuses.append((await erp.get("/api/v1/products")).status_code)
        return statuses

    alone = await read_statuses(writing=False)

    assert set(alone) == {200, 503}
    assert await read_statuses(writing=True) == alone


async def test_a_write_overlapping_a_read_is_409_and_counted() -> None:
    sleep = FakeSleep(blocking=True)
    async with _erp(sleep) as erp:
        await erp.patch("/admin/faults", json={"slow_page_seconds": 1.0})
        reading = asyncio.create_task(erp.get("/api/v1/orders"))
        await sleep.entered.wait()
        overlapping = await _post(erp)
        sleep.release.set()
        await reading
        after = await _post(erp)
        stats = await _stats(erp)

    assert overlapping.status_code == 409
    assert overlapping.json()["error"] == "session_overlap"
    assert after.status_code == 201
    assert (stats["overlaps"], stats["writes"], stats["orders_created"]) == (1, 2, 1)


async def test_a_write_holds_the_session_while_it_works() -> None:
    sleep = FakeSleep(blocking=True)
    async with _erp(sleep, latency="realistic") as erp:
        writing = asyncio.create_task(_post(erp))
        await sleep.entered.wait()
        overlapping_read = await erp.get("/api/v1/customers")
        overlapping_write = await _post(erp)
        in_flight = (await _stats(erp))["in_flight"]
        sleep.release.set()
        written = await writing
        stats = await _stats(erp)

    assert overlapping_read.status_code == overlapping_write.status_code == 409
    assert in_flight is True
    assert written.status_code == 201
    assert stats["overlaps"] == 2
    assert stats["orders_created"] == 1


async def test_concurrent_repeats_of_one_key_make_one_order() -> None:
    async def yielding_sleep(seconds: float) -> None:
        await asyncio.sleep(0)

    async with _erp(yielding_sleep, latency="realistic") as erp:
        answers = await asyncio.gather(*(_post(erp) for _ in range(5)))
        retried = await _post(erp)
        synced = await _orders_since_start(erp)

    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(201) == 1
    assert set(statuses) <= {201, 200, 409}
    assert 409 in statuses  # the repeats did overlap the write in flight
    assert retried.status_code == 200
    assert len(synced) == 1


@pytest.mark.parametrize(
    ("key", "content", "error"),
    [
        (None, b"{}", "missing_idempotency_key"),
        ("", b"{}", "missing_idempotency_key"),
        ("bad key", b"{}", "invalid_idempotency_key"),
        ("k" * 129, b"{}", "invalid_idempotency_key"),
        (None, b"{nope", "missing_idempotency_key"),
        ("key-1", b"{nope", "invalid_json"),
        ("key-1", b"", "invalid_json"),
    ],
)
async def test_a_missing_or_bad_key_or_body_is_400(
    erp: httpx.AsyncClient, key: str | None, content: bytes, error: str
) -> None:
    headers = {} if key is None else {"Idempotency-Key": key}

    response = await erp.post("/api/v1/orders", content=content, headers=headers)

    assert response.status_code == 400
    assert response.json()["error"] == error
    assert (await _stats(erp))["writes"] == 0


async def test_writes_need_the_token(erp: httpx.AsyncClient) -> None:
    headers = {"Authorization": "", "Idempotency-Key": "key-1"}

    response = await erp.post("/api/v1/orders", json=_body(), headers=headers)

    assert response.status_code == 401


async def test_write_faults_are_shown_and_validated(erp: httpx.AsyncClient) -> None:
    shown = (await erp.patch("/admin/faults", json={"lose_answer_next": 2})).json()
    invalid = [{"reject_next": 1.5}, {"fail_before_commit_next": -1}, {"lose_answer_next": True}]

    refused = [(await erp.patch("/admin/faults", json=body)).status_code for body in invalid]

    assert shown["lose_answer_next"] == 2
    assert shown["reject_next"] == shown["fail_before_commit_next"] == 0
    assert refused == [422, 422, 422]
    assert (await erp.get("/admin/faults")).json() == shown


async def test_the_write_counters_add_up_and_reset(erp: httpx.AsyncClient) -> None:
    await _post(erp)
    await _post(erp)
    await _post(erp, body=_body(notes="x"))
    await _post(erp, key="key-2", body=_body(customer_code="C999999"))
    await erp.patch("/admin/faults", json={"reject_next": 1, "fail_before_commit_next": 1})
    await _post(erp, key="key-3")
    await _post(erp, key="key-3")

    stats = await _stats(erp)
    reset = (await erp.delete("/admin/stats")).json()

    counted = {name: stats[name] for name in _WRITE_COUNTERS}
    assert counted == {
        "writes": 6,
        "orders_created": 1,
        "orders_replayed": 1,
        "orders_rejected": 2,
        "key_conflicts": 1,
        "write_faults_injected": {"refused": 1, "unavailable": 1, "answer_lost": 0},
    }
    assert stats["requests_total"] == 0
    assert [reset[name] for name in _WRITE_COUNTERS[:-1]] == [0, 0, 0, 0, 0]
    assert set(reset["write_faults_injected"].values()) == {0}


_WRITE_COUNTERS = ("writes", "orders_created", "orders_replayed", "orders_rejected",
                   "key_conflicts", "write_faults_injected")  # fmt: skip
