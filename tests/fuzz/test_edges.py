"""Requests the schema-driven fuzzer does not send, against the same live app.

schemathesis replaces control characters in path parameters with ``_`` (so a NUL never reaches
``/api/products/{code}/prices``), its wrong-type mutations of an integer send ``false`` (which
the range check refuses by chance) rather than ``true``, and it never sends a body larger than
the schema allows. These are those requests, one each, with the answer the API should give.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.fuzz.conftest import FuzzApp
from tests.fuzz.data import FREE_PRODUCTS, MY_CUSTOMERS

#: Far beyond the largest draft the document allows (200 lines, 2000 characters of notes: some
#: 40 KB), small enough to send quickly over loopback.
OVERSIZED_BODY_BYTES = 16 * 1024 * 1024


def _client(fuzz_app: FuzzApp, role: str) -> httpx.Client:
    return httpx.Client(base_url=fuzz_app.url, headers=fuzz_app.users[role].headers, timeout=60)


def _draft(draft_id: str, **line: object) -> dict[str, object]:
    return {
        "id": draft_id,
        "customer_code": MY_CUSTOMERS[0],
        "lines": [{"product_code": FREE_PRODUCTS[0], "qty": 1, "unit_price": "9.90", **line}],
    }


def test_a_nul_in_a_product_code_is_not_found_rather_than_a_server_error(
    fuzz_app: FuzzApp,
) -> None:
    with _client(fuzz_app, "agent") as client:
        answer = client.get("/api/products/P%00/prices")
    assert answer.status_code in (404, 422), answer.text


@pytest.mark.parametrize("value", [True, "1", 1.5])
def test_a_quantity_must_be_an_integer(fuzz_app: FuzzApp, value: object) -> None:
    draft_id = f"edge-qty-{type(value).__name__}-{fuzz_app.database}"
    with _client(fuzz_app, "agent") as client:
        answer = client.post("/api/drafts", json=_draft(draft_id, qty=value))
    assert answer.status_code == 422, answer.text


@pytest.mark.parametrize(
    ("field", "value"), [("priority", True), ("offset_minutes", False), ("priority", "3")]
)
def test_a_schedule_number_must_be_a_number(fuzz_app: FuzzApp, field: str, value: object) -> None:
    body: dict[str, object] = {"interval_minutes": 15, "offset_minutes": 0, "priority": 3}
    with _client(fuzz_app, "admin") as client:
        answer = client.put("/api/sync/schedule/products", json={**body, field: value})
    assert answer.status_code == 422, answer.text


def test_an_oversized_json_body_is_refused(fuzz_app: FuzzApp) -> None:
    body = _draft(f"edge-oversized-{fuzz_app.database}")
    body["padding"] = "x" * OVERSIZED_BODY_BYTES
    with _client(fuzz_app, "agent") as client:
        answer = client.post(
            "/api/drafts", content=json.dumps(body), headers={"Content-Type": "application/json"}
        )
    assert answer.status_code == 413, answer.text[:200]
