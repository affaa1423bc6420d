"""``/api/sync``: status, schedule, sync requests and the live event stream."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse, ServerSentEvent

from erpsync.domain.commands import ChangeSchedule, RequestAll, RequestSync
from erpsync.domain.schedule import (
    MAX_INTERVAL,
    MAX_OFFSET,
    MAX_PRIORITY,
    MIN_INTERVAL,
    MIN_PRIORITY,
)
from erpsync.domain.types import SyncMode, SyncType, TypeSchedule
from erpsync.services.status import MAX_RUNS
from erpsync.web.deps import AdminUser, ControlDep, CurrentUser, ServicesDep, StatusDep
from erpsync.web.inputs import WholeNumber
from erpsync.web.openapi import errors
from erpsync.web.sync_json import (
    event_writes,
    requested_json,
    run_json,
    schedule_json,
    status_json,
)

router = APIRouter(prefix="/api/sync", tags=["sync"])
MINUTE = timedelta(minutes=1)


class SyncRequestBody(BaseModel):
    mode: SyncMode = SyncMode.INCREMENTAL


class ScheduleBody(BaseModel):
    interval_minutes: float = Field(
        ge=MIN_INTERVAL / MINUTE,
        le=MAX_INTERVAL / MINUTE,
        allow_inf_nan=False,
        strict=True,
        description="minutes between runs (1 minute to 7 days)",
    )
    offset_minutes: float = Field(
        ge=0,
        lt=MAX_OFFSET / MINUTE,
        allow_inf_nan=False,
        strict=True,
        description="first run this long after the start (under a day)",
    )
    priority: WholeNumber = Field(ge=MIN_PRIORITY, le=MAX_PRIORITY)


@router.get("/status", responses=errors(503))
async def status(status: StatusDep, user: CurrentUser) -> dict[str, Any]:
    return status_json(await status.report(), user.id, admin=user.is_admin)


@router.get("/runs")
async def runs(
    status: StatusDep,
    type: SyncType | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_RUNS)] = 100,
) -> dict[str, Any]:
    return {"runs": [run_json(r) for r in await status.runs(type, limit)]}


@router.get("/schedule", responses=errors(503))
async def schedule(status: StatusDep) -> dict[str, Any]:
    snapshot = await status.snapshot()
    return {"anchor": snapshot.anchor.isoformat(), "types": schedule_json(snapshot)}


def _whole_seconds(minutes: float) -> timedelta:
    """Down to the second: a schedule is not kept to fractions of one, and a value just under a
    limit must not round up onto it."""
    return timedelta(seconds=math.floor(minutes * 60))


@router.put("/schedule/{type}", responses=errors(403, 503))
async def change_schedule(
    type: SyncType, body: ScheduleBody, control: ControlDep, admin: AdminUser
) -> dict[str, Any]:
    """Change one type's schedule, at once and for good (admins only)."""
    entry = TypeSchedule(
        type,
        body.priority,
        _whole_seconds(body.interval_minutes),
        _whole_seconds(body.offset_minutes),
    )
    await control.handle(ChangeSchedule(entry))
    snapshot = await control.snapshot()
    return next(row for row in schedule_json(snapshot) if row["type"] == type.value)


@router.post("/all", status_code=202, responses=errors(503))
async def request_all(
    control: ControlDep, body: Annotated[SyncRequestBody | None, Body()] = None
) -> dict[str, Any]:
    mode = body.mode if body else SyncMode.INCREMENTAL
    answer = await control.handle(RequestAll(mode))
    return {"requests": [requested_json(a) for a in answer.requests]}


def _request_sync(sync_type: SyncType) -> Callable[..., Awaitable[dict[str, Any]]]:
    async def request_sync(
        control: ControlDep,
        body: Annotated[SyncRequestBody | None, Body()] = None,
        mode: Literal["full", "incremental"] | None = None,
    ) -> dict[str, Any]:
        chosen = SyncMode(mode) if mode else (body.mode if body else SyncMode.INCREMENTAL)
        return requested_json(await control.handle(RequestSync(sync_type, chosen)))

    return request_sync


# One route per type rather than ``/{type}``: the other paths here (``/status``…) then answer
# 405 to a POST instead of being taken for a type.
for _type in SyncType:
    router.add_api_route(
        f"/{_type.value}",
        _request_sync(_type),
        methods=["POST"],
        status_code=202,
        name=f"request_{_type.value}",
        summary=f"Request a sync of {_type.value}",
        description="Answers whether it started, was queued (at which position) or merged.",
        responses=errors(503),
    )


@router.get(
    "/events",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "one event a step"}},
)
async def events(services: ServicesDep, user: CurrentUser) -> EventSourceResponse:
    """Server-Sent Events: one event per coordination step, named by its action.

    The steps that came together (a form's open and its smart sync are several) go out in one
    write: each stream costs the server a send per write, and every stream gets every step
    (each encoded once for all of them: :func:`~erpsync.web.sync_json.event_message`).
    The response itself notices a disconnect and ends the stream; it sends a ping every 15 s.
    """

    async def stream() -> AsyncIterator[bytes]:
        async with services.events.subscribe() as queue:
            yield ServerSentEvent(json.dumps({"subscribed": True}), event="hello").encode()
            async for chunk in event_writes(queue, user.id):
                yield chunk

    return EventSourceResponse(stream(), ping=15)
