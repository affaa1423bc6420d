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

from erpsync.domain.runs import SyncRun
from erpsync.domain.types import SyncMode, SyncType, TypeSchedule
from erpsync.services.status import HISTORY, run_json, schedule_json, sync_status
from erpsync.web.deps import AdminUser, ControlDep, ServicesDep

router = APIRouter(prefix="/api/sync", tags=["sync"])


class SyncRequestBody(BaseModel):
    mode: SyncMode = SyncMode.INCREMENTAL


class ScheduleBody(BaseModel):
    interval_minutes: float = Field(gt=0, description="minutes between runs")
    offset_minutes: float = Field(ge=0, description="first run this long after start")
    priority: int = Field(ge=1, le=100)


@router.get("/status")
async def status(services: ServicesDep, control: ControlDep) -> dict[str, Any]:
    def history() -> dict[SyncType, list[SyncRun]]:
        return {t: services.runs.recent_runs(t, HISTORY) for t in SyncType}

    live = await control.live_state()
    runs = await asyncio.to_thread(history)
    now = services.clock.now()
    return {**sync_status(live, runs, now), "orchestrator": services.node.role(now)}


@router.get("/runs")
async def runs(
    services: ServicesDep, type: SyncType | None = None, limit: int = 100
) -> dict[str, Any]:
    limit = max(1, min(limit, 500))
    recent = await asyncio.to_thread(services.runs.recent_runs, type, limit)
    return {"runs": [run_json(r) for r in recent]}


@router.get("/schedule")
async def schedule(control: ControlDep) -> dict[str, Any]:
    live = await control.live_state()
    return {"anchor": live.anchor.isoformat(), "types": schedule_json(live)}


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
    await control.change_schedule(entry)
    live = await control.live_state()
    return next(row for row in schedule_json(live) if row["type"] == type.value)


@router.post("/all", status_code=202)
async def request_all(
    control: ControlDep, body: Annotated[SyncRequestBody | None, Body()] = None
) -> dict[str, Any]:
    mode = body.mode if body else SyncMode.INCREMENTAL
    return {"requests": [a.as_json() for a in await control.request_all(mode)]}


@router.post("/{type}", status_code=202)
async def request_sync(
    type: SyncType,
    control: ControlDep,
    body: Annotated[SyncRequestBody | None, Body()] = None,
    mode: Literal["full", "incremental"] | None = None,
) -> dict[str, Any]:
    chosen = SyncMode(mode) if mode else (body.mode if body else SyncMode.INCREMENTAL)
    return (await control.request(type, chosen)).as_json()


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
