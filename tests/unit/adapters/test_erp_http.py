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


async def test_a_busy_session_is_waited_for_longer_than_other_failures() -> None:
    """A 409 means the ERP's one session is held, often by a request of ours that was given
    up on: it ends, so the next sync waits for it instead of failing the ERP as unreachable."""
    handler, seen = scripted(
        httpx.Response(409, json={"error": "session_overlap", "message": "one session at a time"})
    )
    busy = HttpErpSource(
        "http://erp.test",
        "secret",
        retry=RetryPolicy(attempts=3, initial_wait_s=0.001, max_wait_s=0.002, busy_attempts=7),
        transport=httpx.MockTransport(handler),
    )
    with pytest.raises(ErpUnavailableError, match="409 for orders: one session at a time"):
        await busy.fetch_page(SyncType.ORDERS, since=None, cursor=None, limit=10)
    assert len(seen) == 7


async def test_the_wait_honours_the_erps_retry_after_up_to_the_longest_wait() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    handler, _ = scripted(
        httpx.Response(503, headers={"Retry-After": "3"}),
        httpx.Response(503, headers={"Retry-After": "60"}),
        httpx.Response(200, json=PAGE),
    )
    patient = HttpErpSource(
        "http://erp.test",
        "secret",
        retry=RetryPolicy(attempts=3, initial_wait_s=0.001, max_wait_s=5.0),
        transport=httpx.MockTransport(handler),
        sleep=sleep,
    )
    await patient.fetch_page(SyncType.ORDERS, since=None, cursor=None, limit=10)
    assert waits[0] >= 3.0 and waits[1] == 5.0


async def test_each_retry_is_logged_with_its_cause(caplog: pytest.LogCaptureFixture) -> None:
    handler, _ = scripted(httpx.ReadTimeout(""), httpx.Response(200, json=PAGE))
    with caplog.at_level("WARNING", logger="erpsync.adapters.erp_http"):
        await source(handler).fetch_page(SyncType.ORDERS, since=None, cursor=None, limit=10)
    assert "action=erp_retry attempt=1 reason='ReadTimeout'" in caplog.text
