"""``/api/drafts``: the signed-in agent's order drafts. Another agent's draft is a 404."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from erpsync.domain.drafts import MAX_LINES, MAX_NOTES, MAX_QTY
from erpsync.services.drafts import DraftInput, LineInput, SavedDraft
from erpsync.web.deps import CurrentUser, DraftsDep
from erpsync.web.inputs import CODE_LENGTH, Money, Percent, WholeNumber, text
from erpsync.web.json_shapes import draft_json
from erpsync.web.openapi import errors

router = APIRouter(prefix="/api/drafts", tags=["drafts"])

DRAFT_ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
DraftId = Annotated[str, Path(pattern=DRAFT_ID_PATTERN)]


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


class NewDraftBody(DraftBody):
    id: str = Field(
        pattern=DRAFT_ID_PATTERN,
        description="chosen by the client (a UUID); creating the same id again is a no-op",
    )


def _saved(saved: SavedDraft) -> dict[str, Any]:
    return {"draft": draft_json(saved.draft), "created": saved.created, "draftCount": saved.count}


@router.post(
    "",
    status_code=201,
    responses={
        200: {"description": "a draft with this id existed: it is answered unchanged"},
        **errors(409),
    },
)
def create_draft(
    body: NewDraftBody, user: CurrentUser, drafts: DraftsDep, response: Response
) -> dict[str, Any]:
    """Create a draft; 201 when new, 200 with the stored draft when the id already exists."""
    saved = drafts.create(user, body.id, body.as_input())
    if not saved.created:
        response.status_code = 200
    return _saved(saved)


@router.get("")
def list_drafts(user: CurrentUser, drafts: DraftsDep) -> dict[str, Any]:
    mine = drafts.owned_by(user)
    return {"drafts": [draft_json(d) for d in mine], "count": len(mine)}


@router.get("/{draft_id}", responses=errors(404))
def read_draft(draft_id: DraftId, user: CurrentUser, drafts: DraftsDep) -> dict[str, Any]:
    return draft_json(drafts.get(user, draft_id))


@router.put("/{draft_id}", responses=errors(404))
def update_draft(
    draft_id: DraftId, body: DraftBody, user: CurrentUser, drafts: DraftsDep
) -> dict[str, Any]:
    return _saved(drafts.update(user, draft_id, body.as_input()))


@router.delete("/{draft_id}", responses=errors(404))
def delete_draft(draft_id: DraftId, user: CurrentUser, drafts: DraftsDep) -> dict[str, Any]:
    return {"deleted": draft_id, "draftCount": drafts.delete(user, draft_id)}
