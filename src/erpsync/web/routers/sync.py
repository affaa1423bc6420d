"""``/api/sync``: status, schedule, sync requests and the live event stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse

from erpsync.domain.commands import ChangeSchedule, RequestAll, RequestSync
from erpsync.domain.types import SyncMode, SyncType, TypeSchedule
from erpsync.web.deps import AdminUser, ControlDep, ServicesDep, StatusDep
from erpsync.web.sync_json import (
    requested_json,
    run_json,
    schedule_json,
    status_json,
)

router = APIRouter(prefix="/api/sync", tags=["sync"])


class SyncRequestBody(BaseModel):
    mode: SyncMode = SyncMode.INCREMENTAL


class ScheduleBody(BaseModel):
    interval_minutes: float = Field(gt=0, description="minutes between runs")
    offset_minutes: float = Field(ge=0, description="first run this long after start")
    priority: int = Field(ge=1, le=100)


@router.get("/status")
async def status(status: StatusDep) -> dict[str, Any]:
    return status_json(await status.report())


@router.get("/runs")
async def runs(status: StatusDep, type: SyncType | None = None, limit: int = 100) -> dict[str, Any]:
    return {"runs": [run_json(r) for r in await status.runs(type, limit)]}


@router.get("/schedule")
async def schedule(status: StatusDep) -> dict[str, Any]:
    snapshot = await status.snapshot()
    return {"anchor": snapshot.anchor.isoformat(), "types": schedule_json(snapshot)}


@router.put("/schedule/{type}")
async def change_schedule(
    type: SyncType, body: ScheduleBody, control: ControlDep, admin: AdminUser
) -> dict[str, Any]:
    """Change one type's schedule, at once and for good (admins only)."""
    entry = TypeSchedule(
        type,
        body.priority,
        timedelta(minutes=body.interval_minutes),
        timedelta(minutes=body.offset_minutes),
    )
    await control.handle(ChangeSchedule(entry))
    snapshot = await control.snapshot()
    return next(row for row in schedule_json(snapshot) if row["type"] == type.value)


@router.post("/all", status_code=202)
async def request_all(
    control: ControlDep, body: Annotated[SyncRequestBody | None, Body()] = None
) -> dict[str, Any]:
    mode = body.mode if body else SyncMode.INCREMENTAL
    answer = await control.handle(RequestAll(mode))
    return {"requests": [requested_json(a) for a in answer.requests]}


@router.post("/{type}", status_code=202)
async def request_sync(
    type: SyncType,
    control: ControlDep,
    body: Annotated[SyncRequestBody | None, Body()] = None,
    mode: Literal["full", "incremental"] | None = None,
) -> dict[str, Any]:
    chosen = SyncMode(mode) if mode else (body.mode if body else SyncMode.INCREMENTAL)
    return requested_json(await control.handle(RequestSync(type, chosen)))


@router.get("/events")
async def events(request: Request, services: ServicesDep) -> EventSourceResponse:
    async def stream() -> AsyncIterator[dict[str, str]]:
        async with services.events.subscribe() as queue:
            yield {"event": "hello", "data": json.dumps({"subscribed": True})}
            while not await request.is_disconnected():
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=15)
                except TimeoutError:
                    continue
                yield {"event": event.action, "data": json.dumps(event.as_json(), default=str)}

    return EventSourceResponse(stream(), ping=15)
