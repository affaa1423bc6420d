"""The offline slice over real HTTP on the demo data: gzip, ETag and 304, and what it weighs
(the first download at most 2 MB compressed, a delta of 10 changed records under 5 KB)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import erp_admin
from tests.e2e.live_app import LiveApp, coordination_log, live_app

KINDS = ("customers", "products", "prices")
FIRST_DOWNLOAD_BUDGET = 2_000_000
DELTA_BUDGET = 5_000


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    data_dir: Path = tmp_path_factory.mktemp("offline")
    with coordination_log() as log, live_app("offline", data_dir, log) as live:
        live.api.post("/api/sync/all", json={"mode": "full"}).raise_for_status()
        live.wait_idle()
        yield live


def test_the_first_download_is_gzip_cacheable_and_within_budget(app: LiveApp) -> None:
    agent = app.client(app.new_agent("A01"), **{"Accept-Encoding": "gzip"})
    total = 0
    sizes = {}
    for kind in KINDS:
        answer = agent.get(f"/api/offline/{kind}")
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-encoding"] == "gzip"
        assert answer.headers["vary"] == "Accept-Encoding"
        assert answer.headers["cache-control"] == "private, no-cache"
        etag = answer.headers["etag"]
        assert etag.startswith('"') and not etag.startswith("W/")
        compressed = int(answer.headers["content-length"])
        body = answer.json()
        assert body["full"] is True and body["kind"] == kind and body["priceList"] == "L01"
        sizes[kind] = (compressed, len(answer.content), len(body["rows"]))
        total += compressed
        again = agent.get(f"/api/offline/{kind}", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        plain = agent.get(f"/api/offline/{kind}", headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert plain.headers["etag"] != etag and plain.json()["rows"] == body["rows"]
        # The same answer in either coding: a tag from one revalidates the other.
        assert (
            agent.get(
                f"/api/offline/{kind}",
                headers={"Accept-Encoding": "identity", "If-None-Match": etag},
            ).status_code
            == 304
        )
    print(f"first download (compressed, raw, rows): {sizes}, total {total} bytes")
    customers = sizes["customers"][2]
    assert 0 < customers < 1500  # the agent's own only
    assert sizes["products"][2] > 4000 and sizes["prices"][2] > 0
    assert total <= FIRST_DOWNLOAD_BUDGET


def test_an_admins_whole_slice_of_the_demo_data_is_within_budget(app: LiveApp) -> None:
    total = 0
    for kind in KINDS:
        answer = app.api.get(f"/api/offline/{kind}", headers={"Accept-Encoding": "gzip"})
        assert answer.status_code == 200
        total += int(answer.headers["content-length"])
    assert len(app.api.get("/api/offline/customers").json()["rows"]) == 1500
    print(f"admin's first download: {total} bytes compressed")
    assert total <= FIRST_DOWNLOAD_BUDGET


def test_a_delta_of_ten_changed_customers_is_small_and_only_the_agents(app: LiveApp) -> None:
    admin = app.client(app.admin, **{"Accept-Encoding": "gzip"})
    agent = app.client(app.new_agent("A01"), **{"Accept-Encoding": "gzip"})
    first = admin.get("/api/offline/customers").json()
    annas = agent.get("/api/offline/customers").json()
    unchanged = admin.get("/api/offline/customers", params={"since": first["cursor"]})
    assert unchanged.json()["rows"] == [] and unchanged.json()["full"] is False
    with erp_admin(app) as erp:
        touched = erp.post("/admin/touch/customers", params={"count": 10})
        assert touched.status_code == 200, touched.text
        codes = {record["code"] for record in touched.json()["touched"]}
    assert len(codes) == 10
    app.api.post("/api/sync/customers").raise_for_status()
    app.wait_idle()
    delta = admin.get("/api/offline/customers", params={"since": first["cursor"]})
    body = delta.json()
    assert body["full"] is False
    assert {row[0] for row in body["rows"]} == codes
    compressed = int(delta.headers["content-length"])
    print(f"delta of 10 customers: {compressed} bytes compressed, {len(delta.content)} raw")
    assert compressed < DELTA_BUDGET
    mine = agent.get("/api/offline/customers", params={"since": annas["cursor"]}).json()
    assert all(row[6] == "A01" for row in mine["rows"])
    # The same delta asked again is the same answer: 304 with its tag.
    again = admin.get(
        "/api/offline/customers",
        params={"since": first["cursor"]},
        headers={"If-None-Match": delta.headers["etag"]},
    )
    assert again.status_code == 304


def test_a_since_that_is_no_cursor_is_422_and_another_slices_cursor_a_full_answer(
    app: LiveApp,
) -> None:
    products = app.api.get("/api/offline/products").json()
    assert app.api.get("/api/offline/products", params={"since": "garbage"}).status_code == 422
    other = app.api.get("/api/offline/customers", params={"since": products["cursor"]}).json()
    assert other["full"] is True and len(other["rows"]) == 1500


def test_the_event_stream_is_never_compressed(app: LiveApp) -> None:
    with app.api.stream(
        "GET", "/api/sync/events", headers={"Accept-Encoding": "gzip"}, timeout=10
    ) as events:
        assert events.status_code == 200
        assert "content-encoding" not in events.headers
