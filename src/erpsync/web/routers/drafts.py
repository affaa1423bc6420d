"""``/api/drafts``: the signed-in agent's order drafts. Another agent's draft is a 404."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from erpsync.domain.drafts import MAX_LINES, MAX_NOTES, MAX_QTY
from erpsync.domain.users import User
from erpsync.errors import DraftRevisionError
from erpsync.services.drafts import DraftInput, LineInput, SavedDraft
from erpsync.services.submissions import MAX_BATCH, Sent, SubmissionService
from erpsync.web.deps import ControlDep, CurrentUser, DraftsDep, SubmissionsDep
from erpsync.web.inputs import CODE_LENGTH, Money, Percent, WholeNumber, text
from erpsync.web.json_shapes import draft_json, submission_json
from erpsync.web.openapi import WHY, errors

router = APIRouter(prefix="/api/drafts", tags=["drafts"])

DRAFT_ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
DraftId = Annotated[str, Path(pattern=DRAFT_ID_PATTERN)]
DraftIdText = Annotated[str, Field(pattern=DRAFT_ID_PATTERN)]


class LineBody(BaseModel):
    product_code: str = text(CODE_LENGTH, min_length=1)
    qty: WholeNumber = Field(ge=1, le=MAX_QTY, description="whole pieces")
    unit_price: Money
    discount: Percent = Decimal(0)


class DraftBody(BaseModel):
    customer_code: str = text(CODE_LENGTH, min_length=1)
    lines: list[LineBody] = Field(min_length=1, max_length=MAX_LINES)
    notes: str = text(MAX_NOTES, default="")

    def as_input(self) -> DraftInput:
        return DraftInput(
            customer_code=self.customer_code,
            lines=[
                LineInput(li.product_code, li.qty, li.unit_price, li.discount) for li in self.lines
            ],
            notes=self.notes,
        )


class DraftChangeBody(DraftBody):
    base_revision: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="the draft's `revision` this change was made from: when the draft is at "
        "another one now, nothing is saved (409 with the `current` draft); absent, the change "
        "is saved whatever the revision",
    )


class DraftConflictBody(BaseModel):
    """A 409 of a change: the draft moved on since ``base_revision`` (``current`` is the
    draft as it is now), or it is on its way to the ERP or placed (no ``current``)."""

    error: str
    current: dict[str, Any] | None = None


class NewDraftBody(DraftBody):
    id: str = Field(
        pattern=DRAFT_ID_PATTERN,
        description="chosen by the client (a UUID); creating the same id again is a no-op",
    )


class SendBody(BaseModel):
    ids: list[DraftIdText] = Field(min_length=1, max_length=MAX_BATCH)


def _saved(saved: SavedDraft, submissions: SubmissionService, user: User) -> dict[str, Any]:
    latest = submissions.latest(user, [saved.draft.id])
    return {
        "draft": draft_json(saved.draft, latest.get(saved.draft.id)),
        "created": saved.created,
        "draftCount": saved.count,
    }


def _sent_json(sent: Sent) -> dict[str, Any]:
    return {
        "draftId": sent.draft_id,
        "submission": None if sent.submission is None else submission_json(sent.submission),
        "error": None if sent.error is None else str(sent.error),
    }


@router.post(
    "",
    status_code=201,
    responses={
        200: {"description": "a draft with this id existed: it is answered unchanged"},
        **errors(409),
    },
)
def create_draft(
    body: NewDraftBody,
    user: CurrentUser,
    drafts: DraftsDep,
    submissions: SubmissionsDep,
    response: Response,
) -> dict[str, Any]:
    """Create a draft; 201 when new, 200 with the stored draft when the id already exists."""
    saved = drafts.create(user, body.id, body.as_input())
    if not saved.created:
        response.status_code = 200
    return _saved(saved, submissions, user)


@router.get("")
def list_drafts(user: CurrentUser, submissions: SubmissionsDep) -> dict[str, Any]:
    """All the user's drafts, newest first, each with its latest submission to the ERP;
    ``count`` is of those not placed yet (the ones the order form calls "bozze")."""
    book = submissions.book(user)
    return {
        "drafts": [draft_json(d, s) for d, s in book.drafts],
        "count": len(book.unsent),
        "placed": len(book.placed),
    }


@router.post(
    "/submit",
    status_code=202,
    responses={**errors(404, 409, 503), 202: {"description": "each draft's submission"}},
)
async def send_drafts(
    body: SendBody, user: CurrentUser, submissions: SubmissionsDep, control: ControlDep
) -> dict[str, Any]:
    """Send several drafts to the ERP ("Invia tutte"), in the order given. Each answer has
    the draft's submission, or the reason it was not sent (the ERP refused it as it is).
    A draft already on its way or placed is answered as it is: never sent twice."""
    sent = await submissions.send(user, body.ids, control)
    return {"sent": [_sent_json(s) for s in sent]}


@router.api_route("/submit", methods=["GET", "PUT", "PATCH", "DELETE"], include_in_schema=False)
def send_drafts_only_by_post() -> None:
    """``submit`` is no draft's id (ids have 8 characters or more): other methods on it are
    405, not a draft route's 422."""
    raise HTTPException(405, "method not allowed", headers={"Allow": "POST"})


