"""``/api/customers``: the order form's sessions and its Smart Customer Sync."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from erpsync.web.deps import ControlDep

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
    result, forms = await control.open_form(body.session_id)
    return {
        "sessionId": body.session_id,
        "activeSessions": forms.sessions,
        "syncsPaused": forms.paused,
        "result": {
            "status": result.status,
            "mode": result.mode.value,
            "fetched": result.fetched,
            "inserted": result.inserted,
            "updated": result.updated,
            "durationS": round(result.duration_s, 3),
            "syncS": round(result.sync_s, 3),
            "reused": result.reused,
            "error": result.error,
        },
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
    closed, forms = await control.close_form(session_id)
    return {
        "sessionId": session_id,
        "closed": closed,
        "activeSessions": forms.sessions,
        "syncsPaused": forms.paused,
    }


@router.post("/heartbeat")
async def heartbeat(body: HeartbeatBody, control: ControlDep) -> dict[str, Any]:
    """Keep the tab's session alive (``active`` when the user did something). ``known`` is
    false once the session has ended (e.g. the safety timeout): the page registers again on
    its next user activity."""
    known, forms = await control.ping_form(body.session_id, active=body.active)
    return {
        "sessionId": body.session_id,
        "known": known,
        "activeSessions": forms.sessions,
        "syncsPaused": forms.paused,
    }
