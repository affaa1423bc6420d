"""``/api/customers``: the order form's sessions and its Smart Customer Sync."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, StrictBool, ValidationError

from erpsync.domain.commands import CloseForm, OpenForm, PingForm
from erpsync.errors import InvalidInputError
from erpsync.web.deps import ControlDep, CurrentUser
from erpsync.web.openapi import errors
from erpsync.web.sync_json import forms_json, smart_result_json

router = APIRouter(prefix="/api/customers", tags=["order form"])

ID_PATTERN = r"^[A-Za-z0-9_-]+$"
SESSION_ID = Field(min_length=8, max_length=64, pattern=ID_PATTERN, description="the tab's id")
INSTANCE = Field(
    None,
    min_length=8,
    max_length=64,
    pattern=ID_PATTERN,
    description="this load of the page: a reload is a new instance of the same tab",
)


class SessionBody(BaseModel):
    session_id: str = SESSION_ID
    instance: str | None = INSTANCE


class HeartbeatBody(BaseModel):
    session_id: str = SESSION_ID
    active: StrictBool = False


@router.post("/smart-sync", responses=errors(503))
async def smart_sync(body: SessionBody, control: ControlDep, user: CurrentUser) -> dict[str, Any]:
    """Open the tab's order-form session, pause the other syncs and bring customers up to
    date; answers when the customer sync has ended, or within a few seconds saying it has not
    (``result.status`` ``timed_out``: the form goes on with the local customer list)."""
    opened = await control.handle(OpenForm(body.session_id, user.id, body.instance))
    return {
        "sessionId": body.session_id,
        **forms_json(opened.forms),
        "result": smart_result_json(opened.result),
    }


async def _goodbye(request: Request) -> SessionBody:
    """The session id and instance from a JSON body, a form body, or ``navigator.sendBeacon``
    text (whatever type it was sent as), else from the query."""
    raw = (await request.body()).decode("utf-8", "replace").strip()
    fields: dict[str, Any] = {}
    if raw.startswith("{"):
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        fields = parsed if isinstance(parsed, dict) else {}
    elif raw:
        fields = {k: v[0] for k, v in parse_qs(raw).items() if v}
    for name in ("session_id", "instance"):
        if name not in fields and name in request.query_params:
            fields[name] = request.query_params[name]
    try:
        return SessionBody.model_validate(
            {"session_id": fields.get("session_id"), "instance": fields.get("instance")}
        )
    except ValidationError:
        raise InvalidInputError(
            "session_id is required: 8-64 letters, digits, - or _ (and instance, if given)"
        ) from None


#: JSON, or a form (what ``navigator.sendBeacon`` sends); the same JSON as ``text/plain``, as
#: a beacon given a string sends it, is taken too.
GOODBYE_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": SessionBody.model_json_schema()},
        "application/x-www-form-urlencoded": {"schema": SessionBody.model_json_schema()},
    },
}


@router.post("/resume-syncs", responses=errors(503), openapi_extra={"requestBody": GOODBYE_BODY})
async def resume_syncs(request: Request, control: ControlDep, user: CurrentUser) -> dict[str, Any]:
    """Close the tab's session; syncs resume when no order form is left open. A goodbye from
    a page load that a reload has replaced changes nothing (``closed`` false)."""
    body = await _goodbye(request)
    closed = await control.handle(CloseForm(body.session_id, user.id, body.instance))
    return {"sessionId": body.session_id, "closed": closed.closed, **forms_json(closed.forms)}


@router.post("/heartbeat", responses=errors(503))
async def heartbeat(body: HeartbeatBody, control: ControlDep, user: CurrentUser) -> dict[str, Any]:
    """Keep the tab's session alive (``active`` when the user did something). ``known`` is
    false once the session has ended (e.g. the safety timeout): the page registers again on
    its next user activity."""
    pinged = await control.handle(PingForm(body.session_id, user.id, body.active))
    return {"sessionId": body.session_id, "known": pinged.known, **forms_json(pinged.forms)}
