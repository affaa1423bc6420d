"""The demo ERP over HTTP: the source contract, faults, the single session and the admin API."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from erpsync.demo_erp import (
    DemoErpConfig,
    FaultSettings,
    LatencyProfile,
    Volumes,
    create_demo_erp_app,
    demo_erp_server,
)
from erpsync.domain.catalog import SPECS
from erpsync.domain.records import clean_record
from erpsync.domain.types import SyncType
from erpsync.errors import InvalidRecordError

START = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
VOLUMES = Volumes(customers=150, products=60, prices=70, orders=40, ddt=44, invoices=42)

Sleep = Callable[[float], Awaitable[None]]


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


class RecordingSleep:
    """Records every wait and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def _app(sleep: Sleep | None = None, **overrides: Any) -> Starlette:
    settings: dict[str, Any] = {
        "volumes": VOLUMES,
        "latency": LatencyProfile.INSTANT,
        "token": TOKEN,
    }
    config = DemoErpConfig(**{**settings, **overrides})
    return create_demo_erp_app(config, clock_sleep=sleep or RecordingSleep(), clock=Clock())


@contextlib.asynccontextmanager
async def _client(app: Starlette, **headers: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://erp", headers={**AUTH, **headers}
    ) as client:
        yield client


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with _client(_app()) as client:
        yield client


async def _page_through(
    client: httpx.AsyncClient, type: str, **params: Any
) -> tuple[list[dict[str, Any]], int]:
    items: list[dict[str, Any]] = []
    cursor = None
    requests = 0
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(f"/api/v1/{type}", params=query)
        assert response.status_code == 200, response.text
        requests += 1
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items, requests


async def test_health_needs_no_token() -> None:
    async with _client(_app()) as client:
        response = await client.get("/health", headers={"Authorization": ""})

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("authorization", ["", "Bearer wrong", f"Basic {TOKEN}", TOKEN])
@pytest.mark.parametrize("path", ["/api/v1/customers", "/admin/stats"])
async def test_a_missing_or_wrong_token_is_401(
    client: httpx.AsyncClient, authorization: str, path: str
) -> None:
    response = await client.get(path, headers={"Authorization": authorization})

    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("type", list(SyncType))
async def test_every_type_follows_the_contract(client: httpx.AsyncClient, type: SyncType) -> None:
    response = await client.get(f"/api/v1/{type}", params={"limit": 5})

    body = response.json()
    assert set(body) == {"items", "next_cursor", "high_water_mark"}
    assert len(body["items"]) == 5
    assert isinstance(body["next_cursor"], str)
    assert datetime.fromisoformat(body["high_water_mark"]).tzinfo is not None
    spec = SPECS[type]
    for item in body["items"]:
        assert set(item) == {*spec.field_names, *(c.name for c in spec.children)}
        clean_record(spec, item)


