"""The HTTP ERP writer: the write contract's answers, one call an attempt, the recorded body
sent as it is."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import httpx
import pytest

from erpsync.adapters.erp_orders_http import HttpErpWriter
from erpsync.domain.submissions import OrderLine, OrderRequest, PlacedOrder, Reason, Refusal
from erpsync.errors import ErpProtocolError, ErpUnavailableError, IdempotencyConflictError

ORDER = OrderRequest(
    "draft-0001",
    "C00001",
    "A01",
    date(2026, 12, 1),
    (OrderLine("P0001", 12, Decimal("4.50"), Decimal(10)),),
    "consegna mattina",
)
CREATED = {"number": "OV000321", "state": "inserito", "client_reference": "draft-0001"}


def writer(*steps: httpx.Response | Exception) -> tuple[HttpErpWriter, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = steps[min(len(seen), len(steps)) - 1]
        if isinstance(step, Exception):
            raise step
        return step

    erp = HttpErpWriter("http://erp.test", "secret", transport=httpx.MockTransport(handler))
    return erp, seen


async def test_an_order_is_posted_with_its_key_and_body() -> None:
    erp, seen = writer(httpx.Response(201, json=CREATED))
    assert await erp.place_order(ORDER.content(), "key-1") == PlacedOrder("OV000321", "inserito")
    [request] = seen
    assert (request.method, request.url.path) == ("POST", "/api/v1/orders")
    assert request.headers["idempotency-key"] == "key-1"
    assert request.headers["authorization"] == "Bearer secret"
    assert request.content == ORDER.content().encode(), "the recorded bytes, as they are"
    assert json.loads(request.content) == ORDER.body()
    assert request.headers["content-type"] == "application/json"


async def test_a_repeat_of_the_key_gets_the_same_order_as_a_replay() -> None:
    erp, _ = writer(httpx.Response(200, json=CREATED, headers={"Idempotent-Replayed": "true"}))
    assert await erp.place_order(ORDER.content(), "key-1") == PlacedOrder(
        "OV000321", "inserito", True
    )


Failure = Callable[[], httpx.Response | Exception]


@pytest.mark.parametrize(
    "failure",
    [
        lambda: httpx.ReadTimeout(""),
        lambda: httpx.RemoteProtocolError("Server disconnected without sending a response."),
        lambda: httpx.Response(504, json={"error": "timeout", "message": "no answer"}),
        lambda: httpx.Response(409, json={"error": "session_overlap", "message": "busy"}),
        lambda: httpx.Response(503, json={"error": "unavailable", "message": "down"}),
    ],
    ids=["timeout", "dropped", "504", "busy", "503"],
)
async def test_no_answer_to_go_by_is_unavailable_after_one_call(failure: Failure) -> None:
    """The sender tries again later with the same key; one attempt is one call, so a smart
    sync waiting behind it waits for one call only."""
    erp, seen = writer(failure(), httpx.Response(200, json=CREATED))
    with pytest.raises(ErpUnavailableError):
        await erp.place_order(ORDER.content(), "key-1")
    assert len(seen) == 1


async def test_a_refusal_comes_with_every_reason_the_erp_gave() -> None:
    body = {
        "error": "order_rejected",
        "detail": "the ERP refused the order",
        "reasons": [
            {
                "code": "customer_blocked",
                "field": "customer_code",
                "line": None,
                "message": "customer C00001 is blocked",
            },
            {
                "code": "below_minimum",
                "field": "lines",
                "line": 1,
                "message": "line 1: quantity 12 is below the minimum of 24",
            },
            "not a reason",
        ],
    }
    erp, seen = writer(httpx.Response(422, json=body))
    refused = await erp.place_order(ORDER.content(), "key-1")
    assert refused == Refusal(
        "the ERP refused the order",
        (
            Reason("customer C00001 is blocked", "customer_blocked", "customer_code", None),
            Reason("line 1: quantity 12 is below the minimum of 24", "below_minimum", "lines", 1),
        ),
    )
    assert len(seen) == 1, "a refusal is never retried"


async def test_a_key_holding_another_body_is_final() -> None:
    reused = {"error": "idempotency_key_reused", "message": "key-1 was used with another body"}
    erp, seen = writer(httpx.Response(409, json=reused))
    with pytest.raises(IdempotencyConflictError, match="another body"):
        await erp.place_order(ORDER.content(), "key-1")
    assert len(seen) == 1


async def test_unavailable_says_why() -> None:
    erp, _ = writer(httpx.ReadTimeout(""))
    with pytest.raises(ErpUnavailableError, match="ERP unreachable: ReadTimeout"):
        await erp.place_order(ORDER.content(), "key-1")
    denied, _ = writer(httpx.Response(401, json={"error": "unauthorized", "message": "token"}))
    with pytest.raises(ErpUnavailableError, match="ERP answered 401: token"):
        await denied.place_order(ORDER.content(), "key-1")


@pytest.mark.parametrize("body", [b"<html>", b'{"number": 5}', b'{"state": "inserito"}'])
async def test_a_success_without_number_and_state_is_off_the_contract(body: bytes) -> None:
    erp, _ = writer(httpx.Response(201, content=body))
    with pytest.raises(ErpProtocolError):
        await erp.place_order(ORDER.content(), "key-1")
