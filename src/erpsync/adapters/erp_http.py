"""The ERP source over HTTP: the contract in the README, retried on transient failures only."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    wait_exponential_jitter,
)

from erpsync.domain.types import SyncType
from erpsync.errors import ErpProtocolError, ErpUnavailableError
from erpsync.ports import SourcePage

log = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]

#: Statuses worth another try: the ERP is busy, restarting or overloaded, or answered 409
#: because another client holds its only session.
TRANSIENT_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
#: Network failures worth another try; anything else (a bad certificate, a bad URL) is final.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.ConnectError,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
    httpx.PoolTimeout,
)


@dataclass(frozen=True)
class RetryPolicy:
    """How a request is tried again: up to ``attempts`` times, waiting from
    ``initial_wait_s`` doubling to ``max_wait_s`` (or what the ERP's ``Retry-After`` asks, if
    longer). While the ERP says its one session is busy (409), up to ``busy_attempts``: the
    session is held by a request that will end (often one of ours that was given up on), and
    failing the next sync for it would report a healthy ERP as unreachable."""

    attempts: int = 4
    initial_wait_s: float = 0.2
    max_wait_s: float = 5.0
    busy_attempts: int = 12

    def retrying(self, sleep: Sleep | None = None) -> AsyncRetrying:
        exponential = wait_exponential_jitter(
            multiplier=self.initial_wait_s, max=self.max_wait_s, jitter=self.initial_wait_s
        )

        def wait(state: RetryCallState) -> float:
            return max(exponential(state), min(_retry_after(state), self.max_wait_s))

        def stop(state: RetryCallState) -> bool:
            exc = state.outcome.exception() if state.outcome else None
            limit = self.busy_attempts if _busy(exc) else self.attempts
            return state.attempt_number >= max(limit, self.attempts)

        return AsyncRetrying(
            retry=retry_if_exception(is_transient),
            stop=stop,
            wait=wait,
            before_sleep=_log_retry,
            reraise=True,
            sleep=sleep or asyncio.sleep,
        )


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code in TRANSIENT_STATUSES
    return isinstance(exc, TRANSIENT_ERRORS)


def _busy(exc: BaseException | None) -> bool:
    return isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code == 409


def _retry_after(state: RetryCallState) -> float:
    """The seconds a ``Retry-After`` header of the last answer asks for (0 without one)."""
    exc = state.outcome.exception() if state.outcome else None
    if not isinstance(exc, httpx.HTTPStatusError):
        return 0.0
    try:
        return max(0.0, float(exc.response.headers.get("retry-after", "0")))
    except ValueError:  # an HTTP date: not worth parsing for a wait of seconds
        return 0.0


def describe(exc: BaseException | None) -> str:
    """An error in words, also when its message is empty (``httpx.ReadTimeout``)."""
    if exc is None:
        return ""
    if isinstance(exc, httpx.HTTPStatusError):
        return f"ERP answered {exc.response.status_code}: {error_text(exc.response)}"
    return f"{exc.__class__.__name__} {exc}".strip()


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.warning("action=erp_retry attempt=%d reason=%r", state.attempt_number, describe(exc))


class ErpClient:
    """One HTTP client of the ERP, with its bearer token and its timeout."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout_s: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=httpx.Timeout(timeout_s),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._client.aclose()


class HttpErpSource(ErpClient):
    """:class:`~erpsync.ports.ErpSource` speaking ``GET /api/v1/{type}`` with a bearer token."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout_s: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        """``sleep`` waits between attempts (tests pass one that records the waits)."""
        super().__init__(base_url, token, timeout_s=timeout_s, transport=transport)
        self._retry = retry or RetryPolicy()
        self._sleep = sleep

    async def fetch_page(
        self, type: SyncType, *, since: datetime | None, cursor: str | None, limit: int
    ) -> SourcePage:
        params: dict[str, str | int] = {"limit": limit}
        if since is not None:
            params["updated_since"] = since.isoformat()
        if cursor is not None:
            params["cursor"] = cursor
        try:
            async for attempt in self._retry.retrying(self._sleep):
                with attempt:
                    response = await self._client.get(f"/api/v1/{type.value}", params=params)
                    response.raise_for_status()
        except httpx.HTTPStatusError as exc:
            raise ErpUnavailableError(
                f"ERP answered {exc.response.status_code} for {type.value}: "
                f"{error_text(exc.response)}"
            ) from exc
        except httpx.HTTPError as exc:
            raise ErpUnavailableError(
                f"ERP unreachable for {type.value}: {exc.__class__.__name__} {exc}".strip()
            ) from exc
        return parse_page(response)


def error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, Mapping):
        text = body.get("message") or body.get("detail") or body.get("error") or body
        return str(text)[:200]
    return str(body)[:200]


def parse_page(response: httpx.Response) -> SourcePage:
    """Check the page envelope; the items themselves are validated by the sync engine."""
    try:
        body = response.json()
    except ValueError as exc:
        raise ErpProtocolError("ERP page is not JSON") from exc
    if not isinstance(body, Mapping) or not isinstance(body.get("items"), list):
        raise ErpProtocolError("ERP page has no 'items' list")
    cursor = body.get("next_cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise ErpProtocolError("ERP page 'next_cursor' is not a string")
    mark = body.get("high_water_mark")
    try:
        high_water_mark = datetime.fromisoformat(mark) if mark else None
    except (TypeError, ValueError) as exc:
        raise ErpProtocolError(f"ERP page 'high_water_mark' is not ISO-8601: {mark!r}") from exc
    if high_water_mark is not None and high_water_mark.tzinfo is None:
        raise ErpProtocolError("ERP page 'high_water_mark' has no time zone")
    items: list[Any] = body["items"]
    return SourcePage(items=items, next_cursor=cursor, high_water_mark=high_water_mark)