@router.get("/{draft_id}", responses=errors(404))
def read_draft(
    draft_id: DraftId, user: CurrentUser, drafts: DraftsDep, submissions: SubmissionsDep
) -> dict[str, Any]:
    return draft_json(
        drafts.get(user, draft_id), submissions.latest(user, [draft_id]).get(draft_id)
    )


@router.post(
    "/{draft_id}/submit",
    status_code=202,
    responses={**errors(404, 409, 503), 202: {"description": "the draft with its submission"}},
)
async def send_draft(
    draft_id: DraftId,
    user: CurrentUser,
    drafts: DraftsDep,
    submissions: SubmissionsDep,
    control: ControlDep,
) -> dict[str, Any]:
    """Send the draft to the ERP ("Invia"): recorded at once, sent by the orchestrator as
    soon as the ERP is free. Pressing again queues nothing more; a draft the ERP refused is
    sent again only once it changed (409 otherwise)."""
    [sent] = await submissions.send(user, [draft_id], control)
    if sent.error is not None:
        raise sent.error
    return draft_json(drafts.get(user, draft_id), sent.submission)


@router.put(
    "/{draft_id}",
    responses={**errors(404), 409: {"model": DraftConflictBody, "description": WHY[409]}},
    response_model=None,
)
def update_draft(
    draft_id: DraftId,
    body: DraftChangeBody,
    user: CurrentUser,
    drafts: DraftsDep,
    submissions: SubmissionsDep,
) -> dict[str, Any] | JSONResponse:
    """Change a draft; not while it is on its way to the ERP or once it is an ERP order
    (409). A draft the ERP refused may be changed and sent again. With ``base_revision``, a
    draft changed since that revision is left as it is: 409 with the ``current`` draft, so
    the agent chooses which version to keep."""
    try:
        saved = drafts.update(user, draft_id, body.as_input(), body.base_revision)
    except DraftRevisionError as conflict:
        current = drafts.get(user, draft_id)
        latest = submissions.latest(user, [draft_id]).get(draft_id)
        return JSONResponse(
            {"error": str(conflict), "current": draft_json(current, latest)}, status_code=409
        )
    return _saved(saved, submissions, user)


@router.delete("/{draft_id}", responses=errors(404, 409))
def delete_draft(draft_id: DraftId, user: CurrentUser, drafts: DraftsDep) -> dict[str, Any]:
    """Delete a draft; not while it is on its way to the ERP or once it is an ERP order."""
    return {"deleted": draft_id, "draftCount": drafts.delete(user, draft_id)}
