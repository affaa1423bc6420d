"""The ERP source contract: ``GET /api/v1/{type}`` pages one type in keyset order.

``?updated_since=<ISO-8601>&cursor=<opaque>&limit=<1..1000, default 100>`` with
``Authorization: Bearer <token>`` answers ``{"items": [...], "next_cursor": str | null,
"high_water_mark": <ISO-8601> | null}``. Items come ordered by ``(updated_at, key)``; the cursor
is the last position served, so a record changed mid-sync moves behind it and is still seen.
``high_water_mark`` is the latest ``updated_at`` of the whole type (null while it is empty).
Errors: 401 token, 404 type, 400 cursor, 422 limit or timestamp, 409 overlapping session,
503 and 504 injected faults.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from erpsync.demo_erp.cursor import Keyset, decode_cursor, encode_cursor
from erpsync.demo_erp.errors import ApiError, InvalidCursorError, SessionBusyError
from erpsync.demo_erp.faults import Fault
from erpsync.demo_erp.responses import parse_type
from erpsync.demo_erp.state import DemoErpState, erp_state
from erpsync.demo_erp.timeline import iso
from erpsync.domain.catalog import SPECS
from erpsync.domain.types import SyncType

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

logger = logging.getLogger(__name__)

# An unencoded "+" in a query string arrives as a space: "…T08:00:00 01:00" meant "+01:00".
_SPACED_OFFSET = re.compile(r" (\d{2}:?\d{2})$")


@dataclass(frozen=True)
class PageQuery:
    since: datetime | None
    after: Keyset | None
    limit: int


def parse_timestamp(name: str, text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(_SPACED_OFFSET.sub(r"+\1", text.strip()))
    except ValueError:
        raise ApiError(422, "invalid_timestamp", f"{name}: {text!r} is not ISO-8601") from None
    if moment.tzinfo is None:
        raise ApiError(422, "invalid_timestamp", f"{name}: {text!r} has no time zone")
    return moment


def _limit(text: str | None) -> int:
    if text is None or text == "":
        return DEFAULT_LIMIT
    try:
        limit = int(text)
    except ValueError:
        raise ApiError(422, "invalid_limit", f"limit: {text!r} is not an integer") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(422, "invalid_limit", f"limit: must be between 1 and {MAX_LIMIT}")
    return limit


def parse_page_query(type: SyncType, params: Mapping[str, str]) -> PageQuery:
    since_text = params.get("updated_since") or None
    cursor = params.get("cursor") or None
    try:
        after = decode_cursor(type, cursor) if cursor else None
    except InvalidCursorError as error:
        raise ApiError(400, "invalid_cursor", str(error)) from None
    since = parse_timestamp("updated_since", since_text) if since_text else None
    return PageQuery(since, after, _limit(params.get("limit")))


async def _inject_fault(erp: DemoErpState, type: SyncType) -> None:
    fault = erp.faults.next_request()
    if fault is Fault.UNAVAILABLE:
        erp.stats.unavailable_injected += 1
        logger.info("action=demo_erp_fault fault=unavailable type=%s", type)
        raise ApiError(
            503, "unavailable", "the ERP is temporarily unavailable", {"Retry-After": "1"}
        )
    if fault is Fault.TIMEOUT:
        # The hang holds no session: the client has given up long before it ends, and its
        # retry must not be mistaken for an overlapping session.
        erp.stats.timeouts_injected += 1
        logger.info("action=demo_erp_fault fault=timeout type=%s", type)
        await erp.sleep(erp.faults.settings.timeout_seconds)
        raise ApiError(504, "timeout", "the ERP did not answer in time")


def _overlap(erp: DemoErpState, type: SyncType) -> ApiError:
    erp.stats.overlaps += 1
    logger.warning("action=demo_erp_overlap type=%s", type)
    return ApiError(
        409,
        "session_overlap",
        f"this {type} request overlaps another session still in flight; "
        "the ERP allows one working session at a time",
    )


async def list_records(request: Request) -> Response:
    erp = erp_state(request)
    type = parse_type(request)
    query = parse_page_query(type, request.query_params)
    erp.stats.requests[type] += 1
    if erp.session.busy:
        raise _overlap(erp, type)
    await _inject_fault(erp, type)
    try:
        async with erp.session.hold():
            page = erp.dataset.page(type, since=query.since, after=query.after, limit=query.limit)
            items, malformed = erp.faults.malform(SPECS[type], page.items)
            delay = erp.latency.page_delay(type, len(items)) + erp.faults.settings.slow_page_seconds
            if delay > 0:
                await erp.sleep(delay)
    except SessionBusyError:
        raise _overlap(erp, type) from None
    erp.stats.page_served(len(items), malformed)
    return JSONResponse(
        {
            "items": items,
            "next_cursor": encode_cursor(type, page.last) if page.last else None,
            "high_water_mark": iso(page.high_water_mark) if page.high_water_mark else None,
        }
    )
