"""``/api/customers``: the order form's sessions and its Smart Customer Sync."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from erpsync.domain.commands import CloseForm, OpenForm, PingForm
from erpsync.web.deps import ControlDep
from erpsync.web.sync_json import forms_json, smart_result_json

router = APIRouter(prefix="/api/customers", tags=["order form"])

SESSION_ID = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class SessionBody(BaseModel):
    session_id: str = SESSION_ID


class HeartbeatBody(BaseModel):
    session_id: str = SESSION_ID
    active: bool = False


@router.post("/smart-sync")
async def smart_sync(body: SessionBody, control: ControlDep) -> dict[str, Any]:
    """Open the tab's order-form session, pause the other syncs and bring customers up to
    date; answers when the customer sync has ended."""
    opened = await control.handle(OpenForm(body.session_id))
    return {
        "sessionId": body.session_id,
        **forms_json(opened.forms),
        "result": smart_result_json(opened.result),
    }


async def _session_id_from_beacon(request: Request) -> str:
    """The session id from a JSON body, a form body, or ``navigator.sendBeacon`` text."""
    raw = (await request.body()).decode("utf-8", "replace").strip()
    session_id: Any = None
    if raw.startswith("{"):
        try:
            session_id = json.loads(raw).get("session_id")
        except (ValueError, AttributeError):
            session_id = None
    elif raw:
        values = parse_qs(raw).get("session_id")
        session_id = values[0] if values else None
    session_id = session_id or request.query_params.get("session_id")
    try:
        return SessionBody(session_id=session_id).session_id
    except ValueError:
        raise HTTPException(422, "session_id is required: 8-64 letters, digits, - or _") from None


@router.post("/resume-syncs")
async def resume_syncs(request: Request, control: ControlDep) -> dict[str, Any]:
    """Close the tab's session; syncs resume when no order form is left open."""
    session_id = await _session_id_from_beacon(request)
    closed = await control.handle(CloseForm(session_id))
    return {"sessionId": session_id, "closed": closed.closed, **forms_json(closed.forms)}


@router.post("/heartbeat")
async def heartbeat(body: HeartbeatBody, control: ControlDep) -> dict[str, Any]:
    """Keep the tab's session alive (``active`` when the user did something). ``known`` is
    false once the session has ended (e.g. the safety timeout): the page registers again on
    its next user activity."""
    pinged = await control.handle(PingForm(body.session_id, body.active))
    return {"sessionId": body.session_id, "known": pinged.known, **forms_json(pinged.forms)}
