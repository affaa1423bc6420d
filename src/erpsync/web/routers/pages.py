"""The pages: the order form, the drafts, the sync dashboard."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from erpsync.domain.types import SyncType
from erpsync.domain.users import User
from erpsync.errors import NotFoundError
from erpsync.services.book import AgentBook
from erpsync.services.events import EventAction
from erpsync.web.book_json import customer_master_json, freshness_json, repeat_json
from erpsync.web.deps import (
    BookDep,
    CurrentUser,
    DraftsDep,
    ServicesDep,
    StatusDep,
    SubmissionsDep,
)
from erpsync.web.json_shapes import draft_json
from erpsync.web.pages import PagesDep
from erpsync.web.routers.book import CodeQuery

router = APIRouter(include_in_schema=False)

#: The form's heartbeat stays well inside the session lease, and at most this far apart.
MAX_HEARTBEAT_S = 15.0
#: User activity is reported at most this often (the next heartbeat carries the rest).
MAX_ACTIVITY_REPORT_S = 5.0


def form_timing(lease_s: float, safety_timeout_s: float) -> dict[str, float]:
    """How often the order form sends heartbeats and reports activity, in seconds."""
    return {
        "heartbeatS": round(max(0.5, min(MAX_HEARTBEAT_S, lease_s / 3)), 2),
        "activityS": round(max(0.25, min(MAX_ACTIVITY_REPORT_S, safety_timeout_s / 4)), 2),
    }


@router.get("/")
async def home(user: CurrentUser) -> Response:
    return RedirectResponse("/sync" if user.is_admin else "/orders/new", status_code=303)


#: What the order form is made of, for its freshness line.
FORM_TYPES = (SyncType.CUSTOMERS, SyncType.PRODUCTS, SyncType.PRICES)


@router.get("/orders/new")
async def order_form(
    request: Request,
    user: CurrentUser,
    pages: PagesDep,
    drafts: DraftsDep,
    services: ServicesDep,
    book: BookDep,
    status: StatusDep,
    draft: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{8,64}$")] = None,
    customer: CodeQuery = None,
    repeat: CodeQuery = None,
) -> Response:
    """The order form; ``customer`` opens it with that customer chosen, ``repeat`` with the
    lines of that past order at today's prices (from the customer's card)."""
    settings = services.settings
    config: dict[str, Any] = {
        **form_timing(settings.session_lease_s, settings.safety_timeout_s),
        "draftCount": await run_in_threadpool(drafts.count, user),
        "editDraftId": draft,
        **await run_in_threadpool(prefill, user, book, customer, repeat),
    }
    context = {"config": config, "freshness": freshness_json(await status.freshness(FORM_TYPES))}
    return pages.render(request, "order_form.html", context)


def prefill(
    user: User, book: AgentBook, customer: str | None, repeat: str | None
) -> dict[str, Any]:
    """What the form starts with: a customer, or a past order's lines; or why it cannot."""
    try:
        if repeat is not None:
            return {"prefill": repeat_json(book.repeat(user, repeat))}
        if customer is not None:
            chosen = customer_master_json(book.customer(user, customer))
            return {"prefill": {"customer": chosen, "lines": [], "dropped": []}}
    except NotFoundError:
        return {"prefillMissing": "order" if repeat is not None else "customer"}
    return {}


@router.get("/drafts")
async def drafts_page(
    request: Request,
    user: CurrentUser,
    pages: PagesDep,
    submissions: SubmissionsDep,
    status: StatusDep,
) -> Response:
    """The agent's drafts, and below them the ones the ERP holds ("Inviati"); the page
    follows each submission live."""
    book = await run_in_threadpool(submissions.book, user)
    shown = {d.id: draft_json(d, s) for d, s in book.drafts}
    context = {
        "unsent": [shown[d.id] for d, _ in book.unsent],
        "placed": [shown[d.id] for d, _ in book.placed],
        "config": {"drafts": list(shown.values())},
        "freshness": freshness_json(await status.freshness([SyncType.ORDERS])),
    }
    return pages.render(request, "drafts.html", context)


@router.get("/sync")
async def sync_page(request: Request, user: CurrentUser, pages: PagesDep) -> Response:
    config = {
        "isAdmin": user.is_admin,
        "events": [a.value for a in EventAction],
        "runEvents": [a.value for a in EventAction if a.changes_runs],
    }
    return pages.render(request, "sync.html", {"config": config})
