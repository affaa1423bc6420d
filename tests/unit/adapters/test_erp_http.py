"""The HTTP ERP source: the contract's envelope, and retries on transient failures only."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from erpsync.adapters.erp_http import HttpErpSource, RetryPolicy
from erpsync.domain.types import SyncType
from erpsync.errors import ErpProtocolError, ErpUnavailableError

PAGE = {
    "items": [{"code": "C1"}],
    "next_cursor": "abc",
    "high_water_mark": "2026-11-02T08:00:00+00:00",
}


def source(handler: Callable[[httpx.Request], httpx.Response]) -> HttpErpSource:
    return HttpErpSource(
        "http://erp.test",
        "secret",
        retry=RetryPolicy(attempts=3, initial_wait_s=0.001, max_wait_s=0.002),
        transport=httpx.MockTransport(handler),
    )


def scripted(
    *steps: httpx.Response | Exception,
) -> tuple[Callable[[httpx.Request], httpx.Response], list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = steps[min(len(seen), len(steps)) - 1]
        if isinstance(step, Exception):
            raise step
        return step

    return handler, seen


async def test_a_page_is_asked_for_with_the_contract_parameters() -> None:
    handler, seen = scripted(httpx.Response(200, json=PAGE))
    page = await source(handler).fetch_page(SyncType.CUSTOMERS, since=None, cursor="xyz", limit=50)
    assert page.next_cursor == "abc"
    assert page.items == [{"code": "C1"}]
    [request] = seen
    assert request.url.path == "/api/v1/customers"
    assert dict(request.url.params) == {"limit": "50", "cursor": "xyz"}
    assert request.headers["authorization"] == "Bearer secret"


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(503, json={"error": "busy"}),
        httpx.Response(409, json={"error": "session_busy"}),
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
    ],
    ids=["503", "409", "read-timeout", "connect-error"],
)
async def test_transient_failures_are_retried(failure: httpx.Response | Exception) -> None:
    handler, seen = scripted(failure, httpx.Response(200, json=PAGE))
    page = await source(handler).fetch_page(SyncType.ORDERS, since=None, cursor=None, limit=10)
    assert page.items
    assert len(seen) == 2


@pytest.mark.parametrize("status", [400, 401, 404, 422])
async def test_other_answers_fail_at_once_with_the_reason(status: int) -> None:
    handler, seen = scripted(httpx.Response(status, json={"error": "bad", "message": "nope"}))
    with pytest.raises(ErpUnavailableError, match=str(status)):
        await source(handler).fetch_page(SyncType.ORDERS, since=None, cursor=None, limit=10)
    assert len(seen) == 1


async def test_a_failure_that_persists_ends_after_the_attempts() -> None:
    handler, seen = scripted(httpx.ReadTimeout("slow"))
    with pytest.raises(ErpUnavailableError, match="ReadTimeout"):
        await source(handler).fetch_page(SyncType.ORDERS, since=None, cursor=None, limit=10)
    assert len(seen) == 3


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"next_cursor": null}',
        b'{"items": [], "next_cursor": 5}',
        b'{"items": [], "high_water_mark": "yesterday"}',
        b'{"items": [], "high_water_mark": "2026-11-02T08:00:00"}',
    ],
)
async def test_an_answer_off_the_contract_is_a_protocol_error(body: bytes) -> None:
    handler, _ = scripted(httpx.Response(200, content=body))
    with pytest.raises(ErpProtocolError):
        await source(handler).fetch_page(SyncType.ORDERS, since=None, cursor=None, limit=10)