async def test_the_default_page_is_100_items(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v1/customers")).json()

    assert len(body["items"]) == 100
    assert body["next_cursor"] is not None


@pytest.mark.parametrize(
    ("type", "limit"), [("customers", 7), ("customers", 150), ("orders", 1000)]
)
async def test_paging_returns_every_item_exactly_once(
    client: httpx.AsyncClient, type: str, limit: int
) -> None:
    items, requests = await _page_through(client, type, limit=limit)

    keys = [item[SPECS[SyncType(type)].key] for item in items]
    assert len(keys) == len(set(keys)) == VOLUMES.of(SyncType(type))
    assert requests == -(-len(keys) // limit)
    order = [(datetime.fromisoformat(i["updated_at"]), k) for i, k in zip(items, keys, strict=True)]
    assert order == sorted(order)


async def test_high_water_mark_is_the_latest_stamp_of_the_type(client: httpx.AsyncClient) -> None:
    items, _ = await _page_through(client, "customers", limit=1000)

    body = (await client.get("/api/v1/customers", params={"limit": 1})).json()

    assert body["high_water_mark"] == items[-1]["updated_at"]


async def test_updated_since_keeps_items_updated_at_or_after_it(client: httpx.AsyncClient) -> None:
    everything, _ = await _page_through(client, "customers", limit=1000)
    since = everything[100]["updated_at"]

    items, _ = await _page_through(client, "customers", updated_since=since, limit=20)

    assert items == everything[100:]


async def test_a_plus_sign_lost_in_the_query_string_is_forgiven(client: httpx.AsyncClient) -> None:
    since = "2026-10-31T08:00:00+00:00"

    lenient = await client.get(f"/api/v1/customers?updated_since={since}")
    strict = await client.get("/api/v1/customers", params={"updated_since": since})

    assert lenient.status_code == 200
    assert lenient.json() == strict.json()


async def test_a_record_changed_during_a_sync_is_still_seen(client: httpx.AsyncClient) -> None:
    first = (await client.get("/api/v1/customers", params={"limit": 50})).json()
    changed = first["items"][0]["code"]
    ahead = first["items"][-1]["code"]
    response = await client.patch(f"/admin/customers/{changed}", json={"phone": "02 1234567"})
    assert response.status_code == 200

    rest, _ = await _page_through(client, "customers", limit=50, cursor=first["next_cursor"])

    assert rest[-1]["code"] == changed
    assert rest[-1]["phone"] == "02 1234567"
    seen = {i["code"] for i in [*first["items"], *rest]}
    assert len(seen) == VOLUMES.customers
    assert ahead not in {i["code"] for i in rest}


@pytest.mark.parametrize(
    ("path", "status", "error"),
    [
        ("/api/v1/widgets", 404, "unknown_type"),
        ("/api/v1/customers?limit=0", 422, "invalid_limit"),
        ("/api/v1/customers?limit=1001", 422, "invalid_limit"),
        ("/api/v1/customers?limit=ten", 422, "invalid_limit"),
        ("/api/v1/customers?cursor=bogus", 400, "invalid_cursor"),
        ("/api/v1/customers?updated_since=yesterday", 422, "invalid_timestamp"),
        ("/api/v1/customers?updated_since=2026-01-01T00:00:00", 422, "invalid_timestamp"),
        ("/nowhere", 404, "not_found"),
    ],
)
async def test_bad_requests_get_a_json_error(
    client: httpx.AsyncClient, path: str, status: int, error: str
) -> None:
    response = await client.get(path)

    assert response.status_code == status
    assert response.json()["error"] == error
    assert response.json()["message"]


async def test_a_cursor_of_another_type_is_400(client: httpx.AsyncClient) -> None:
    cursor = (await client.get("/api/v1/customers", params={"limit": 1})).json()["next_cursor"]

    response = await client.get("/api/v1/products", params={"cursor": cursor})

    assert response.status_code == 400


async def test_fail_next_gives_503_then_recovers(client: httpx.AsyncClient) -> None:
    await client.put("/admin/faults", json={"fail_next": 2})

    statuses = [(await client.get("/api/v1/orders")).status_code for _ in range(3)]

    assert statuses == [503, 503, 200]
    assert (await client.get("/admin/faults")).json()["fail_next"] == 0
    assert (await client.get("/admin/stats")).json()["unavailable_injected"] == 2


async def test_malformed_rate_one_serves_only_malformed_items(client: httpx.AsyncClient) -> None:
    await client.put("/admin/faults", json={"malformed_rate": 1.0})

    body = (await client.get("/api/v1/prices", params={"limit": 20})).json()

    for item in body["items"]:
        with pytest.raises(InvalidRecordError):
            clean_record(SPECS[SyncType.PRICES], item)
    assert (await client.get("/admin/stats")).json()["malformed_items"] == 20


async def test_a_timeout_hangs_then_answers_504() -> None:
    sleep = RecordingSleep()
    faults = FaultSettings(timeout_rate=1.0, timeout_seconds=12.0)
    async with _client(_app(sleep, faults=faults)) as client:
        response = await client.get("/api/v1/customers")

    assert response.status_code == 504
    assert sleep.waits == [12.0]


async def test_slow_pages_wait_longer() -> None:
    sleep = RecordingSleep()
    async with _client(_app(sleep)) as client:
        await client.patch("/admin/faults", json={"slow_page_seconds": 2.5})
        await client.get("/api/v1/customers")

    assert sleep.waits == [2.5]


async def test_faults_are_shown_replaced_and_merged(client: httpx.AsyncClient) -> None:
    await client.put("/admin/faults", json={"error_rate": 0.2, "slow_page_seconds": 1})
    merged = (await client.patch("/admin/faults", json={"malformed_rate": 0.1})).json()
    replaced = (await client.put("/admin/faults", json={"timeout_rate": 0.3})).json()

    assert merged["error_rate"] == 0.2
    assert merged["malformed_rate"] == 0.1
    assert replaced == {**FaultSettings().__dict__, "timeout_rate": 0.3}
    assert (await client.get("/admin/faults")).json() == replaced


@pytest.mark.parametrize(
    "body", [{"error_rate": 2}, {"colour": 1}, {"fail_next": 1.5}, {"error_rate": "x"}, [1]]
)
async def test_invalid_faults_are_422(client: httpx.AsyncClient, body: object) -> None:
    response = await client.put("/admin/faults", json=body)

    assert response.status_code == 422


async def test_an_overlapping_request_gets_409_and_is_counted() -> None:
    entered, release = asyncio.Event(), asyncio.Event()

    async def blocking_sleep(seconds: float) -> None:
        entered.set()
        await release.wait()

    app = _app(blocking_sleep, faults=FaultSettings(slow_page_seconds=1.0))
    async with _client(app) as client:
        first = asyncio.create_task(client.get("/api/v1/orders"))
        await entered.wait()
        overlapping = await client.get("/api/v1/customers")
        in_flight = (await client.get("/admin/stats")).json()["in_flight"]
        release.set()
        finished = await first
        after = await client.get("/api/v1/customers")
        stats = (await client.get("/admin/stats")).json()

    assert overlapping.status_code == 409
    assert overlapping.json()["error"] == "session_overlap"
    assert "overlaps" in overlapping.json()["message"]
    assert in_flight is True
    assert finished.status_code == 200
    assert after.status_code == 200
    assert stats["overlaps"] == 1
    nothing = dict.fromkeys([t.value for t in SyncType], 0)
    assert stats["requests"] == {**nothing, "orders": 1, "customers": 2}
    assert stats["in_flight"] is False


async def test_sequential_requests_never_overlap(client: httpx.AsyncClient) -> None:
    for type in SyncType:
        await _page_through(client, type, limit=10)

    stats = (await client.get("/admin/stats")).json()
    reset = (await client.delete("/admin/stats")).json()

    assert stats["overlaps"] == 0
    assert stats["pages_served"] == stats["requests_total"] > 0
    assert reset["requests_total"] == 0


async def test_a_customer_created_now_is_found_by_an_incremental_sync(
    client: httpx.AsyncClient,
) -> None:
    mark = (await client.get("/api/v1/customers", params={"limit": 1})).json()["high_water_mark"]

    created = await client.post(
        "/admin/customers", json={"code": "C900001", "name": "Ferramenta Nuova S.r.l."}
    )
    body = (await client.get("/api/v1/customers", params={"updated_since": mark})).json()

    assert created.status_code == 201
    assert created.json()["updated_at"] == START.isoformat()
    # The record at the mark itself comes again: updated_since keeps updated_at >= since.
    assert [i["updated_at"] for i in body["items"]] == [mark, START.isoformat()]
    assert body["items"][-1]["code"] == "C900001"
    assert body["high_water_mark"] == START.isoformat()


async def test_create_read_change_and_delete_a_record(client: httpx.AsyncClient) -> None:
    fields = {"code": "P99999", "description": "Chiave a pappagallo", "vat_rate": "22"}

    created = await client.post("/admin/products", json=fields)
    duplicate = await client.post("/admin/products", json=fields)
    changed = await client.patch("/admin/products/P99999", json={"package_size": 6})
    read = await client.get("/admin/products/P99999")
    deleted = await client.delete("/admin/products/P99999")
    gone = await client.get("/admin/products/P99999")
    served, _ = await _page_through(client, "products", limit=1000)

    assert created.status_code == 201
    assert duplicate.status_code == 409
    assert duplicate.json()["error"] == "record_exists"
    assert changed.json()["package_size"] == 6
    assert changed.json()["updated_at"] > created.json()["updated_at"]
    assert read.json() == changed.json()
    assert deleted.json() == {"type": "products", "deleted": "P99999"}
    assert gone.status_code == 404
    assert "P99999" not in {p["code"] for p in served}


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/admin/customers", {"name": "Senza codice"}, 422),
        ("POST", "/admin/customers", {"code": "C1"}, 422),
        ("POST", "/admin/customers", {"code": "C1", "name": "X", "extra": 1}, 422),
        ("POST", "/admin/widgets", {"code": "C1"}, 404),
        ("PATCH", "/admin/customers/C000001", {"code": "C2"}, 422),
        ("PATCH", "/admin/customers/C999999", {"name": "X"}, 404),
        ("DELETE", "/admin/customers/C999999", None, 404),
        ("POST", "/admin/touch/customers?count=0", None, 422),
        ("POST", "/admin/touch/customers?edit=maybe", None, 422),
    ],
)
async def test_admin_errors(
    client: httpx.AsyncClient, method: str, path: str, body: object, status: int
) -> None:
    response = await client.request(method, path, json=body)

    assert response.status_code == status
    assert set(response.json()) == {"error", "message"}


async def test_a_body_that_is_not_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/admin/customers", content=b"{nope")

    assert response.status_code == 400


async def test_touch_changes_random_records_now(client: httpx.AsyncClient) -> None:
    response = await client.post("/admin/touch/invoices", params={"count": 4})

    touched = response.json()["touched"]
    recent, _ = await _page_through(client, "invoices", updated_since=START.isoformat())
    assert len(touched) == 4
    assert recent == touched


async def test_a_full_customer_sync_takes_15_to_20_seconds_of_erp_time() -> None:
    sleep = RecordingSleep()
    async with _client(_app(sleep, volumes=Volumes(customers=1500), latency="realistic")) as client:
        _, requests = await _page_through(client, "customers", limit=100)
        sleep.waits.clear()
        await client.post("/admin/touch/customers", params={"count": 3})
        changed, _ = await _page_through(client, "customers", updated_since=START.isoformat())

    assert requests == 15
    assert len(changed) == 3
    assert 0.2 <= sum(sleep.waits) <= 0.4


async def test_full_sync_latency_sums_to_the_target() -> None:
    sleep = RecordingSleep()
    async with _client(_app(sleep, volumes=Volumes(customers=1500), latency="realistic")) as client:
        await _page_through(client, "customers", limit=100)

    assert len(sleep.waits) == 15
    assert 15.0 <= sum(sleep.waits) <= 20.0


async def test_the_same_seed_serves_the_same_data() -> None:
    pages = []
    for seed in (5, 5, 6):
        async with _client(_app(seed=seed)) as client:
            pages.append((await client.get("/api/v1/orders", params={"limit": 50})).json())

    assert pages[0] == pages[1]
    assert pages[0]["items"] != pages[2]["items"]


async def test_the_ticker_runs_in_the_app_lifespan() -> None:
    waits: list[float] = []
    ticked = asyncio.Event()

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) > 1:
            ticked.set()
            await asyncio.Event().wait()

    app = _app(sleep, ticker_interval_seconds=45.0)
    async with app.router.lifespan_context(app), _client(app) as client:
        await asyncio.wait_for(ticked.wait(), timeout=5)
        recent = await client.get("/api/v1/customers", params={"updated_since": START.isoformat()})

    assert waits == [45.0, 45.0]
    assert 1 <= len(recent.json()["items"]) <= 3


async def test_served_over_real_http_by_uvicorn() -> None:
    config = DemoErpConfig(volumes=VOLUMES, latency=LatencyProfile.INSTANT, token=TOKEN)
    server = demo_erp_server("127.0.0.1", 0, config)
    serving = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=AUTH) as client:
            health = await client.get("/health")
            page = await client.get("/api/v1/ddt", params={"limit": 3})
    finally:
        server.should_exit = True
        await serving

    assert health.json() == {"status": "ok"}
    assert len(page.json()["items"]) == 3
    assert datetime.fromisoformat(page.json()["high_water_mark"]) < datetime.now(UTC) + timedelta(
        seconds=1
    )
